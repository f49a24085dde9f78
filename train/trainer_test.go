//go:build !notorch

package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/scl-dev/scl/data/augment"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/amp"
	"github.com/scl-dev/scl/torch/optim"
)

// tinyConfig is a ResNet-18 of base width 4 on 16-pixel images: a few milliseconds per step.
func tinyConfig(t *testing.T) Config {
	t.Helper()
	c := DefaultConfig()
	c.Width = 4
	c.ProjHidden, c.ProjOut = 32, 16
	c.ImageSize = 16
	c.GlobalViews, c.LocalViews = 2, 2
	c.BatchSize = 8
	c.Epochs = 2
	c.Device = device.CPUSpec
	// One intra-op thread: tiny ops only lose to threading overhead on a shared 2-core machine.
	c.Threads = 1
	c.OutDir = t.TempDir()
	c.CheckpointEvery = 0
	c.Beta = 0.9
	return c
}

// syntheticBatch draws a deterministic batch of views for step k.
func syntheticBatch(c Config, k int) Batch {
	rng := rand.New(rand.NewPCG(uint64(c.Seed), uint64(k)))
	b := Batch{N: c.BatchSize}
	for v := 0; v < c.GlobalViews+c.LocalViews; v++ {
		s := c.ImageSize
		if v >= c.GlobalViews {
			s = c.LocalSize()
		}
		sh := augment.Shape{C: c.InChannels, H: s, W: s}
		buf := make([]float32, c.BatchSize*sh.Len())
		for i := range buf {
			buf[i] = float32(rng.NormFloat64())
		}
		b.Views = append(b.Views, buf)
		b.Shapes = append(b.Shapes, sh)
	}
	return b
}

// newTrainer builds a trainer and locks the test's goroutine to its OS thread: libtorch's
// OpenMP thread count is per OS thread, so bit-exact comparisons need one thread throughout.
func newTrainer(t *testing.T, c Config, stepsPerEpoch int) *Trainer {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	tr, err := NewTrainer(c, stepsPerEpoch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// paramsOf returns every online and target value, τ and b as float64s.
func paramsOf(t *testing.T, tr *Trainer) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	s := torch.NewScope()
	defer s.Close()
	for _, v := range tr.online.Store.Vars() {
		x, err := s.To(v.T, torch.Float64).Float64s()
		if err != nil {
			t.Fatal(err)
		}
		out["online."+v.Name] = x
	}
	for _, v := range tr.target.Store.Vars() {
		x, err := s.To(v.T, torch.Float64).Float64s()
		if err != nil {
			t.Fatal(err)
		}
		out["target."+v.Name] = x
	}
	for name, x := range map[string]*torch.Tensor{"tau": tr.tau, "bias": tr.bias} {
		v, err := x.Item()
		if err != nil {
			t.Fatal(err)
		}
		out[name] = []float64{v}
	}
	return out
}

// TestStepPositionAndNoLeak takes steps on synthetic batches: no native tensor outlives a
// step and the epoch position advances. What a step computes (loss, optimizer, hard copy, EMA
// with the β schedule) is checked against the reference in golden_test.go.
func TestStepPositionAndNoLeak(t *testing.T) {
	c := tinyConfig(t)
	tr := newTrainer(t, c, 5)
	var live int64
	for k := 0; k < 4; k++ {
		r, err := tr.Step(syntheticBatch(c, k))
		if err != nil {
			t.Fatal(err)
		}
		// No native tensor outlives a step, except the optimizer state created by the first.
		if k == 1 {
			live = torch.LiveTensors()
		} else if k > 1 && torch.LiveTensors() != live {
			t.Errorf("step %d: %d live tensors, %d after step 2: a step leaks", k+1, torch.LiveTensors(), live)
		}
		if r.Step != k+1 || math.IsNaN(r.Loss) || r.Loss <= 0 || r.KL < 0 {
			t.Fatalf("step %d: %+v", k, r)
		}
	}
	if e, b := tr.Position(); e != 0 || b != 4 {
		t.Errorf("position after 4 of 5 steps = epoch %d batch %d, want 0, 4", e, b)
	}
	if _, err := tr.Step(syntheticBatch(c, 4)); err != nil {
		t.Fatal(err)
	}
	if e, b := tr.Position(); e != 1 || b != 0 {
		t.Errorf("position after 5 of 5 steps = epoch %d batch %d, want 1, 0", e, b)
	}
}

func maxDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

func TestResumeIsBitExact(t *testing.T) {
	for _, p := range []Precision{FP32, FP64} {
		t.Run(p.String(), func(t *testing.T) { testResumeIsBitExact(t, p) })
	}
}

func testResumeIsBitExact(t *testing.T, p Precision) {
	c := tinyConfig(t)
	c.MiniBatchSize = 4
	c.Precision = p
	const n = 3
	// Straight run of 2n steps.
	a := newTrainer(t, c, 4)
	for k := 0; k < 2*n; k++ {
		if _, err := a.Step(syntheticBatch(c, k)); err != nil {
			t.Fatal(err)
		}
	}
	// n steps, checkpoint, a fresh trainer (different seed, so nothing carries over by
	// accident) restored from it, n more steps.
	b := newTrainer(t, c, 4)
	for k := 0; k < n; k++ {
		if _, err := b.Step(syntheticBatch(c, k)); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := b.Save(c.OutDir, "synthetic", 2)
	if err != nil {
		t.Fatal(err)
	}
	c2 := c
	c2.Seed = c.Seed + 1
	r := newTrainer(t, c2, 4)
	r.cfg.Seed = c.Seed // the run's seed comes back with the checkpoint's position
	if err := r.Restore(dir); err != nil {
		t.Fatal(err)
	}
	if r.Steps() != n {
		t.Fatalf("restored step %d, want %d", r.Steps(), n)
	}
	for k := n; k < 2*n; k++ {
		if _, err := r.Step(syntheticBatch(c, k)); err != nil {
			t.Fatal(err)
		}
	}
	want, got := paramsOf(t, a), paramsOf(t, r)
	for name, w := range want {
		if d := maxDiff(got[name], w); d != 0 {
			t.Errorf("%s differs after resume by %g, want bit-exact", name, d)
		}
	}
	if a.Beta() != r.Beta() {
		t.Errorf("β after resume %v, want %v", r.Beta(), a.Beta())
	}
}

func TestNonFiniteLossStops(t *testing.T) {
	c := tinyConfig(t)
	tr := newTrainer(t, c, 4)
	b := syntheticBatch(c, 0)
	b.Views[0][3] = float32(math.NaN())
	before := paramsOf(t, tr)
	_, err := tr.Step(b)
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("Step with a NaN input: %v, want ErrNonFinite", err)
	}
	// Nothing changed: parameters, τ and b, and the BatchNorm running statistics the forward
	// pass had updated (restored from their snapshot).
	after := paramsOf(t, tr)
	for name, w := range before {
		if d := maxDiff(after[name], w); d != 0 || math.IsNaN(d) {
			t.Errorf("%s changed by %g after a refused step", name, d)
		}
	}
	if tr.Steps() != 0 {
		t.Errorf("steps %d after a refused step, want 0", tr.Steps())
	}
}

func TestBF16OnCPU(t *testing.T) {
	c := tinyConfig(t)
	ref := newTrainer(t, c, 4)
	want, err := ref.Step(syntheticBatch(c, 0))
	if err != nil {
		t.Fatal(err)
	}
	c.Precision = BF16
	tr := newTrainer(t, c, 4)
	got, err := tr.Step(syntheticBatch(c, 0))
	if err != nil {
		t.Fatal(err)
	}
	// bf16 keeps 8 mantissa bits (relative rounding 2⁻⁸ per op); the loss itself is float32.
	if e := math.Abs(got.Loss-want.Loss) / want.Loss; e > 5e-2 {
		t.Errorf("bf16 first-step loss %v, fp32 %v (relative difference %.2g)", got.Loss, want.Loss, e)
	}
}

// TestFP16ScalerSkipsNonFiniteStep drives the fp16 path (loss scaling, skip on overflow) on the
// CPU, where float16 autocast is unavailable: the forward runs in float32, the scaler is live.
func TestFP16ScalerSkipsNonFiniteStep(t *testing.T) {
	c := tinyConfig(t)
	tr := newTrainer(t, c, 4)
	tr.cfg.Precision = FP16
	tr.scaler = amp.NewScaler(amp.Config{})
	before := paramsOf(t, tr)
	b := syntheticBatch(c, 0)
	b.Views[1][5] = float32(math.Inf(1))
	r, err := tr.Step(b)
	if err != nil {
		t.Fatalf("fp16 step with an inf input: %v, want the scaler to skip it", err)
	}
	if !r.Skipped || r.LossScale != 32768 {
		t.Errorf("skipped %v, loss scale %v: want a skipped step and the scale halved to 32768", r.Skipped, r.LossScale)
	}
	// Step 0 hard-copies online → target; everything else, BatchNorm statistics included, is
	// as before the step.
	after := paramsOf(t, tr)
	for _, v := range tr.online.Store.Vars() {
		name := "online." + v.Name
		if d := maxDiff(after[name], before[name]); d != 0 || math.IsNaN(d) {
			t.Errorf("%s changed by %g in a skipped step", name, d)
		}
	}
	if tr.Steps() != 1 {
		t.Errorf("steps %d after a skipped step, want 1 (the reference counts it)", tr.Steps())
	}
	r, err = tr.Step(syntheticBatch(c, 1))
	if err != nil || r.Skipped || math.IsNaN(r.Loss) {
		t.Fatalf("next fp16 step: %+v, %v: want a clean step", r, err)
	}
	if r.LossScale != 32768 {
		t.Errorf("loss scale %v after one clean step, want 32768 (growth only after 2000)", r.LossScale)
	}
}

// TestArchitecturesTrainAndResume takes steps with the other encoders (narrow or small) and
// checks resume bit-exactness where the network draws random numbers (EfficientNet's
// stochastic depth): the generator is reseeded from (seed, step), so 2 straight steps equal
// 1 step, checkpoint, restore, 1 step.
func TestArchitecturesTrainAndResume(t *testing.T) {
	for _, enc := range []models.Arch{models.ResNet50, models.EfficientNetB0} {
		t.Run(string(enc), func(t *testing.T) {
			c := tinyConfig(t)
			c.Encoder, c.Width, c.ImageSize, c.Stem = enc, 8, 32, "imagenet"
			a := newTrainer(t, c, 4)
			for k := 0; k < 2; k++ {
				r, err := a.Step(syntheticBatch(c, k))
				if err != nil {
					t.Fatal(err)
				}
				if math.IsNaN(r.Loss) || r.Loss <= 0 {
					t.Fatalf("step %d loss %v", k, r.Loss)
				}
			}
			b := newTrainer(t, c, 4)
			if _, err := b.Step(syntheticBatch(c, 0)); err != nil {
				t.Fatal(err)
			}
			dir, err := b.Save(c.OutDir, "synthetic", 0)
			if err != nil {
				t.Fatal(err)
			}
			r := newTrainer(t, c, 4)
			if err := r.Restore(dir); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Step(syntheticBatch(c, 1)); err != nil {
				t.Fatal(err)
			}
			want, got := paramsOf(t, a), paramsOf(t, r)
			for name, w := range want {
				if d := maxDiff(got[name], w); d != 0 {
					t.Errorf("%s differs after resume by %g", name, d)
				}
			}
		})
	}
}

func TestOptimizersAndLRSchedules(t *testing.T) {
	tests := []struct {
		opt    optim.Kind
		sched  optim.ScheduleKind
		warmup int
		wantLR func(k int) float64 // LR of 0-based step k, run of 4 steps
	}{
		{OptimizerAdam, LRConstant, 0, func(int) float64 { return 1e-3 }},
		{OptimizerAdam, LRConstant, 2, func(k int) float64 { return 1e-3 * math.Min(float64(k+1)/2, 1) }},
		{OptimizerAdamW, LRCosine, 0, func(k int) float64 { return 1e-3 * (1 + math.Cos(math.Pi*float64(k)/4)) / 2 }},
		{OptimizerLARS, LRCosine, 2, func(k int) float64 {
			if k < 2 {
				return 1e-3 * float64(k+1) / 2
			}
			return 1e-3 * (1 + math.Cos(math.Pi*float64(k-2)/2)) / 2
		}},
		// wsd with decay fraction 0.5 of 4 steps: the last 2 steps decay linearly towards 0 at step 4.
		{OptimizerAdam, LRWSD, 0, func(k int) float64 { return 1e-3 * math.Min(float64(4-k)/2, 1) }},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%s_warmup%d", tt.opt, tt.sched, tt.warmup), func(t *testing.T) {
			c := tinyConfig(t)
			c.Optimizer, c.LRSchedule, c.WarmupSteps, c.LR, c.LRDecayFraction = tt.opt, tt.sched, tt.warmup, 1e-3, 0.5
			c.MaxSteps = 4
			tr := newTrainer(t, c, 4)
			before := paramsOf(t, tr)["online.projector.0.weight"]
			for k := 0; k < 4; k++ {
				r, err := tr.Step(syntheticBatch(c, k))
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(r.LR-tt.wantLR(k)) > 1e-15 {
					t.Errorf("step %d lr %v, want %v", k, r.LR, tt.wantLR(k))
				}
			}
			if maxDiff(paramsOf(t, tr)["online.projector.0.weight"], before) == 0 {
				t.Errorf("%s did not move the parameters", tt.opt)
			}
		})
	}
}

// TestSetHorizonMovesTheSchedulesEnd checks the learning-rate cosine and the β horizon against
// their formulas after the horizons move from the epochs' end to step 20, and that moving the
// learning rate's leaves β's alone.
func TestSetHorizonMovesTheSchedulesEnd(t *testing.T) {
	c := tinyConfig(t)
	c.LRSchedule, c.WarmupSteps, c.LR, c.Epochs = LRCosine, 2, 1e-3, 100
	const spe, last = 4, 20
	tr := newTrainer(t, c, spe)
	for k := 0; k < 3; k++ {
		if _, err := tr.Step(syntheticBatch(c, k)); err != nil {
			t.Fatal(err)
		}
	}
	kEpochs := tr.ema.Total
	if err := tr.SetLRHorizon(last); err != nil {
		t.Fatal(err)
	}
	if tr.ema.Total != kEpochs {
		t.Errorf("SetLRHorizon moved the β horizon K from %d to %d", kEpochs, tr.ema.Total)
	}
	if err := tr.SetBetaHorizon(last); err != nil {
		t.Fatal(err)
	}
	for k := 3; k < 6; k++ {
		r, err := tr.Step(syntheticBatch(c, k))
		if err != nil {
			t.Fatal(err)
		}
		want := 1e-3 * (1 + math.Cos(math.Pi*float64(k-2)/float64(last-2))) / 2
		if math.Abs(r.LR-want) > 1e-15 {
			t.Errorf("step %d lr %v, want %v (cosine ending at step %d)", k, r.LR, want, last)
		}
	}
	// The reference's K is steps per epoch · (epochs + 2) − update-after: last + 2·spe − 1.
	if want := last + 2*spe - c.UpdateBetaAfter; tr.ema.Total != want {
		t.Errorf("β horizon K = %d, want %d", tr.ema.Total, want)
	}
	if err := tr.SetLRHorizon(4); err == nil {
		t.Errorf("SetLRHorizon before the current step (6) succeeded")
	}
	if err := tr.SetBetaHorizon(4); err == nil {
		t.Errorf("SetBetaHorizon before the current step (6) succeeded")
	}
}

// TestSetHorizonMovesTheWSDDecay moves a wsd schedule's end from the epochs' to step 8: with
// decay fraction 0.5 the learning rate holds until step 4, then falls by a quarter a step.
func TestSetHorizonMovesTheWSDDecay(t *testing.T) {
	c := tinyConfig(t)
	c.LRSchedule, c.LRDecayFraction, c.LR, c.Epochs = LRWSD, 0.5, 1e-3, 100
	tr := newTrainer(t, c, 4)
	for k := 0; k < 7; k++ {
		if k == 3 {
			if err := tr.SetLRHorizon(8); err != nil {
				t.Fatal(err)
			}
		}
		r, err := tr.Step(syntheticBatch(c, k))
		if err != nil {
			t.Fatal(err)
		}
		if want := 1e-3 * math.Min(float64(8-k)/4, 1); math.Abs(r.LR-want) > 1e-15 {
			t.Errorf("step %d lr %v, want %v (decay over steps 4–8)", k, r.LR, want)
		}
	}
}

// TestChannelsLastMatchesContiguous trains the same three steps with both memory layouts: the
// layout is a mechanic, so the losses agree to float32 rounding and the parameters to within
// Adam's per-step size (an update of a near-zero gradient may round either way).
func TestChannelsLastMatchesContiguous(t *testing.T) {
	run := func(f MemoryFormat) ([]float64, map[string][]float64, *Trainer) {
		c := tinyConfig(t)
		c.MemoryFormat = f
		tr := newTrainer(t, c, 4)
		var losses []float64
		for k := 0; k < 3; k++ {
			r, err := tr.Step(syntheticBatch(c, k))
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, r.Loss)
		}
		return losses, paramsOf(t, tr), tr
	}
	lc, pc, trc := run(MemoryContiguous)
	ll, pl, trl := run(MemoryChannelsLast)
	if trc.channelsLast || !trl.channelsLast {
		t.Fatalf("channels-last: contiguous run %v, channels-last run %v", trc.channelsLast, trl.channelsLast)
	}
	w := trl.online.Store.Var("encoder.conv1.weight")
	if w == nil {
		t.Fatal("no encoder.conv1.weight")
	}
	if st := w.T.Strides(); st[1] != 1 {
		t.Errorf("channels-last conv1 weight strides %v, want channel stride 1", st)
	}
	for k := range lc {
		if math.Abs(lc[k]-ll[k]) > 1e-4*math.Abs(lc[k]) {
			t.Errorf("step %d loss %v contiguous, %v channels-last", k+1, lc[k], ll[k])
		}
	}
	lr := tinyConfig(t).LR
	for name, a := range pc {
		if d := maxDiff(a, pl[name]); d > 3*2*lr {
			t.Errorf("%s differs by %g between the layouts, want ≤ %g", name, d, 3*2*lr)
		}
	}
}
