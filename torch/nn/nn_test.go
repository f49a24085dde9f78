//go:build !notorch

package nn_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
	"github.com/scl-dev/scl/torch/torchtest"
)

func vals(t *testing.T, x *torch.Tensor) []float32 {
	t.Helper()
	v, err := x.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func stats(v []float32) (mean, std, maxAbs float64) {
	for _, x := range v {
		mean += float64(x)
		if a := math.Abs(float64(x)); a > maxAbs {
			maxAbs = a
		}
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (float64(x) - mean) * (float64(x) - mean)
	}
	return mean, math.Sqrt(std / float64(len(v))), maxAbs
}

func TestNamesOrderAndShapes(t *testing.T) {
	torchtest.CheckLive(t)
	st := nn.NewStore(torch.CPU)
	defer st.Close()
	root := st.Root()
	nn.NewConv2d(root.Sub("conv1"), 3, 8, 3, nn.Conv2dConfig{Padding: 1})
	nn.NewBatchNorm2d(root.Sub("bn1"), 8)
	nn.NewLinear(root.Sub("layer1").Sub("0").Sub("fc"), 8, 4, true)
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"conv1.weight [8 3 3 3] param",
		"bn1.weight [8] param", "bn1.bias [8] param",
		"bn1.running_mean [8] buffer", "bn1.running_var [8] buffer", "bn1.num_batches_tracked [] buffer",
		"layer1.0.fc.weight [4 8] param", "layer1.0.fc.bias [4] param",
	}
	var got []string
	for _, v := range st.Vars() {
		kind := "buffer"
		if v.Param {
			kind = "param"
		}
		got = append(got, v.Name+" "+fmt.Sprint(v.T.Shape())+" "+kind)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("vars:\ngot  %v\nwant %v", got, want)
	}
	if n := st.NumParams(); n != 8*3*9+8+8+32+4 {
		t.Errorf("NumParams: got %d, want %d", n, 8*3*9+8+8+32+4)
	}
	if dt := st.Var("bn1.num_batches_tracked").T.DType(); dt != torch.Int64 {
		t.Errorf("num_batches_tracked dtype: got %v, want int64", dt)
	}
	if !st.Var("conv1.weight").T.RequiresGrad() || st.Var("bn1.running_mean").T.RequiresGrad() {
		t.Errorf("requires_grad: parameters must, buffers must not")
	}
	// registering a name twice is an error
	nn.NewLinear(root.Sub("layer1").Sub("0").Sub("fc"), 8, 4, true)
	if err := st.Err(); err == nil || !strings.Contains(err.Error(), "registered twice") {
		t.Errorf("duplicate name: got %v, want a \"registered twice\" error", err)
	}
}

// TestInitialisers checks the defaults against PyTorch's formulas on large tensors: a uniform
// U(−b, b) has max |w| → b and std b/√3; a normal N(0, σ²) has std σ. With 10⁵ samples the
// sample std is within ~1% of σ (relative standard error 1/√(2n) ≈ 0.2%).
func TestInitialisers(t *testing.T) {
	torchtest.CheckLive(t)
	if err := torch.ManualSeed(1); err != nil {
		t.Fatal(err)
	}
	st := nn.NewStore(torch.CPU)
	defer st.Close()
	root := st.Root()
	conv := nn.NewConv2d(root.Sub("conv"), 64, 256, 3, nn.Conv2dConfig{Bias: true})
	lin := nn.NewLinear(root.Sub("fc"), 400, 300, true)
	kn := root.Param("kn", nn.KaimingNormal(nn.FanOut), 256, 64, 3, 3)
	bn := nn.NewBatchNorm2d(root.Sub("bn"), 16)
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	convBound := 1 / math.Sqrt(64*9)
	linBound := 1 / math.Sqrt(400)
	cases := []struct {
		name           string
		x              *torch.Tensor
		uniform, sigma float64 // uniform bound, or normal σ when uniform is 0
	}{
		{"conv weight kaiming_uniform(a=√5)", conv.W, convBound, 0},
		{"conv bias 1/√fan_in", conv.B, convBound, 0},
		{"linear weight", lin.W, linBound, 0},
		{"linear bias", lin.B, linBound, 0},
		{"kaiming_normal fan_out relu", kn, 0, math.Sqrt(2.0 / (256 * 9))},
	}
	for _, c := range cases {
		mean, std, maxAbs := stats(vals(t, c.x))
		if c.uniform > 0 {
			if maxAbs > c.uniform || maxAbs < 0.95*c.uniform {
				t.Errorf("%s: max |w| got %v, want just below %v", c.name, maxAbs, c.uniform)
			}
			if math.Abs(std-c.uniform/math.Sqrt(3)) > 0.1*c.uniform/math.Sqrt(3) {
				t.Errorf("%s: std got %v, want %v", c.name, std, c.uniform/math.Sqrt(3))
			}
		} else if math.Abs(std-c.sigma) > 0.01*c.sigma || math.Abs(mean) > 0.01*c.sigma {
			t.Errorf("%s: mean, std got %v, %v, want 0, %v", c.name, mean, std, c.sigma)
		}
	}
	for name, want := range map[*torch.Tensor]float32{bn.W: 1, bn.B: 0, bn.RunningMean: 0, bn.RunningVar: 1} {
		for _, v := range vals(t, name) {
			if v != want {
				t.Fatalf("batch norm init: got %v, want %v", v, want)
			}
		}
	}
}

// TestBatchNormModes checks running statistics in training (momentum 0.1, unbiased variance)
// and their use in evaluation.
func TestBatchNormModes(t *testing.T) {
	torchtest.CheckLive(t)
	st := nn.NewStore(torch.CPU)
	defer st.Close()
	bn := nn.NewBatchNorm2d(st.Root().Sub("bn"), 1)
	s := torch.NewScope()
	defer s.Close()
	x := s.FromFloat32s([]float32{1, 2, 3, 6}, 4, 1, 1, 1) // mean 3, unbiased var 14/3
	bn.Forward(s, x)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	rm, rv := vals(t, bn.RunningMean)[0], vals(t, bn.RunningVar)[0]
	if math.Abs(float64(rm)-0.3) > 1e-6 || math.Abs(float64(rv)-(0.9+0.1*14.0/3)) > 1e-6 {
		t.Errorf("running stats after one batch: got %v, %v; want 0.3, %v", rm, rv, 0.9+0.1*14.0/3)
	}
	n, err := bn.NumBatchesTracked.Int64s()
	if err != nil || n[0] != 1 {
		t.Errorf("num_batches_tracked: got %v (%v), want 1", n, err)
	}
	st.SetTraining(false)
	y := vals(t, bn.Forward(s, x))
	for i, xi := range []float64{1, 2, 3, 6} {
		want := (xi - float64(rm)) / math.Sqrt(float64(rv)+1e-5)
		if math.Abs(float64(y[i])-want) > 1e-5 {
			t.Errorf("eval output[%d]: got %v, want %v", i, y[i], want)
		}
	}
	if n, _ := bn.NumBatchesTracked.Int64s(); n[0] != 1 {
		t.Errorf("num_batches_tracked after eval: got %v, want 1", n)
	}
}

func TestStateDictRoundTrip(t *testing.T) {
	torchtest.CheckLive(t)
	build := func() (*nn.Store, *nn.Conv2d) {
		st := nn.NewStore(torch.CPU)
		c := nn.NewConv2d(st.Root().Sub("c"), 2, 3, 1, nn.Conv2dConfig{Bias: true})
		nn.NewBatchNorm2d(st.Root().Sub("bn"), 3)
		return st, c
	}
	a, ca := build()
	defer a.Close()
	b, cb := build()
	defer b.Close()
	if err := b.Load(a.StateDict()); err != nil {
		t.Fatal(err)
	}
	if sa, sb := vals(t, ca.W), vals(t, cb.W); sprint(sa) != sprint(sb) {
		t.Errorf("weights after Load: got %v, want %v", sb, sa)
	}
	s := torch.NewScope()
	defer s.Close()
	bad := a.StateDict()
	bad["c.weight"] = s.Zeros(torch.Opts{}, 9)
	if err := b.Load(bad); err == nil || !strings.Contains(err.Error(), "c.weight") {
		t.Errorf("Load with a wrong shape: got %v, want an error naming c.weight", err)
	}
	delete(bad, "c.weight")
	if err := b.Load(bad); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Load with a missing entry: got %v, want a missing error", err)
	}
}

func sprint(v any) string { return fmt.Sprint(v) }

// TestChannelsLastStore checks that a channels-last store lays its 4-D variables out NHWC
// (strides C·H·W… as torch.channels_last gives them) with the values a default store draws
// from the same seed, and leaves other variables alone.
func TestChannelsLastStore(t *testing.T) {
	build := func(cl bool) (*nn.Store, *torch.Tensor, *torch.Tensor) {
		if err := torch.ManualSeed(7); err != nil {
			t.Fatal(err)
		}
		st := nn.NewStore(torch.CPU)
		st.SetChannelsLast(cl)
		w := st.Root().Param("conv", nn.KaimingNormal(nn.FanOut), 4, 3, 2, 5)
		b := st.Root().Param("bias", nn.Const(0.5), 4)
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		return st, w, b
	}
	def, wd, _ := build(false)
	defer def.Close()
	nhwc, wc, bc := build(true)
	defer nhwc.Close()
	// NCHW [4,3,2,5] in channels-last memory: strides (C·H·W, 1, W·C, C).
	if got, want := fmt.Sprint(wc.Strides()), fmt.Sprint([]int64{30, 1, 15, 3}); got != want {
		t.Errorf("channels-last conv strides %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(wd.Strides()), fmt.Sprint([]int64{30, 10, 5, 1}); got != want {
		t.Errorf("default conv strides %s, want %s", got, want)
	}
	a, err := wd.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	b, err := wc.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("value %d: %v in the default store, %v channels-last", i, a[i], b[i])
		}
	}
	if !wc.RequiresGrad() || len(bc.Shape()) != 1 || nhwc.NumParams() != def.NumParams() {
		t.Errorf("channels-last store: requires grad %v, params %d vs %d", wc.RequiresGrad(), nhwc.NumParams(), def.NumParams())
	}
}
