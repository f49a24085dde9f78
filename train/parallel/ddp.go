//go:build !notorch

package parallel

import (
	"errors"
	"fmt"
	"time"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/dist"
	"github.com/scl-dev/scl/torch/nn"
)

// Config configures data-parallel training.
type Config struct {
	// Backend is dist.Auto (NCCL for CUDA devices when built in, Gloo otherwise), dist.Gloo or
	// dist.NCCL.
	Backend dist.Backend
	// Timeout bounds rendezvous and every collective; 0 means dist.DefaultTimeout. A peer that
	// died or hangs ends the job with an error after at most this long.
	Timeout time.Duration
	// BucketBytes caps a gradient bucket; 0 means DefaultBucketBytes.
	BucketBytes int64
}

// ResolveBackend turns dist.Auto into a concrete backend for tensors on dev: NCCL for CUDA
// devices when this build has it, Gloo otherwise. NCCL asked for a CPU device is an error.
func ResolveBackend(b dist.Backend, dev torch.Device) (dist.Backend, error) {
	switch b {
	case dist.Auto:
		if dev.Type == torch.CUDADevice && dist.Available(dist.NCCL) == nil {
			return dist.NCCL, nil
		}
		return dist.Gloo, nil
	case dist.NCCL:
		if dev.Type != torch.CUDADevice {
			return b, fmt.Errorf("parallel: backend nccl needs CUDA tensors, device is %v: use --dist-backend gloo or auto", dev)
		}
		return b, dist.Available(dist.NCCL)
	case dist.Gloo:
		return b, nil
	}
	return b, fmt.Errorf("parallel: backend %v: want auto, gloo or nccl", b)
}

// Join joins the process group of env for tensors on dev. The caller must Close the group.
func Join(env Env, dev torch.Device, cfg Config) (*dist.Group, error) {
	b, err := ResolveBackend(cfg.Backend, dev)
	if err != nil {
		return nil, err
	}
	g, err := dist.New(dist.Options{Backend: b, Addr: env.MasterAddr, Port: env.MasterPort,
		Rank: env.Rank, World: env.World, Timeout: cfg.Timeout,
		ClientOnly: env.AgentStore, StorePrefix: env.StorePrefix()})
	if err != nil {
		return nil, fmt.Errorf("parallel: join %s world of %d as rank %d via %s:%d: %w", env.Source, env.World, env.Rank, env.MasterAddr, env.MasterPort, err)
	}
	return g, nil
}

// DataParallel keeps the replicas of one model identical across the ranks of a group: it
// broadcasts rank 0's state once, then averages gradients after every backward pass, packed
// into buckets. Not safe for concurrent use.
//
// Gradients are reduced after the whole step's backward passes (all mini-batch slices), not
// from autograd hooks during backward: the binding has no hooks, and with mini-batch slicing
// gradients must accumulate over every slice before one reduction anyway. Overlap is between
// buckets: while one bucket is on the wire the next is packed.
type DataParallel struct {
	g      *dist.Group
	params []*torch.Tensor
	ends   []int
}

// New returns the data-parallel wrapper of the trainable tensors params (model parameters and
// any other learnable tensor such as the loss's τ and b), bucketed with cfg.BucketBytes. The
// group stays owned by the caller; the tensors must stay open while d is used.
func New(g *dist.Group, params []*torch.Tensor, cfg Config) (*DataParallel, error) {
	if g == nil {
		return nil, errors.New("parallel: nil group")
	}
	ts := make([]Tensor, len(params))
	for i, p := range params {
		if p.Closed() {
			return nil, fmt.Errorf("parallel: parameter %d is nil or closed", i)
		}
		ts[i] = Tensor{Bytes: p.Numel() * int64(p.DType().Size()), Kind: p.DType().String() + "/" + p.Device().String()}
	}
	ends, err := PlanBuckets(ts, cfg.BucketBytes)
	if err != nil {
		return nil, err
	}
	return &DataParallel{g: g, params: append([]*torch.Tensor(nil), params...), ends: ends}, nil
}

// Tensors returns the tensors of vars, for New and Broadcast.
func Tensors(vars []*nn.Var) []*torch.Tensor {
	out := make([]*torch.Tensor, len(vars))
	for i, v := range vars {
		out[i] = v.T
	}
	return out
}

// Group returns the process group.
func (d *DataParallel) Group() *dist.Group { return d.g }

// Buckets returns the number of gradient buckets.
func (d *DataParallel) Buckets() int { return len(d.ends) }

// SyncGrads replaces every parameter's gradient by its average over the ranks (a parameter
// without a gradient counts as zeros). Call it once per optimizer step, after the last
// backward pass and before unscaling, clipping or the optimizer step.
func (d *DataParallel) SyncGrads() error {
	if d.g.World() == 1 {
		return nil
	}
	if err := d.g.AllReduceGrads(dist.Avg, d.params, d.ends); err != nil {
		return fmt.Errorf("parallel: gradient all-reduce over %d parameters in %d buckets: %w", len(d.params), len(d.ends), err)
	}
	return nil
}

// Broadcast copies rank 0's values of ts (parameters, buffers, target network, τ and b) to
// every rank, so that replicas start identical whatever their own initialisation.
func Broadcast(g *dist.Group, ts ...*torch.Tensor) error {
	if g.World() == 1 {
		return nil
	}
	if err := g.Broadcast(0, ts...); err != nil {
		return fmt.Errorf("parallel: broadcast of %d tensors from rank 0: %w", len(ts), err)
	}
	return nil
}

// CheckLockstep verifies that every rank is at the same optimizer step (the EMA β and γ
// schedules depend on it, so ranks must agree); it costs two tiny all-reduces.
func CheckLockstep(g *dist.Group, step int64) error {
	if g.World() == 1 {
		return nil
	}
	s := torch.NewScope()
	defer s.Close()
	hi := s.FromInt64s([]int64{step}, 1)
	lo := s.FromInt64s([]int64{step}, 1)
	if err := s.Err(); err != nil {
		return err
	}
	if err := g.AllReduce(dist.Max, hi); err != nil {
		return fmt.Errorf("parallel: step check: %w", err)
	}
	if err := g.AllReduce(dist.Min, lo); err != nil {
		return fmt.Errorf("parallel: step check: %w", err)
	}
	h, err1 := hi.Int64s()
	l, err2 := lo.Int64s()
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if h[0] != l[0] {
		return fmt.Errorf("parallel: ranks are out of step: steps range over [%d, %d] (this rank %d): want one step on every rank (same checkpoint, same data)", l[0], h[0], step)
	}
	return nil
}
