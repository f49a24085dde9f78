//go:build !notorch

package parallel

import (
	"fmt"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/dist"
)

// Session is this process's part in a data-parallel training job, as the trainer uses it. A nil
// *Session stands for a single-process run: every method then does what one process alone
// would (SyncGrads nothing, AgreeStop returns its argument, IsMain true), so the trainer calls
// them unconditionally. Not safe for concurrent use.
type Session struct {
	env Env
	g   *dist.Group
	dp  *DataParallel
	cfg Config
}

// Start joins the job env describes for tensors on dev, or returns a nil Session (and no error)
// when env is a single process. The caller must Close the session.
func Start(env Env, dev torch.Device, cfg Config) (*Session, error) {
	if !env.Distributed() {
		return nil, nil
	}
	g, err := Join(env, dev, cfg)
	if err != nil {
		return nil, err
	}
	return &Session{env: env, g: g, cfg: cfg}, nil
}

// Close leaves the group. Idempotent, safe on nil.
func (s *Session) Close() error {
	if s == nil || s.g == nil {
		return nil
	}
	err := s.g.Close()
	s.g = nil
	return err
}

// Env returns the job's environment (Single for a nil session).
func (s *Session) Env() Env {
	if s == nil {
		return Single
	}
	return s.env
}

// Group returns the process group (nil for a nil session, which StepLoss takes as one process).
func (s *Session) Group() *dist.Group {
	if s == nil {
		return nil
	}
	return s.g
}

// Rank returns this process's rank (0 for a nil session).
func (s *Session) Rank() int { return s.Env().Rank }

// World returns the number of processes (1 for a nil session).
func (s *Session) World() int { return s.Env().World }

// IsMain reports whether this process logs and writes checkpoints (rank 0, or a single process).
func (s *Session) IsMain() bool { return s.Rank() == 0 }

// LocalSizes returns this process's batch and mini-batch sizes for the global ones (see the
// package-level LocalSizes).
func (s *Session) LocalSizes(batch, miniBatch int) (int, int, error) {
	return LocalSizes(batch, miniBatch, s.World())
}

// Attach makes the replicas identical — state (parameters, buffers, target network, τ, b)
// is broadcast from rank 0 — and prepares gradient averaging over params. Call it once the
// model is built (and restored, when resuming), before the first step.
func (s *Session) Attach(state, params []*torch.Tensor) error {
	if s == nil {
		return nil
	}
	if err := Broadcast(s.g, state...); err != nil {
		return err
	}
	dp, err := New(s.g, params, s.cfg)
	if err != nil {
		return err
	}
	s.dp = dp
	return nil
}

// SyncGrads averages the gradients of the attached parameters over the processes.
func (s *Session) SyncGrads() error {
	if s == nil {
		return nil
	}
	if s.dp == nil {
		return fmt.Errorf("parallel: SyncGrads before Attach")
	}
	return s.dp.SyncGrads()
}

// AgreeStop returns true on every process when any of them wants to stop (a signal, a time
// limit), so that all stop after the same step and rank 0 can checkpoint it. One tiny
// all-reduce; call it at the same point of every step.
func (s *Session) AgreeStop(stop bool) (bool, error) {
	if s == nil {
		return stop, nil
	}
	sc := torch.NewScope()
	defer sc.Close()
	v := int64(0)
	if stop {
		v = 1
	}
	x := sc.FromInt64s([]int64{v}, 1)
	if err := sc.Err(); err != nil {
		return stop, err
	}
	if err := s.g.AllReduce(dist.Max, x); err != nil {
		return stop, fmt.Errorf("parallel: agreeing to stop: %w", err)
	}
	out, err := x.Int64s()
	if err != nil {
		return stop, err
	}
	return out[0] != 0, nil
}

// Lockstep checks that every process is at step (see CheckLockstep).
func (s *Session) Lockstep(step int64) error {
	if s == nil {
		return nil
	}
	return CheckLockstep(s.g, step)
}

// DeviceIndex picks the CUDA device of the process with local rank localRank among count
// visible devices: its local rank, or device 0 when each process sees a single device (Slurm's
// --gpus-per-task, Kubernetes' one GPU per pod).
func DeviceIndex(localRank, count int) (int, error) {
	switch {
	case count < 1:
		return 0, fmt.Errorf("parallel: no CUDA device visible to local rank %d", localRank)
	case localRank < count:
		return localRank, nil
	case count == 1:
		return 0, nil
	}
	return 0, fmt.Errorf("parallel: local rank %d but %d CUDA devices visible: want one device per process (nproc_per_node ≤ devices)", localRank, count)
}
