//go:build !notorch

package amp_test

import (
	"math"
	"testing"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/amp"
	"github.com/scl-dev/scl/torch/nn"
	"github.com/scl-dev/scl/torch/optim"
	"github.com/scl-dev/scl/torch/torchtest"
)

// param returns a store with one float32 parameter w = [1, 2].
func param(t *testing.T) (*nn.Store, *nn.Var) {
	t.Helper()
	st := nn.NewStore(torch.CPU)
	s := torch.NewScope()
	st.Root().Register("w", s.Keep(s.FromFloat32s([]float32{1, 2})), true)
	s.Close()
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	return st, st.Var("w")
}

// backward sets w's gradient from loss = scale·Σ c·w, i.e. grad = scale·c.
func backward(t *testing.T, sc *amp.Scaler, w *nn.Var, c []float32) {
	t.Helper()
	s := torch.NewScope()
	defer s.Close()
	loss := s.Sum(s.Mul(w.T, s.FromFloat32s(c)))
	if err := s.Backward(sc.Scale(s, loss)); err != nil {
		t.Fatal(err)
	}
}

func TestScalerSchedule(t *testing.T) {
	torchtest.CheckLive(t)
	st, w := param(t)
	defer st.Close()
	opt := optim.NewSGD(st.Params(), optim.SGDConfig{LR: 1})
	defer opt.Close()
	sc := amp.NewScaler(amp.Config{Interval: 3})
	if sc.Value() != 65536 {
		t.Fatalf("initial scale: got %v, want 65536", sc.Value())
	}
	inf := float32(math.Inf(1))
	steps := []struct {
		c         []float32
		stepped   bool
		wantScale float64
		wantW     []float32
	}{
		{[]float32{1, 1}, true, 65536, []float32{0, 1}},            // clean 1
		{[]float32{inf, 0}, false, 32768, []float32{0, 1}},         // overflow: skip, back off
		{[]float32{0.5, 0.25}, true, 32768, []float32{-0.5, 0.75}}, // clean 1
		{[]float32{0, 0}, true, 32768, []float32{-0.5, 0.75}},      // clean 2
		{[]float32{0, 0.25}, true, 65536, []float32{-0.5, 0.5}},    // clean 3 → grow
		{[]float32{float32(math.NaN()), 0}, false, 32768, []float32{-0.5, 0.5}},
	}
	for i, c := range steps {
		if err := w.T.ZeroGrad(); err != nil {
			t.Fatal(err)
		}
		backward(t, sc, w, c.c)
		stepped, err := sc.Step(opt, st.Params())
		if err != nil {
			t.Fatal(err)
		}
		got, _ := w.T.Float32s()
		if stepped != c.stepped || sc.Value() != c.wantScale || got[0] != c.wantW[0] || got[1] != c.wantW[1] {
			t.Errorf("step %d: got stepped %v, scale %v, w %v; want %v, %v, %v", i, stepped, sc.Value(), got, c.stepped, c.wantScale, c.wantW)
		}
	}
	state := sc.State()
	sc2 := amp.NewScaler(amp.Config{Interval: 3})
	if err := sc2.LoadState(state); err != nil || sc2.State() != state {
		t.Errorf("LoadState: got %+v (%v), want %+v", sc2.State(), err, state)
	}
	if err := sc2.LoadState(amp.State{Scale: 0}); err == nil {
		t.Errorf("LoadState with scale 0: got nil error")
	}
}

func TestUnscaleBeforeClipping(t *testing.T) {
	torchtest.CheckLive(t)
	st, w := param(t)
	defer st.Close()
	sc := amp.NewScaler(amp.Config{})
	backward(t, sc, w, []float32{0.5, -3})
	finite, err := sc.Unscale(st.Params())
	if err != nil || !finite {
		t.Fatalf("Unscale: got %v, %v; want true, nil", finite, err)
	}
	s := torch.NewScope()
	defer s.Close()
	g, _ := s.Grad(w.T).Float32s()
	if g[0] != 0.5 || g[1] != -3 {
		t.Errorf("unscaled gradient: got %v, want [0.5 -3]", g)
	}
	// Step must not divide a second time
	opt := optim.NewSGD(st.Params(), optim.SGDConfig{LR: 1})
	defer opt.Close()
	if _, err := sc.Step(opt, st.Params()); err != nil {
		t.Fatal(err)
	}
	got, _ := w.T.Float32s()
	if got[0] != 0.5 || got[1] != 5 {
		t.Errorf("w after step: got %v, want [0.5 5]", got)
	}
}

func TestDisabledPassesThrough(t *testing.T) {
	torchtest.CheckLive(t)
	st, w := param(t)
	defer st.Close()
	sc := amp.NewScaler(amp.Config{Disabled: true})
	backward(t, sc, w, []float32{2, 2})
	s := torch.NewScope()
	defer s.Close()
	g, _ := s.Grad(w.T).Float32s()
	if g[0] != 2 || sc.Value() != 1 {
		t.Errorf("disabled scaler: got grad %v, scale %v; want 2, 1", g, sc.Value())
	}
}

// TestAutocastTrainingStepCPU runs a scaled bf16-autocast training step on the CPU (bf16
// autocast exists in libtorch 1.13's CPU build): the forward runs in bfloat16, gradients land in
// float32 parameters, and the step changes them.
func TestAutocastTrainingStepCPU(t *testing.T) {
	torchtest.CheckLive(t)
	st := nn.NewStore(torch.CPU)
	defer st.Close()
	fc := nn.NewLinear(st.Root().Sub("fc"), 8, 4, true)
	opt := optim.NewAdam(st.Params(), optim.AdamConfig{LR: 1e-2})
	defer opt.Close()
	sc := amp.NewScaler(amp.Config{})
	s := torch.NewScope()
	defer s.Close()
	ac := s.Autocast(torch.CPUDevice, torch.BFloat16)
	out := fc.Forward(ac, s.Randn(torch.Opts{}, 16, 8))
	loss := s.Mean(s.Square(s.To(out, torch.Float32)))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if out.DType() != torch.BFloat16 {
		t.Errorf("linear under bf16 autocast: got %v, want bfloat16", out.DType())
	}
	before, _ := fc.W.Float32s()
	if err := s.Backward(sc.Scale(s, loss)); err != nil {
		t.Fatal(err)
	}
	if g := s.Grad(fc.W); g == nil || g.DType() != torch.Float32 {
		t.Fatalf("weight gradient: got %v, want float32", g)
	}
	stepped, err := sc.Step(opt, st.Params())
	if err != nil || !stepped {
		t.Fatalf("Step: got %v, %v; want true, nil", stepped, err)
	}
	after, _ := fc.W.Float32s()
	if before[0] == after[0] {
		t.Errorf("weights unchanged by the step")
	}
}
