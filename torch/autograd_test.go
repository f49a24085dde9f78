//go:build !notorch

package torch_test

import (
	"math"
	"testing"

	"github.com/scl-dev/scl/torch"
)

func TestBackwardVariants(t *testing.T) {
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	x := s.FromFloat64s([]float64{1, 2, 3})
	if err := x.SetRequiresGrad(true); err != nil {
		t.Fatal(err)
	}
	if g := s.Grad(x); g != nil {
		t.Fatalf("grad before backward: got %v, want nil", g)
	}
	y := s.Square(x) // dy/dx = 2x
	// vector-Jacobian product with v = [1, 10, 100], graph retained for a second pass
	if err := s.BackwardWith(y, s.FromFloat64s([]float64{1, 10, 100}), true); err != nil {
		t.Fatal(err)
	}
	closeTo(t, "vjp", values64(t, s.Grad(x)), []float64{2, 40, 600}, 0)
	// second pass accumulates
	if err := s.BackwardWith(y, s.FromFloat64s([]float64{1, 1, 1}), false); err != nil {
		t.Fatal(err)
	}
	closeTo(t, "accumulated", values64(t, s.Grad(x)), []float64{4, 44, 606}, 0)
	// the graph was freed: a third pass fails with libtorch's message, as a Go error
	s2 := torch.NewScope()
	defer s2.Close()
	if err := s2.BackwardWith(y, s2.FromFloat64s([]float64{1, 1, 1}), false); err == nil {
		t.Errorf("backward through a freed graph: got nil error")
	}
	if err := x.ZeroGrad(); err != nil {
		t.Fatal(err)
	}
	if g := s.Grad(x); g != nil {
		t.Errorf("grad after ZeroGrad: got %v, want nil", g)
	}
	// detach and no-grad stop gradients
	z := s.Add(s.Mul(x, s.Detach(x)), s.NoGrad().MulScalar(x, 5))
	if err := s.Backward(s.Sum(z)); err != nil {
		t.Fatal(err)
	}
	closeTo(t, "through detach", values64(t, s.Grad(x)), []float64{1, 2, 3}, 0)
	// a non-scalar root without a gradient is an error
	s3 := torch.NewScope()
	defer s3.Close()
	if err := s3.Backward(s3.MulScalar(x, 2)); err == nil {
		t.Errorf("backward of a non-scalar without gradient: got nil error")
	}
}

func TestInPlaceAndForeach(t *testing.T) {
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	a := s.FromFloat64s([]float64{1, 2})
	b := s.FromFloat64s([]float64{3, 4})
	cases := []struct {
		name string
		f    func()
		x    *torch.Tensor
		want []float64
	}{
		{"AddInPlace", func() { ng.AddInPlace(a, b, 2) }, a, []float64{7, 10}},
		{"MulScalarInPlace", func() { ng.MulScalarInPlace(a, 0.5) }, a, []float64{3.5, 5}},
		{"AddcmulInPlace", func() { ng.AddcmulInPlace(a, b, b, 1) }, a, []float64{12.5, 21}},
		{"AddcdivInPlace", func() { ng.AddcdivInPlace(a, b, b, -1) }, a, []float64{11.5, 20}},
		{"LerpInPlace", func() { ng.LerpInPlace(a, b, 0.5) }, a, []float64{7.25, 12}},
		{"ClampInPlace", func() { ng.ClampInPlace(a, 0, 10) }, a, []float64{7.25, 10}},
		{"CopyInPlace", func() { ng.CopyInPlace(a, b) }, a, []float64{3, 4}},
		{"FillInPlace", func() { ng.FillInPlace(a, -1) }, a, []float64{-1, -1}},
		{"ZeroInPlace", func() { ng.ZeroInPlace(a) }, a, []float64{0, 0}},
		{"ForeachAddScalarInPlace", func() { ng.ForeachAddScalarInPlace([]*torch.Tensor{a, b}, 1) }, b, []float64{4, 5}},
		{"ForeachMulScalarInPlace", func() { ng.ForeachMulScalarInPlace([]*torch.Tensor{a, b}, 2) }, a, []float64{2, 2}},
		{"ForeachAddInPlace", func() { ng.ForeachAddInPlace([]*torch.Tensor{a}, []*torch.Tensor{b}, 0.5) }, a, []float64{6, 7}},
		{"ForeachAddcmulInPlace", func() { ng.ForeachAddcmulInPlace([]*torch.Tensor{a}, []*torch.Tensor{b}, []*torch.Tensor{b}, 1) }, a, []float64{70, 107}},
		{"ForeachAddcdivInPlace", func() { ng.ForeachAddcdivInPlace([]*torch.Tensor{a}, []*torch.Tensor{a}, []*torch.Tensor{b}, 1) }, a, []float64{70 + 70.0/8, 107 + 107.0/10}},
		{"ForeachDivScalarInPlace", func() { ng.ForeachDivScalarInPlace([]*torch.Tensor{b}, 4) }, b, []float64{2, 2.5}},
	}
	for _, c := range cases {
		c.f()
		if err := s.Err(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		closeTo(t, c.name, values64(t, c.x), c.want, 1e-15)
	}
	roots := s.ForeachSqrt([]*torch.Tensor{s.FromFloat64s([]float64{4, 9}), s.FromFloat64s([]float64{16})})
	if len(roots) != 2 {
		t.Fatalf("ForeachSqrt: got %d tensors, want 2", len(roots))
	}
	closeTo(t, "ForeachSqrt[0]", values64(t, roots[0]), []float64{2, 3}, 0)
	closeTo(t, "ForeachSqrt[1]", values64(t, roots[1]), []float64{4}, 0)
	// an in-place update of a leaf that requires grad must go through NoGrad
	w := s.FromFloat64s([]float64{1})
	w.SetRequiresGrad(true)
	s.AddScalarInPlace(w, 1)
	if s.Err() == nil {
		t.Errorf("in-place update of a grad leaf with grad recording on: got nil error")
	}
}

// TestRandomOps checks samplers' statistics: with n = 10⁵, sample means are within 4 standard
// errors (4/√n ≈ 0.013 for unit variance).
func TestRandomOps(t *testing.T) {
	checkLive(t)
	if err := torch.ManualSeed(3); err != nil {
		t.Fatal(err)
	}
	s := torch.NewScope()
	defer s.Close()
	const n = 100000
	mean := func(x *torch.Tensor) float64 {
		v, err := s.Mean(s.To(x, torch.Float64)).Item()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	se := 4 / math.Sqrt(n)
	cases := []struct {
		name string
		x    *torch.Tensor
		want float64
		tol  float64
	}{
		{"randn mean", s.Randn(torch.Opts{}, n), 0, se},
		{"randn variance", s.Square(s.Randn(torch.Opts{}, n)), 1, 4 * math.Sqrt(2.0/n)},
		{"rand mean", s.Rand(torch.Opts{}, n), 0.5, se / math.Sqrt(12)},
		{"randint mean", s.RandInt(torch.Opts{}, 0, 10, n), 4.5, se * math.Sqrt(8.25)},
		{"bernoulli rate", s.Bernoulli(s.Empty(torch.Opts{}, n), 0.3), 0.3, se * math.Sqrt(0.21)},
		{"dropout keeps the mean", s.Dropout(s.Ones(torch.Opts{}, n), 0.25, true), 1, se * math.Sqrt(1.0/3)},
		{"dropout zero rate", s.EqScalar(s.Dropout(s.Ones(torch.Opts{}, n), 0.25, true), 0), 0.25, se * math.Sqrt(0.1875)},
		{"dropout eval is identity", s.Dropout(s.Ones(torch.Opts{}, n), 0.25, false), 1, 0},
	}
	for _, c := range cases {
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if got := mean(c.x); math.Abs(got-c.want) > c.tol {
			t.Errorf("%s: got %v, want %v ± %v", c.name, got, c.want, c.tol)
		}
	}
}
