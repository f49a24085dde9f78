//go:build !notorch

package optim_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
	"github.com/scl-dev/scl/torch/optim"
	"github.com/scl-dev/scl/torch/torchtest"
)

var (
	p0    = []float64{1, -2, 3, 0.5}
	grads = [][]float64{{0.1, -0.2, 0.3, 0}, {-0.5, 0.4, 0.05, 1}, {0.2, 0.2, -0.7, -0.3}}
)

// setup returns a store with one float64 parameter "w" = p0.
func setup(t *testing.T) (*nn.Store, *nn.Var) {
	t.Helper()
	st := nn.NewStore(torch.CPU)
	s := torch.NewScope()
	w := s.Keep(s.FromFloat64s(p0))
	s.Close()
	st.Root().Register("w", w, true)
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	return st, st.Var("w")
}

// run applies the gradients in turn and returns the parameter after each step.
func run(t *testing.T, v *nn.Var, opt optim.Optimizer, gs [][]float64) [][]float64 {
	t.Helper()
	var out [][]float64
	for _, g := range gs {
		s := torch.NewScope()
		if err := v.T.SetGrad(s.FromFloat64s(g)); err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(); err != nil {
			t.Fatal(err)
		}
		s.Close()
		p, err := v.T.Float64s()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// Reference implementations in plain Go, written from the formulas in the doc comments.

func refAdam(lr, b1, b2, eps, wd float64, decoupled bool) [][]float64 {
	p := append([]float64(nil), p0...)
	m := make([]float64, len(p))
	v := make([]float64, len(p))
	var out [][]float64
	for k, g := range grads {
		tt := float64(k + 1)
		for i := range p {
			gi := g[i]
			if decoupled {
				p[i] *= 1 - lr*wd
			} else {
				gi += wd * p[i]
			}
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			mh := m[i] / (1 - math.Pow(b1, tt))
			den := math.Sqrt(v[i])/math.Sqrt(1-math.Pow(b2, tt)) + eps
			p[i] -= lr * mh / den
		}
		out = append(out, append([]float64(nil), p...))
	}
	return out
}

func refSGD(lr, mu, damp, wd float64, nesterov bool) [][]float64 {
	p := append([]float64(nil), p0...)
	b := make([]float64, len(p))
	var out [][]float64
	for k, g := range grads {
		for i := range p {
			d := g[i] + wd*p[i]
			if mu != 0 {
				if k == 0 {
					b[i] = d
				} else {
					b[i] = mu*b[i] + (1-damp)*d
				}
				if nesterov {
					d += mu * b[i]
				} else {
					d = b[i]
				}
			}
			p[i] -= lr * d
		}
		out = append(out, append([]float64(nil), p...))
	}
	return out
}

func refLARS(lr, mu, wd, eta float64) [][]float64 {
	p := append([]float64(nil), p0...)
	b := make([]float64, len(p))
	var out [][]float64
	for _, g := range grads {
		d := make([]float64, len(p))
		var pn, dn float64
		for i := range p {
			d[i] = g[i] + wd*p[i]
			pn += p[i] * p[i]
			dn += d[i] * d[i]
		}
		q := 1.0
		if pn > 0 && dn > 0 {
			q = eta * math.Sqrt(pn) / math.Sqrt(dn)
		}
		for i := range p {
			b[i] = mu*b[i] + q*d[i]
			p[i] -= lr * b[i]
		}
		out = append(out, append([]float64(nil), p...))
	}
	return out
}

func TestOptimizersMatchHandComputedUpdates(t *testing.T) {
	torchtest.CheckLive(t)
	all := func(*nn.Var) bool { return true }
	cases := []struct {
		name string
		make func(ps []*nn.Var) optim.Optimizer
		want [][]float64
	}{
		{"Adam coupled L2", func(ps []*nn.Var) optim.Optimizer {
			return optim.NewAdam(ps, optim.AdamConfig{LR: 0.1, WeightDecay: 0.5})
		}, refAdam(0.1, 0.9, 0.999, 1e-8, 0.5, false)},
		{"AdamW decoupled", func(ps []*nn.Var) optim.Optimizer {
			return optim.NewAdamW(ps, optim.AdamConfig{LR: 0.1, WeightDecay: 0.5})
		}, refAdam(0.1, 0.9, 0.999, 1e-8, 0.5, true)},
		{"Adam betas eps", func(ps []*nn.Var) optim.Optimizer {
			return optim.NewAdam(ps, optim.AdamConfig{LR: 3e-4, Beta1: 0.5, Beta2: 0.9, Eps: 1e-3, WeightDecay: 1e-5})
		}, refAdam(3e-4, 0.5, 0.9, 1e-3, 1e-5, false)},
		{"SGD plain", func(ps []*nn.Var) optim.Optimizer { return optim.NewSGD(ps, optim.SGDConfig{LR: 0.1}) }, refSGD(0.1, 0, 0, 0, false)},
		{"SGD momentum dampening wd", func(ps []*nn.Var) optim.Optimizer {
			return optim.NewSGD(ps, optim.SGDConfig{LR: 0.1, Momentum: 0.9, Dampening: 0.1, WeightDecay: 0.01})
		}, refSGD(0.1, 0.9, 0.1, 0.01, false)},
		{"SGD Nesterov", func(ps []*nn.Var) optim.Optimizer {
			return optim.NewSGD(ps, optim.SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true})
		}, refSGD(0.1, 0.9, 0, 0, true)},
		{"LARS", func(ps []*nn.Var) optim.Optimizer {
			return optim.NewLARS(ps, optim.LARSConfig{LR: 0.5, WeightDecay: 1e-2, TrustCoefficient: 0.02, Adapt: all})
		}, refLARS(0.5, 0.9, 1e-2, 0.02)},
	}
	for _, c := range cases {
		// Adam runs a fused single-pass kernel on the CPU and multi-tensor ops elsewhere: both
		// paths must give the hand-computed updates.
		for _, fused := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s fused %v", c.name, fused), func(t *testing.T) {
				defer optim.SetFusedUpdates(fused)()
				st, v := setup(t)
				defer st.Close()
				opt := c.make(st.Params())
				defer opt.Close()
				got := run(t, v, opt, grads)
				for k := range got {
					for i := range got[k] {
						// float64 throughout, a few operations per element: 1e-12 relative
						if math.Abs(got[k][i]-c.want[k][i]) > 1e-12*(1+math.Abs(c.want[k][i])) {
							t.Fatalf("step %d, w[%d]: got %v, want %v", k+1, i, got[k][i], c.want[k][i])
						}
					}
				}
				if opt.Steps() != int64(len(grads)) {
					t.Errorf("Steps: got %d, want %d", opt.Steps(), len(grads))
				}
			})
		}
	}
	// Coupled and decoupled decay must differ: with λ = 0.5 the first step already does.
	a, w := refAdam(0.1, 0.9, 0.999, 1e-8, 0.5, false), refAdam(0.1, 0.9, 0.999, 1e-8, 0.5, true)
	if a[0][0] == w[0][0] {
		t.Errorf("Adam and AdamW agree after one step (%v); want them to differ", a[0][0])
	}
}

func TestLARSExcludesOneDimByDefault(t *testing.T) {
	torchtest.CheckLive(t)
	st, v := setup(t) // w is 1-D: with the default filter it gets plain momentum SGD
	defer st.Close()
	opt := optim.NewLARS(st.Params(), optim.LARSConfig{LR: 0.1, WeightDecay: 0.5})
	defer opt.Close()
	got := run(t, v, opt, grads)
	want := refSGD(0.1, 0.9, 0, 0, false) // b ← 0.9b + g from b = 0 equals SGD's first-step copy
	for k := range got {
		for i := range got[k] {
			if math.Abs(got[k][i]-want[k][i]) > 1e-12 {
				t.Fatalf("step %d, w[%d]: got %v, want %v", k+1, i, got[k][i], want[k][i])
			}
		}
	}
}

// TestFusedAdamAgreesWithMultiTensorOps trains a float32 weight matrix (decayed) and bias
// (spared by ExcludeOneDim) with both Adam paths, coupled and decoupled: the parameters agree
// within float32 rounding (ATen's element-wise kernels may fuse a multiply-add the fused kernel
// rounds twice) and the bias, spared, moves exactly as without weight decay.
func TestFusedAdamAgreesWithMultiTensorOps(t *testing.T) {
	torchtest.CheckLive(t)
	const rows, cols, steps = 129, 257, 4
	train := func(fused, decoupled bool, wd float64) (w, b []float32) {
		defer optim.SetFusedUpdates(fused)()
		st := nn.NewStore(torch.CPU)
		defer st.Close()
		s := torch.NewScope()
		defer s.Close()
		rnd := func(seed, n int) []float32 {
			out := make([]float32, n)
			x := uint32(seed)
			for i := range out {
				x = x*1664525 + 1013904223
				out[i] = float32(x>>8)/float32(1<<24) - 0.5
			}
			return out
		}
		st.Root().Register("w", s.FromFloat32s(rnd(1, rows*cols), rows, cols), true)
		st.Root().Register("b", s.FromFloat32s(rnd(2, cols)), true)
		cfg := optim.AdamConfig{LR: 1e-2, WeightDecay: wd, Decay: optim.ExcludeOneDim}
		opt := optim.NewAdam(st.Params(), cfg)
		if decoupled {
			opt = optim.NewAdamW(st.Params(), cfg)
		}
		defer opt.Close()
		for k := 0; k < steps; k++ {
			g := torch.NewScope()
			if err := st.Var("w").T.SetGrad(g.FromFloat32s(rnd(10+k, rows*cols), rows, cols)); err != nil {
				t.Fatal(err)
			}
			if err := st.Var("b").T.SetGrad(g.FromFloat32s(rnd(20+k, cols))); err != nil {
				t.Fatal(err)
			}
			if err := opt.Step(); err != nil {
				t.Fatal(err)
			}
			g.Close()
		}
		var err error
		if w, err = st.Var("w").T.Float32s(); err != nil {
			t.Fatal(err)
		}
		if b, err = st.Var("b").T.Float32s(); err != nil {
			t.Fatal(err)
		}
		return w, b
	}
	for _, decoupled := range []bool{false, true} {
		fw, fb := train(true, decoupled, 0.1)
		mw, mb := train(false, decoupled, 0.1)
		_, plainB := train(false, decoupled, 0)
		for name, pair := range map[string][2][]float32{"weight": {fw, mw}, "bias": {fb, mb}, "bias without decay": {fb, plainB}} {
			for i := range pair[0] {
				if d := math.Abs(float64(pair[0][i] - pair[1][i])); d > 1e-6*(1+math.Abs(float64(pair[1][i]))) {
					t.Fatalf("decoupled %v, %s[%d]: fused %v, multi-tensor %v", decoupled, name, i, pair[0][i], pair[1][i])
				}
			}
		}
		if nw, _ := train(true, decoupled, 0); fw[0] == nw[0] && fw[1] == nw[1] {
			t.Errorf("decoupled %v: weight decay 0.1 left the decayed weight where no decay puts it", decoupled)
		}
	}
}

// TestStateResumeIsBitExact runs 3 steps straight, and 1 step + export + import into a fresh
// optimizer + 2 steps; the parameters must be identical.
func TestStateResumeIsBitExact(t *testing.T) {
	torchtest.CheckLive(t)
	makers := map[string]func(ps []*nn.Var) optim.Optimizer{
		"adam": func(ps []*nn.Var) optim.Optimizer {
			return optim.NewAdam(ps, optim.AdamConfig{LR: 0.1, WeightDecay: 0.1})
		},
		"sgd":  func(ps []*nn.Var) optim.Optimizer { return optim.NewSGD(ps, optim.SGDConfig{LR: 0.1, Momentum: 0.9}) },
		"lars": func(ps []*nn.Var) optim.Optimizer { return optim.NewLARS(ps, optim.LARSConfig{LR: 0.1}) },
	}
	for name, mk := range makers {
		t.Run(name, func(t *testing.T) {
			st1, v1 := setup(t)
			defer st1.Close()
			o1 := mk(st1.Params())
			defer o1.Close()
			straight := run(t, v1, o1, grads)

			st2, v2 := setup(t)
			defer st2.Close()
			o2 := mk(st2.Params())
			defer o2.Close()
			run(t, v2, o2, grads[:1])
			state, err := o2.State()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := state["step"]; !ok {
				t.Fatalf("State: no \"step\" entry in %v", keys(state))
			}
			o3 := mk(st2.Params())
			defer o3.Close()
			if err := o3.LoadState(state); err != nil {
				t.Fatal(err)
			}
			resumed := run(t, v2, o3, grads[1:])
			if fmt.Sprint(resumed[1]) != fmt.Sprint(straight[2]) {
				t.Errorf("after resume: got %v, want %v", resumed[1], straight[2])
			}
			bad := map[string]*torch.Tensor{"step": state["step"], "nonsense.w": state["step"]}
			if err := o3.LoadState(bad); err == nil {
				t.Errorf("LoadState with an unknown entry: got nil error")
			}
		})
	}
}

func keys(m map[string]*torch.Tensor) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSkipsParametersWithoutGradient(t *testing.T) {
	torchtest.CheckLive(t)
	st, v := setup(t)
	defer st.Close()
	opt := optim.NewAdam(st.Params(), optim.AdamConfig{LR: 0.1})
	defer opt.Close()
	if err := opt.Step(); err != nil {
		t.Fatal(err)
	}
	p, _ := v.T.Float64s()
	if fmt.Sprint(p) != fmt.Sprint(p0) {
		t.Errorf("parameter without gradient changed: got %v, want %v", p, p0)
	}
}

func TestSchedules(t *testing.T) {
	w := optim.WarmupCosine{Base: 1, Final: 0.1, Warmup: 4, Total: 14}
	cases := []struct {
		step int64
		want float64
	}{
		{0, 0.25}, {3, 1}, {4, 1}, {9, 0.1 + 0.9*0.5}, {14, 0.1}, {100, 0.1},
	}
	for _, c := range cases {
		if got := w.LR(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("WarmupCosine.LR(%d): got %v, want %v", c.step, got, c.want)
		}
	}
	if got := optim.Constant(3e-4).LR(12345); got != 3e-4 {
		t.Errorf("Constant: got %v, want 3e-4", got)
	}
	if err := (optim.WarmupCosine{Warmup: 5, Total: 2}).Validate(); err == nil {
		t.Errorf("Validate with Total < Warmup: got nil error")
	}
}
