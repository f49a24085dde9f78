//go:build !notorch

package parallel_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/dist"
	"github.com/scl-dev/scl/torch/dist/disttest"
	"github.com/scl-dev/scl/torch/nn"
	"github.com/scl-dev/scl/torch/optim"
	"github.com/scl-dev/scl/train/loss"
	"github.com/scl-dev/scl/train/multicrop"
	"github.com/scl-dev/scl/train/parallel"
)

var scenarios = map[string]disttest.Scenario{
	"train":     trainWorker,
	"torchrun":  torchrunWorker,
	"stop":      stopWorker,
	"train-run": trainRunWorker,
}

var lookupEnv = os.LookupEnv

func TestMain(m *testing.M) {
	if disttest.IsWorker() {
		torch.SetNumThreads(1)
		os.Exit(disttest.RunWorker(scenarios))
	}
	os.Exit(m.Run())
}

const (
	trainSteps  = 5
	globalBatch = 8
	miniBatch   = 4
	inDim       = 8
	seedInit    = 1
)

// tiny is a two-layer MLP standing in for encoder + projector; it has no BatchNorm, so the
// per-rank forward pass of a row does not depend on its batch-mates and the distributed run
// must reproduce the single-process run of the global batch.
type tiny struct {
	st        *nn.Store
	l1, l2    *nn.Linear
	tau, bias *torch.Tensor
}

func newTiny(seed uint64) (*tiny, error) {
	if err := torch.ManualSeed(seed); err != nil {
		return nil, err
	}
	st := nn.NewStore(torch.Device{})
	root := st.Root()
	m := &tiny{st: st,
		l1:   nn.NewLinear(root.Sub("l1"), inDim, 16, true),
		l2:   nn.NewLinear(root.Sub("l2"), 16, 4, false),
		tau:  root.Param("tau", nn.Const(math.Log(3))),
		bias: root.Param("bias", nn.Const(-5)),
	}
	if err := st.Err(); err != nil {
		st.Close()
		return nil, err
	}
	return m, nil
}

func (m *tiny) forward(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
	return m.l2.Forward(s, s.Relu(m.l1.Forward(s, x)))
}

// views returns the rows of the step's two views: the same global batch on every rank.
func views(step int) [2][][]float32 {
	r := rand.New(rand.NewSource(int64(100 + step)))
	var out [2][][]float32
	for i := 0; i < globalBatch; i++ {
		base := make([]float32, inDim)
		for j := range base {
			base[j] = float32(r.NormFloat64())
		}
		for v := range out {
			row := make([]float32, inDim)
			for j := range row {
				row[j] = base[j] + 0.3*float32(r.NormFloat64())
			}
			out[v] = append(out[v], row)
		}
	}
	return out
}

type trainResult struct {
	Losses        []float64
	Online        map[string][]float32
	Target        map[string][]float32
	InitialL1     []float32 // before the broadcast from rank 0
	Buckets       int
	LeakedTensors int64
}

// trainTiny runs trainSteps steps of SGD with an EMA target, as rank of world over g (nil: one
// process holding the whole global batch).
func trainTiny(g *dist.Group, rank, world int, seed uint64) (trainResult, error) {
	var res trainResult
	live := torch.LiveTensors()
	online, err := newTiny(seed)
	if err != nil {
		return res, err
	}
	defer online.st.Close()
	if res.InitialL1, err = online.l1.W.Float32s(); err != nil {
		return res, err
	}
	var dp *parallel.DataParallel
	if g != nil {
		if err := parallel.Broadcast(g, parallel.Tensors(online.st.Vars())...); err != nil {
			return res, err
		}
		params := parallel.Tensors(online.st.Params())
		if dp, err = parallel.New(g, params, parallel.Config{BucketBytes: 256}); err != nil {
			return res, err
		}
		res.Buckets = dp.Buckets()
	}
	target, err := newTiny(seed + 99)
	if err != nil {
		return res, err
	}
	defer target.st.Close()
	if err := target.st.CopyFrom(online.st); err != nil {
		return res, err
	}
	opt := optim.NewSGD(online.st.Params(), optim.SGDConfig{LR: 0.05, Momentum: 0.9})
	defer opt.Close()
	pairs, err := multicrop.Pairs(2, 0)
	if err != nil {
		return res, err
	}
	cfg := loss.Config{Alpha: 1, Gamma: 1}
	for step := 0; step < trainSteps; step++ {
		if g != nil {
			if err := parallel.CheckLockstep(g, int64(step)); err != nil {
				return res, err
			}
		}
		// Mini-batches keep their single-process meaning: the global slice of miniBatch rows
		// is split over the ranks, miniBatch/world rows each.
		_, lmb, err := parallel.LocalSizes(globalBatch, miniBatch, world)
		if err != nil {
			return res, err
		}
		var local [2][]float32
		for v, rows := range views(step) {
			mine, err := parallel.LocalRows(rows, rank, world)
			if err != nil {
				return res, err
			}
			for _, r := range mine {
				local[v] = append(local[v], r...)
			}
		}
		s := torch.NewScope()
		ng := s.NoGrad()
		slices := globalBatch / miniBatch
		total := 0.0
		for m := 0; m < slices; m++ {
			var on, tg []*torch.Tensor
			for v := range local {
				x := s.FromFloat32s(local[v][m*lmb*inDim:(m+1)*lmb*inDim], int64(lmb), inDim)
				on = append(on, online.forward(s, x))
				tg = append(tg, target.forward(ng, x))
			}
			r := parallel.StepLoss(s, g, on, tg, pairs, online.tau, online.bias, cfg)
			if err := s.Err(); err != nil {
				s.Close()
				return res, err
			}
			v, err := r.Loss.Item()
			if err == nil {
				err = s.Backward(s.DivScalar(r.Objective, float64(slices)))
			}
			if err != nil {
				s.Close()
				return res, err
			}
			total += v / float64(slices)
		}
		res.Losses = append(res.Losses, total)
		if dp != nil {
			err = dp.SyncGrads()
		}
		// EMA target, β = 0.9 (hard copy after step 0).
		tv, ov := target.st.Vars(), online.st.Vars()
		for i := range tv {
			if step == 0 {
				ng.CopyInPlace(tv[i].T, ov[i].T)
			} else {
				ng.LerpInPlace(tv[i].T, ov[i].T, 0.1)
			}
		}
		err = errors.Join(err, s.Err())
		s.Close()
		if err != nil {
			return res, err
		}
	}
	res.Online, res.Target = map[string][]float32{}, map[string][]float32{}
	for _, p := range []struct {
		m   *tiny
		out map[string][]float32
	}{{online, res.Online}, {target, res.Target}} {
		for _, v := range p.m.st.Vars() {
			if p.out[v.Name], err = v.T.Float32s(); err != nil {
				return res, err
			}
		}
	}
	online.st.Close()
	target.st.Close()
	opt.Close()
	res.LeakedTensors = torch.LiveTensors() - live
	return res, nil
}

func trainWorker(rank, world int) (any, error) {
	env, err := parallel.EnvFrom(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if env.Rank != rank || env.World != world {
		return nil, fmt.Errorf("env %+v: want rank %d of %d", env, rank, world)
	}
	g, err := parallel.Join(env, torch.Device{}, parallel.Config{Backend: dist.Auto, Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	defer g.Close()
	// Each rank initialises differently; the broadcast must make them equal.
	return trainTiny(g, rank, world, seedInit+uint64(rank))
}

// TestDataParallelMatchesSingleProcess trains 2 Gloo processes on loopback and one process on
// the same global batches, with mini-batches of 4 rows out of 8 (2 per rank per slice, rows
// sharded as data/loader does): both ranks must end with bit-identical parameters, and the
// losses and parameters must match the single-process run.
func TestDataParallelMatchesSingleProcess(t *testing.T) {
	if err := dist.Available(dist.Gloo); err != nil {
		t.Skipf("%v", err)
	}
	const world = 2
	procs := disttest.Run(t, "train", world, 90*time.Second)
	ref, err := trainTiny(nil, 0, 1, seedInit)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]trainResult, world)
	for i, p := range procs {
		if err := p.Result(&got[i]); err != nil {
			t.Fatal(err)
		}
		if got[i].LeakedTensors != 0 {
			t.Errorf("rank %d: %d tensor handles leaked, want 0", i, got[i].LeakedTensors)
		}
		if got[i].Buckets < 2 {
			t.Errorf("rank %d: %d gradient buckets, want several with a 256-byte cap", i, got[i].Buckets)
		}
	}
	if fmt.Sprint(got[0].InitialL1) == fmt.Sprint(got[1].InitialL1) {
		t.Fatal("ranks initialised identically: the broadcast is not being tested")
	}
	// Replicas: bit-identical.
	for name, w := range got[0].Online {
		if fmt.Sprint(got[1].Online[name]) != fmt.Sprint(w) {
			t.Errorf("online %s differs between ranks: rank 0 %v, rank 1 %v", name, w, got[1].Online[name])
		}
		if fmt.Sprint(got[1].Target[name]) != fmt.Sprint(got[0].Target[name]) {
			t.Errorf("target %s differs between ranks", name)
		}
	}
	// Against one process on the global batch. float32 throughout; the distributed loss sums
	// the same terms in a different grouping, so differences are float32 rounding (~1e-7
	// relative), far inside 1e-5.
	for i := range ref.Losses {
		for r := range got {
			if d := math.Abs(got[r].Losses[i] - ref.Losses[i]); d > 1e-5*math.Max(1, math.Abs(ref.Losses[i])) {
				t.Errorf("step %d rank %d loss: got %.8g, want %.8g (single process)", i, r, got[r].Losses[i], ref.Losses[i])
			}
		}
	}
	for i := 1; i < len(ref.Losses); i++ {
		if ref.Losses[i] == ref.Losses[0] {
			t.Errorf("loss did not change over training (%v): the parameters are not being updated", ref.Losses)
		}
	}
	for name, want := range ref.Online {
		g := got[0].Online[name]
		if len(g) != len(want) {
			t.Fatalf("online %s: got %d values, want %d", name, len(g), len(want))
		}
		for j := range want {
			if d := math.Abs(float64(g[j] - want[j])); d > 1e-5 {
				t.Errorf("online %s[%d] after %d steps: got %v, want %v (single process)", name, j, trainSteps, g[j], want[j])
				break
			}
		}
	}
	t.Logf("losses: distributed %v, single process %v", got[0].Losses, ref.Losses)
}
