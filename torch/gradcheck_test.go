//go:build !notorch

package torch_test

import (
	"math"
	"testing"

	"github.com/scl-dev/scl/torch"
)

// input is one differentiable argument of a gradient check: shape and the range its values are
// drawn from (chosen away from kinks such as relu's 0 or clamp's bounds).
type input struct {
	shape  []int64
	lo, hi float64
}

func in(lo, hi float64, shape ...int64) input { return input{shape: shape, lo: lo, hi: hi} }

// gradCase is a function of float64 tensors whose gradient is checked.
type gradCase struct {
	name   string
	inputs []input
	f      func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor
}

// objective evaluates L = Σ f(x)·r for fixed random weights r (so every output element's
// gradient matters), returning L and, when withGrad, dL/dx for each input.
func objective(t *testing.T, c gradCase, vals [][]float64, r []float64, withGrad bool) (float64, [][]float64, []float64) {
	t.Helper()
	s := torch.NewScope()
	defer s.Close()
	xs := make([]*torch.Tensor, len(vals))
	for i, v := range vals {
		xs[i] = s.FromFloat64s(v, c.inputs[i].shape...)
		if withGrad {
			if err := xs[i].SetRequiresGrad(true); err != nil {
				t.Fatal(err)
			}
		}
	}
	y := c.f(s, xs)
	if err := s.Err(); err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	if r == nil {
		r = (*lcg)(ptr(uint64(len(c.name))+7)).uniform(int(y.Numel()), -1, 1)
	}
	w := s.FromFloat64s(r, y.Shape()...)
	l := s.Sum(s.Mul(y, w))
	lv, err := l.Item()
	if err != nil {
		t.Fatal(err)
	}
	if !withGrad {
		return lv, nil, r
	}
	if err := s.Backward(l); err != nil {
		t.Fatalf("%s: backward: %v", c.name, err)
	}
	grads := make([][]float64, len(xs))
	for i, x := range xs {
		g := s.Grad(x)
		if g == nil {
			grads[i] = make([]float64, len(vals[i]))
			continue
		}
		grads[i] = values64(t, g)
	}
	return lv, grads, r
}

func ptr(v uint64) *uint64 { return &v }

// runGradCheck compares autograd's gradient with central differences
// (f(x+h) − f(x−h))/2h, h = 1e-6. In float64 the truncation error is O(h²)·f”' ≈ 1e-12 and the
// rounding error ≈ 1e-16·|L|/h ≈ 1e-10·|L|, so agreement to 1e-6 relative is a strict test.
func runGradCheck(t *testing.T, c gradCase) {
	t.Helper()
	g := lcg(uint64(len(c.name))*7919 + 1)
	vals := make([][]float64, len(c.inputs))
	for i, in := range c.inputs {
		vals[i] = g.uniform(numel(in.shape), in.lo, in.hi)
	}
	_, grads, r := objective(t, c, vals, nil, true)
	const h = 1e-6
	for i := range vals {
		for j := range vals[i] {
			orig := vals[i][j]
			vals[i][j] = orig + h
			lp, _, _ := objective(t, c, vals, r, false)
			vals[i][j] = orig - h
			lm, _, _ := objective(t, c, vals, r, false)
			vals[i][j] = orig
			num := (lp - lm) / (2 * h)
			if math.Abs(num-grads[i][j]) > 1e-6*(1+math.Abs(num)) {
				t.Fatalf("%s: d/dx%d[%d]: got %v (autograd), want %v (finite differences)", c.name, i, j, grads[i][j], num)
			}
		}
	}
}

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	checkLive(t)
	f64 := torch.Opts{DType: torch.Float64}
	unary := func(name string, lo, hi float64, op func(s *torch.Scope, x *torch.Tensor) *torch.Tensor) gradCase {
		return gradCase{name: name, inputs: []input{in(lo, hi, 2, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor { return op(s, x[0]) }}
	}
	binary := func(name string, lo, hi float64, op func(s *torch.Scope, a, b *torch.Tensor) *torch.Tensor) gradCase {
		// b broadcasts over a's rows
		return gradCase{name: name, inputs: []input{in(lo, hi, 2, 3), in(lo, hi, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor { return op(s, x[0], x[1]) }}
	}
	cases := []gradCase{
		unary("Neg", -2, 2, (*torch.Scope).Neg),
		unary("Exp", -2, 2, (*torch.Scope).Exp),
		unary("Log", 0.5, 3, (*torch.Scope).Log),
		unary("Log1p", 0.1, 3, (*torch.Scope).Log1p),
		unary("Sqrt", 0.5, 3, (*torch.Scope).Sqrt),
		unary("Rsqrt", 0.5, 3, (*torch.Scope).Rsqrt),
		unary("Abs", 0.2, 2, (*torch.Scope).Abs),
		unary("Square", -2, 2, (*torch.Scope).Square),
		unary("Reciprocal", 0.5, 2, (*torch.Scope).Reciprocal),
		unary("Sin", -2, 2, (*torch.Scope).Sin),
		unary("Cos", -2, 2, (*torch.Scope).Cos),
		unary("Relu", 0.1, 2, (*torch.Scope).Relu),
		unary("ReluNeg", -2, -0.1, (*torch.Scope).Relu),
		unary("Silu", -3, 3, (*torch.Scope).Silu),
		unary("Sigmoid", -3, 3, (*torch.Scope).Sigmoid),
		unary("Tanh", -2, 2, (*torch.Scope).Tanh),
		unary("Gelu", -2, 2, (*torch.Scope).Gelu),
		unary("LogSigmoid", -4, 4, (*torch.Scope).LogSigmoid),
		unary("Softplus", -4, 4, (*torch.Scope).Softplus),
		unary("PowScalar", 0.5, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.PowScalar(x, 2.5) }),
		unary("AddScalar", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.AddScalar(x, 1.5) }),
		unary("SubScalar", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.SubScalar(x, 1.5) }),
		unary("MulScalar", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.MulScalar(x, -3) }),
		unary("DivScalar", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.DivScalar(x, 4) }),
		unary("Clamp", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Clamp(x, -2.5, 2.5) }),
		unary("ClampActive", 1, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.ClampMax(x, 0.5) }),
		unary("ClampMin", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.ClampMin(x, -3) }),
		unary("Softmax", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Softmax(x, 1) }),
		unary("LogSoftmax", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.LogSoftmax(x, 0) }),
		unary("Sum", -2, 2, (*torch.Scope).Sum),
		unary("SumDims", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.SumDims(x, true, 1) }),
		unary("Mean", -2, 2, (*torch.Scope).Mean),
		unary("MeanDims", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.MeanDims(x, false, 0) }),
		unary("Var", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Var(x, true, false, 1) }),
		unary("LogSumExp", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.LogSumExp(x, false, 1) }),
		unary("Norm", 0.2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Norm(x, 2, false, 1) }),
		unary("NormAll", 0.2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Norm(x, 2, false) }),
		unary("Normalize", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Normalize(x, 2, 1, 1e-12) }),
		unary("Max", -2, 2, (*torch.Scope).Max),
		unary("MaxDim", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { v, _ := s.MaxDim(x, 1, false); return v }),
		unary("TopK", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { v, _ := s.TopK(x, 2, 1, true); return v }),
		unary("Cumsum", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Cumsum(x, 1) }),
		unary("Reshape", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Exp(s.Reshape(x, 3, 2)) }),
		unary("Permute", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.Permute(x, 1, 0)) }),
		unary("Transpose", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.T(x)) }),
		unary("Flatten", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.Flatten(x, 0, -1)) }),
		unary("Slice", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.Slice(x, 1, 1, 3, 1)) }),
		unary("Narrow", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.Narrow(x, 1, 0, 2)) }),
		unary("Select", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.Select(x, 0, 1)) }),
		unary("Unsqueeze", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
			return s.Square(s.Squeeze(s.Unsqueeze(x, 0), 0))
		}),
		unary("Expand", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
			return s.Square(s.Expand(s.Unsqueeze(x, 0), 4, -1, -1))
		}),
		unary("Repeat", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.Repeat(x, 2, 1)) }),
		unary("Clone", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.Clone(x)) }),
		unary("Chunk", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
			c := s.Chunk(x, 3, 1)
			if len(c) != 3 {
				s.Failf("chunk: got %d pieces, want 3", len(c))
				return nil
			}
			return s.Mul(c[0], c[2])
		}),
		unary("IndexSelect", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
			return s.Square(s.IndexSelect(x, 1, s.FromInt64s([]int64{2, 0, 2})))
		}),
		unary("Index", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
			return s.Square(s.Index(x, s.FromInt64s([]int64{1, 0}), s.FromInt64s([]int64{2, 2})))
		}),
		unary("Gather", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
			return s.Square(s.Gather(x, 1, s.FromInt64s([]int64{0, 0, 2, 1}, 2, 2)))
		}),
		unary("MaskedFill", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
			return s.Square(s.MaskedFill(x, s.Reshape(s.GtScalar(s.Arange(f64, 0, 6, 1), 2.5), 2, 3), 0.5))
		}),
		unary("Where", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
			return s.Where(s.GtScalar(x, 0), s.Square(x), s.Exp(x))
		}),
		unary("Min", -2, 2, (*torch.Scope).Min),
		unary("MinDim", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { v, _ := s.MinDim(x, 0, true); return v }),
		unary("Sort", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { v, _ := s.Sort(x, 1, true); return s.Square(v) }),
		unary("Split", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
			p := s.Split(x, 2, 1)
			if len(p) != 2 {
				s.Failf("split: got %d pieces, want 2", len(p))
				return nil
			}
			return s.Cat(1, s.Square(p[0]), s.Exp(p[1]))
		}),
		unary("View", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.View(x, 6)) }),
		unary("Contiguous", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.Contiguous(s.T(x))) }),
		unary("Diag", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor { return s.Square(s.Diag(x)) }),
		unary("Dropout", -2, 2, func(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
			// the same seed before every evaluation gives the same mask, so f is deterministic
			if err := torch.ManualSeed(11); err != nil {
				s.Fail(err)
				return nil
			}
			return s.Dropout(s.Square(x), 0.5, true)
		}),
		{name: "ChannelsLastConv", inputs: []input{in(-1, 1, 1, 2, 4, 4), in(-1, 1, 3, 2, 3, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.Conv2d(s.ChannelsLast(x[0]), x[1], nil, torch.Conv2dOpts{Padding: [2]int64{2, 2}, Dilation: [2]int64{2, 2}})
		}},
		binary("Add", -2, 2, (*torch.Scope).Add),
		binary("AddScaled", -2, 2, func(s *torch.Scope, a, b *torch.Tensor) *torch.Tensor { return s.AddScaled(a, b, -0.5) }),
		binary("Sub", -2, 2, (*torch.Scope).Sub),
		binary("Mul", -2, 2, (*torch.Scope).Mul),
		binary("Div", 0.5, 2, (*torch.Scope).Div),
		binary("Pow", 0.5, 2, (*torch.Scope).Pow),
		binary("Maximum", -2, 2, (*torch.Scope).Maximum),
		binary("Minimum", -2, 2, (*torch.Scope).Minimum),
		binary("Lerp", -2, 2, func(s *torch.Scope, a, b *torch.Tensor) *torch.Tensor { return s.Lerp(a, b, 0.3) }),
		{name: "Cat", inputs: []input{in(-2, 2, 2, 3), in(-2, 2, 1, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.Square(s.Cat(0, x[0], x[1]))
		}},
		{name: "Stack", inputs: []input{in(-2, 2, 2, 3), in(-2, 2, 2, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.Square(s.Stack(1, x[0], x[1]))
		}},
		{name: "MatMul", inputs: []input{in(-1, 1, 2, 3, 4), in(-1, 1, 4, 2)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.MatMul(x[0], x[1])
		}},
		{name: "Mm", inputs: []input{in(-1, 1, 3, 4), in(-1, 1, 4, 2)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.Mm(x[0], x[1])
		}},
		{name: "Bmm", inputs: []input{in(-1, 1, 2, 2, 3), in(-1, 1, 2, 3, 2)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.Bmm(x[0], x[1])
		}},
		{name: "Linear", inputs: []input{in(-1, 1, 3, 4), in(-1, 1, 2, 4), in(-1, 1, 2)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.Linear(x[0], x[1], x[2])
		}},
		{name: "Conv2d", inputs: []input{in(-1, 1, 2, 2, 5, 5), in(-1, 1, 3, 2, 3, 3), in(-1, 1, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.Conv2d(x[0], x[1], x[2], torch.Conv2dOpts{Stride: [2]int64{2, 2}, Padding: [2]int64{1, 1}})
		}},
		{name: "Conv2dDepthwise", inputs: []input{in(-1, 1, 1, 4, 4, 4), in(-1, 1, 4, 1, 3, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.Conv2d(x[0], x[1], nil, torch.Conv2dOpts{Padding: [2]int64{1, 1}, Groups: 4, Dilation: [2]int64{1, 1}})
		}},
		{name: "BatchNormTrain", inputs: []input{in(-2, 2, 4, 3, 2, 2), in(0.5, 1.5, 3), in(-1, 1, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			rm := s.Zeros(f64, 3)
			rv := s.Ones(f64, 3)
			return s.BatchNorm(x[0], x[1], x[2], rm, rv, true, 0.1, 1e-5)
		}},
		{name: "BatchNormEval", inputs: []input{in(-2, 2, 2, 3, 2, 2), in(0.5, 1.5, 3), in(-1, 1, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			rm := s.FromFloat64s([]float64{0.1, -0.2, 0.3})
			rv := s.FromFloat64s([]float64{0.5, 2, 1})
			return s.BatchNorm(x[0], x[1], x[2], rm, rv, false, 0.1, 1e-5)
		}},
		{name: "MaxPool2d", inputs: []input{in(-2, 2, 1, 2, 4, 4)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.MaxPool2d(x[0], 3, 2, 1, false)
		}},
		{name: "AvgPool2d", inputs: []input{in(-2, 2, 1, 2, 4, 4)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.AvgPool2d(x[0], 2, 0, 0, false)
		}},
		{name: "AdaptiveAvgPool2d", inputs: []input{in(-2, 2, 2, 2, 3, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.AdaptiveAvgPool2d(x[0], 1, 1)
		}},
		{name: "ResizeBilinear", inputs: []input{in(-2, 2, 1, 2, 3, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.ResizeBilinear(x[0], 5, 4, false)
		}},
		{name: "KLDiv", inputs: []input{in(-2, 2, 2, 3), in(0.1, 1, 2, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.KLDiv(s.LogSoftmax(x[0], 1), x[1], torch.ReduceSum, false)
		}},
		{name: "CrossEntropy", inputs: []input{in(-2, 2, 3, 4)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.CrossEntropy(x[0], s.FromInt64s([]int64{0, 3, 1}), torch.ReduceMean, 0.1)
		}},
		{name: "BCEWithLogits", inputs: []input{in(-2, 2, 2, 3), in(0, 1, 2, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.BCEWithLogits(x[0], x[1], torch.ReduceNone)
		}},
		{name: "MSE", inputs: []input{in(-2, 2, 2, 3), in(-2, 2, 2, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			return s.MSE(x[0], x[1], torch.ReduceMean)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runGradCheck(t, c) })
	}
}

// TestInPlaceActivationGradients checks in-place ReLU/SiLU and an in-place residual addition
// under autograd against the same finite differences as the out-of-place ops.
func TestInPlaceActivationGradients(t *testing.T) {
	checkLive(t)
	cases := []gradCase{
		{name: "ReluInPlace", inputs: []input{in(-2, 2, 2, 3), in(0.5, 1.5, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			y := s.Mul(x[0], x[1]) // a non-leaf, as after a batch norm
			s.ReluInPlace(y)
			return y
		}},
		{name: "SiluInPlace", inputs: []input{in(-2, 2, 2, 3), in(0.5, 1.5, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			y := s.Mul(x[0], x[1])
			s.SiluInPlace(y)
			return y
		}},
		{name: "ResidualAddInPlace", inputs: []input{in(-2, 2, 2, 3), in(-2, 2, 2, 3)}, f: func(s *torch.Scope, x []*torch.Tensor) *torch.Tensor {
			y := s.Square(x[0])
			s.AddInPlace(y, x[1], 1)
			s.ReluInPlace(y)
			return y
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runGradCheck(t, c) })
	}
	// in-place on a tensor a backward function still needs is an error, not a wrong gradient
	s := torch.NewScope()
	defer s.Close()
	x := s.FromFloat64s([]float64{1, -2})
	x.SetRequiresGrad(true)
	y := s.Sigmoid(s.MulScalar(x, 1)) // sigmoid's backward uses its output
	s.ReluInPlace(y)
	s.Backward(s.Sum(y))
	if s.Err() == nil {
		t.Errorf("backward after modifying a saved output in place: got nil error")
	}
}
