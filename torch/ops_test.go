//go:build !notorch

package torch_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/scl-dev/scl/torch"
)

var f64 = torch.Opts{DType: torch.Float64}

// TestKnownValues checks ops against values computed by hand or in Go.
func TestKnownValues(t *testing.T) {
	checkLive(t)
	ln2 := math.Log(2)
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	cases := []struct {
		name string
		f    func(s *torch.Scope) *torch.Tensor
		want []float64
	}{
		{"Add broadcast", func(s *torch.Scope) *torch.Tensor {
			return s.Add(s.FromFloat64s([]float64{1, 2, 3, 4}, 2, 2), s.FromFloat64s([]float64{10, 20}, 2))
		}, []float64{11, 22, 13, 24}},
		{"Softmax", func(s *torch.Scope) *torch.Tensor { return s.Softmax(s.FromFloat64s([]float64{0, ln2}), 0) }, []float64{1.0 / 3, 2.0 / 3}},
		{"LogSigmoid", func(s *torch.Scope) *torch.Tensor { return s.LogSigmoid(s.FromFloat64s([]float64{0, 100, -100})) }, []float64{-ln2, 0, -100}},
		{"Sigmoid", func(s *torch.Scope) *torch.Tensor { return s.Sigmoid(s.FromFloat64s([]float64{0, 1})) }, []float64{0.5, sig(1)}},
		{"Silu", func(s *torch.Scope) *torch.Tensor { return s.Silu(s.FromFloat64s([]float64{2})) }, []float64{2 * sig(2)}},
		{"Relu", func(s *torch.Scope) *torch.Tensor { return s.Relu(s.FromFloat64s([]float64{-1, 0, 2})) }, []float64{0, 0, 2}},
		{"Pow", func(s *torch.Scope) *torch.Tensor { return s.PowScalar(s.FromFloat64s([]float64{2, 3}), 3) }, []float64{8, 27}},
		{"Clamp", func(s *torch.Scope) *torch.Tensor { return s.Clamp(s.FromFloat64s([]float64{-9, 0.5, 9}), 0, 5) }, []float64{0, 0.5, 5}},
		{"Eye", func(s *torch.Scope) *torch.Tensor { return s.Eye(f64, 2) }, []float64{1, 0, 0, 1}},
		{"Arange", func(s *torch.Scope) *torch.Tensor { return s.Arange(f64, 1, 2, 0.25) }, []float64{1, 1.25, 1.5, 1.75}},
		{"Full", func(s *torch.Scope) *torch.Tensor { return s.Full(f64, 7, 3) }, []float64{7, 7, 7}},
		{"SumDims", func(s *torch.Scope) *torch.Tensor {
			return s.SumDims(s.FromFloat64s([]float64{1, 2, 3, 4, 5, 6}, 2, 3), false, 1)
		}, []float64{6, 15}},
		{"MeanDims", func(s *torch.Scope) *torch.Tensor {
			return s.MeanDims(s.FromFloat64s([]float64{1, 2, 3, 4, 5, 6}, 2, 3), false, 0)
		}, []float64{2.5, 3.5, 4.5}},
		{"Var unbiased", func(s *torch.Scope) *torch.Tensor {
			return s.Var(s.FromFloat64s([]float64{1, 2, 3, 4}), true, false, 0)
		}, []float64{5.0 / 3}},
		{"LogSumExp", func(s *torch.Scope) *torch.Tensor {
			return s.LogSumExp(s.FromFloat64s([]float64{1000, 1000}), false, 0)
		}, []float64{1000 + ln2}},
		{"Norm", func(s *torch.Scope) *torch.Tensor { return s.Norm(s.FromFloat64s([]float64{3, 4}), 2, false) }, []float64{5}},
		{"Normalize", func(s *torch.Scope) *torch.Tensor {
			return s.Normalize(s.FromFloat64s([]float64{3, 4, 0, 0}, 2, 2), 2, 1, 1e-12)
		}, []float64{0.6, 0.8, 0, 0}},
		{"MatMul", func(s *torch.Scope) *torch.Tensor {
			return s.MatMul(s.FromFloat64s([]float64{1, 2, 3, 4}, 2, 2), s.FromFloat64s([]float64{5, 6}, 2))
		}, []float64{17, 39}},
		{"Linear", func(s *torch.Scope) *torch.Tensor {
			return s.Linear(s.FromFloat64s([]float64{1, 2}, 1, 2), s.FromFloat64s([]float64{1, 1, 1, -1}, 2, 2), s.FromFloat64s([]float64{10, 20}))
		}, []float64{13, 19}},
		{"Conv2d ones", func(s *torch.Scope) *torch.Tensor {
			// 3×3 input 1..9, 2×2 kernel of ones, no padding: sums of 2×2 windows
			x := s.FromFloat64s([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3)
			return s.Conv2d(x, s.Ones(f64, 1, 1, 2, 2), nil, torch.Conv2dOpts{})
		}, []float64{12, 16, 24, 28}},
		{"Conv2d padding stride", func(s *torch.Scope) *torch.Tensor {
			x := s.FromFloat64s([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3)
			return s.Conv2d(x, s.Ones(f64, 1, 1, 3, 3), s.FromFloat64s([]float64{100}), torch.Conv2dOpts{Padding: [2]int64{1, 1}, Stride: [2]int64{2, 2}})
		}, []float64{112, 116, 124, 128}},
		{"Conv2d depthwise", func(s *torch.Scope) *torch.Tensor {
			// two channels, each scaled by its own 1×1 kernel
			x := s.FromFloat64s([]float64{1, 2, 3, 4}, 1, 2, 1, 2)
			return s.Conv2d(x, s.FromFloat64s([]float64{10, -1}, 2, 1, 1, 1), nil, torch.Conv2dOpts{Groups: 2})
		}, []float64{10, 20, -3, -4}},
		{"MaxPool2d", func(s *torch.Scope) *torch.Tensor {
			return s.MaxPool2d(s.FromFloat64s([]float64{1, 5, 2, 0, 3, 4, 9, 1, 0, 0, 0, 0, 7, 8, 6, 2}, 1, 1, 4, 4), 2, 2, 0, false)
		}, []float64{5, 9, 8, 6}},
		{"AvgPool2d", func(s *torch.Scope) *torch.Tensor {
			return s.AvgPool2d(s.FromFloat64s([]float64{1, 5, 2, 0, 3, 4, 9, 1, 0, 0, 0, 0, 7, 8, 6, 2}, 1, 1, 4, 4), 2, 2, 0, false)
		}, []float64{13.0 / 4, 3, 15.0 / 4, 2}},
		{"AdaptiveAvgPool2d", func(s *torch.Scope) *torch.Tensor {
			return s.AdaptiveAvgPool2d(s.FromFloat64s([]float64{1, 2, 3, 4, 10, 20, 30, 40}, 1, 2, 2, 2), 1, 1)
		}, []float64{2.5, 25}},
		{"ResizeBilinear align corners", func(s *torch.Scope) *torch.Tensor {
			return s.ResizeBilinear(s.FromFloat64s([]float64{0, 3}, 1, 1, 1, 2), 1, 4, true)
		}, []float64{0, 1, 2, 3}},
		{"ResizeBilinear half pixel", func(s *torch.Scope) *torch.Tensor {
			// output x maps to input (x+0.5)/2−0.5: −0.25, 0.25, 0.75, 1.25, clamped to [0, 1]
			return s.ResizeBilinear(s.FromFloat64s([]float64{0, 4}, 1, 1, 1, 2), 1, 4, false)
		}, []float64{0, 1, 3, 4}},
		{"BatchNorm eval", func(s *torch.Scope) *torch.Tensor {
			x := s.FromFloat64s([]float64{1, 3}, 2, 1)
			return s.BatchNorm(x, s.FromFloat64s([]float64{2}), s.FromFloat64s([]float64{1}), s.FromFloat64s([]float64{1}), s.FromFloat64s([]float64{4}), false, 0.1, 0)
		}, []float64{1, 3}}, // (x − 1)/√4·2 + 1
		{"BatchNorm train", func(s *torch.Scope) *torch.Tensor {
			// batch mean 2, biased variance 1 → x̂ = ±1
			x := s.FromFloat64s([]float64{1, 3}, 2, 1)
			return s.BatchNorm(x, nil, nil, nil, nil, true, 0.1, 0)
		}, []float64{-1, 1}},
		{"KLDiv", func(s *torch.Scope) *torch.Tensor {
			p := []float64{0.5, 0.5}
			q := []float64{0.25, 0.75}
			return s.KLDiv(s.Log(s.FromFloat64s(p)), s.FromFloat64s(q), torch.ReduceSum, false)
		}, []float64{0.25*math.Log(0.25/0.5) + 0.75*math.Log(0.75/0.5)}},
		{"CrossEntropy", func(s *torch.Scope) *torch.Tensor {
			return s.CrossEntropy(s.FromFloat64s([]float64{0, ln2}, 1, 2), s.FromInt64s([]int64{1}), torch.ReduceMean, 0)
		}, []float64{-math.Log(2.0 / 3)}},
		{"Where", func(s *torch.Scope) *torch.Tensor {
			return s.Where(s.FromBools([]bool{true, false}), s.FromFloat64s([]float64{1, 2}), s.FromFloat64s([]float64{3, 4}))
		}, []float64{1, 4}},
		{"Cat", func(s *torch.Scope) *torch.Tensor {
			return s.Cat(1, s.FromFloat64s([]float64{1, 2}, 2, 1), s.FromFloat64s([]float64{3, 4}, 2, 1))
		}, []float64{1, 3, 2, 4}},
		{"Stack", func(s *torch.Scope) *torch.Tensor {
			return s.Stack(0, s.FromFloat64s([]float64{1, 2}), s.FromFloat64s([]float64{3, 4}))
		}, []float64{1, 2, 3, 4}},
		{"Permute", func(s *torch.Scope) *torch.Tensor {
			return s.Contiguous(s.Permute(s.FromFloat64s([]float64{1, 2, 3, 4, 5, 6}, 2, 3), 1, 0))
		}, []float64{1, 4, 2, 5, 3, 6}},
		{"Slice step", func(s *torch.Scope) *torch.Tensor { return s.Slice(s.Arange(f64, 0, 10, 1), 0, 1, 8, 3) }, []float64{1, 4, 7}},
		{"Index", func(s *torch.Scope) *torch.Tensor {
			return s.Index(s.FromFloat64s([]float64{1, 2, 3, 4, 5, 6}, 2, 3), nil, s.FromInt64s([]int64{2, 0}))
		}, []float64{3, 1, 6, 4}},
		{"Lerp", func(s *torch.Scope) *torch.Tensor {
			return s.Lerp(s.FromFloat64s([]float64{0, 10}), s.FromFloat64s([]float64{10, 0}), 0.25)
		}, []float64{2.5, 7.5}},
		{"To float64 from int", func(s *torch.Scope) *torch.Tensor { return s.To(s.FromInt64s([]int64{3, -2}), torch.Float64) }, []float64{3, -2}},
		{"Eq", func(s *torch.Scope) *torch.Tensor {
			return s.To(s.Eq(s.FromFloat64s([]float64{1, 2}), s.FromFloat64s([]float64{1, 3})), torch.Float64)
		}, []float64{1, 0}},
		{"IsFinite", func(s *torch.Scope) *torch.Tensor {
			return s.To(s.IsFinite(s.FromFloat64s([]float64{1, math.Inf(1), math.NaN()})), torch.Float64)
		}, []float64{1, 0, 0}},
		{"OneHot", func(s *torch.Scope) *torch.Tensor {
			return s.To(s.OneHot(s.FromInt64s([]int64{2, 0}), 3), torch.Float64)
		}, []float64{0, 0, 1, 1, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := torch.NewScope()
			defer s.Close()
			y := c.f(s)
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			// float64 arithmetic on a handful of values: agreement to 1e-12 relative
			closeTo(t, c.name, values64(t, y), c.want, 1e-12)
		})
	}
}

func TestIndicesAndShapes(t *testing.T) {
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	x := s.FromFloat64s([]float64{3, 1, 4, 1, 5, 9, 2, 6}, 2, 4)
	am := s.Argmax(x, 1, false)
	vals, idx := s.TopK(x, 2, 1, true)
	mv, mi := s.MaxDim(x, 0, false)
	perm := s.RandPerm(10, torch.CPU)
	cl := s.ChannelsLast(s.Zeros(torch.Opts{}, 2, 3, 4, 5))
	parts := s.Split(s.Arange(f64, 0, 5, 1), 2, 0)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"argmax", must((*torch.Tensor).Int64s)(t, am), []int64{2, 1}},
		{"topk values", must((*torch.Tensor).Float64s)(t, vals), []float64{4, 3, 9, 6}},
		{"topk indices", must((*torch.Tensor).Int64s)(t, idx), []int64{2, 0, 1, 3}},
		{"max values", must((*torch.Tensor).Float64s)(t, mv), []float64{5, 9, 4, 6}},
		{"max indices", must((*torch.Tensor).Int64s)(t, mi), []int64{1, 1, 0, 1}},
		{"shape", x.Shape(), []int64{2, 4}},
		{"strides", x.Strides(), []int64{4, 1}},
		{"channels-last strides", cl.Strides(), []int64{60, 1, 15, 3}},
		{"channels-last shape", cl.Shape(), []int64{2, 3, 4, 5}},
		{"split pieces", len(parts), 3},
		{"dtype", x.DType(), torch.Float64},
		{"device", x.Device(), torch.CPU},
		{"numel", x.Numel(), int64(8)},
	}
	for _, tc := range tests {
		if !equal(tc.got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	p, err := perm.Int64s()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, v := range p {
		seen[v] = true
	}
	if len(seen) != 10 {
		t.Errorf("randperm: got %v, want a permutation of 0..9", p)
	}
}

func must[E any](f func(*torch.Tensor) ([]E, error)) func(t *testing.T, x *torch.Tensor) []E {
	return func(t *testing.T, x *torch.Tensor) []E {
		t.Helper()
		v, err := f(x)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func equal(a, b any) bool {
	return strings.TrimSpace(sprint(a)) == strings.TrimSpace(sprint(b))
}

func TestDTypesRoundTrip(t *testing.T) {
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	f := s.FromFloat32s([]float32{1.5, -2.25, 3}, 3)
	for _, dt := range []torch.DType{torch.Float16, torch.BFloat16, torch.Float64, torch.Int64, torch.Int32, torch.Uint8, torch.Bool} {
		y := s.To(s.To(f, dt), torch.Float32)
		if err := s.Err(); err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		got, err := y.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		want := []float32{1.5, -2.25, 3} // exact in float16/bfloat16
		switch dt {
		case torch.Int64, torch.Int32:
			want = []float32{1, -2, 3}
		case torch.Uint8:
			want = []float32{1, 254, 3} // −2 wraps modulo 256
		case torch.Bool:
			want = []float32{1, 1, 1}
		}
		if sprint(got) != sprint(want) {
			t.Errorf("%v round trip: got %v, want %v", dt, got, want)
		}
	}
	raw, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	back := s.FromBytes(raw, torch.Float32, 3)
	v, err := back.Float32s()
	if err != nil || sprint(v) != sprint([]float32{1.5, -2.25, 3}) {
		t.Errorf("Bytes/FromBytes: got %v (%v), want [1.5 -2.25 3]", v, err)
	}
	if _, err := f.Int64s(); err == nil {
		t.Errorf("Int64s of a float32 tensor: got nil error, want a dtype error")
	}
}

func TestErrorsAreGoErrors(t *testing.T) {
	checkLive(t)
	cases := []struct {
		name string
		f    func(s *torch.Scope) *torch.Tensor
		want string
	}{
		{"shape mismatch", func(s *torch.Scope) *torch.Tensor {
			return s.Add(s.Zeros(torch.Opts{}, 2), s.Zeros(torch.Opts{}, 3))
		}, "must match the size"},
		{"matmul shapes", func(s *torch.Scope) *torch.Tensor {
			return s.Mm(s.Zeros(torch.Opts{}, 2, 3), s.Zeros(torch.Opts{}, 2, 3))
		}, "cannot be multiplied"},
		{"dtype mismatch", func(s *torch.Scope) *torch.Tensor {
			return s.Mm(s.Zeros(torch.Opts{}, 2, 2), s.Zeros(f64, 2, 2))
		}, "expected"},
		{"conv channels", func(s *torch.Scope) *torch.Tensor {
			return s.Conv2d(s.Zeros(torch.Opts{}, 1, 3, 4, 4), s.Zeros(torch.Opts{}, 2, 4, 3, 3), nil, torch.Conv2dOpts{})
		}, "channels"},
		{"out of memory", func(s *torch.Scope) *torch.Tensor { return s.Zeros(torch.Opts{}, 1<<40, 1<<10) }, "memory"},
		{"nil argument", func(s *torch.Scope) *torch.Tensor { return s.Relu(nil) }, "nil or closed tensor"},
		{"bad data length", func(s *torch.Scope) *torch.Tensor { return s.FromFloat32s([]float32{1, 2, 3}, 2, 2) }, "3 values for shape [2 2]"},
		{"unknown operator", func(s *torch.Scope) *torch.Tensor {
			r := s.Call("aten::no_such_op", "", torch.NewArgs())
			if len(r) > 0 {
				return r[0]
			}
			return nil
		}, "no_such_op"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := torch.NewScope()
			defer s.Close()
			y := c.f(s)
			err := s.Err()
			if err == nil || y != nil {
				t.Fatalf("got result %v, error %v; want nil and an error", y, err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "torch: ") {
				t.Errorf("error: got %q, want a \"torch: \" message containing %q", err, c.want)
			}
			// sticky: later ops do nothing and the first error stays
			if z := s.Ones(torch.Opts{}, 2); z != nil {
				t.Errorf("op after failure: got %v, want nil", z)
			}
			if err2 := s.Err(); err2 != err {
				t.Errorf("Err after a second op: got %v, want the first error %v", err2, err)
			}
		})
	}
	var te *torch.Error
	s := torch.NewScope()
	defer s.Close()
	s.Add(s.Zeros(torch.Opts{}, 2), s.Zeros(torch.Opts{}, 3))
	if !errors.As(s.Err(), &te) || te.Op != "aten::add.Tensor" {
		t.Errorf("errors.As *torch.Error: got %#v, want Op aten::add.Tensor", te)
	}
}

func TestScopeOwnership(t *testing.T) {
	checkLive(t)
	start := torch.LiveTensors()
	s := torch.NewScope()
	a := s.Ones(torch.Opts{}, 3)
	b := s.MulScalar(a, 2)
	kept := s.Keep(b)
	if got := torch.LiveTensors() - start; got != 2 {
		t.Errorf("live handles with two tensors: got %d, want 2", got)
	}
	s.Close()
	s.Close() // idempotent
	if got := torch.LiveTensors() - start; got != 1 {
		t.Errorf("live handles after Close with one kept: got %d, want 1", got)
	}
	if !a.Closed() || kept.Closed() {
		t.Errorf("after Close: a closed %v (want true), kept closed %v (want false)", a.Closed(), kept.Closed())
	}
	v, err := kept.Float32s()
	if err != nil || sprint(v) != "[2 2 2]" {
		t.Errorf("kept tensor: got %v (%v), want [2 2 2]", v, err)
	}
	// ops through a closed scope fail without touching native code
	if z := s.Ones(torch.Opts{}, 1); z != nil || !errors.Is(s.Err(), torch.ErrClosed) {
		t.Errorf("op on closed scope: got %v, %v; want nil, ErrClosed", z, s.Err())
	}
	s2 := torch.NewScope()
	s2.Adopt(kept)
	s2.Close()
	if !kept.Closed() {
		t.Errorf("adopted tensor: still open after its new scope closed")
	}
	kept.Close() // idempotent after the scope freed it
	var nilT *torch.Tensor
	nilT.Close()
	var nilS *torch.Scope
	nilS.Close()
	if nilT.Shape() != nil || nilT.String() != "Tensor[closed]" {
		t.Errorf("nil tensor accessors: got %v %q", nilT.Shape(), nilT.String())
	}
}
