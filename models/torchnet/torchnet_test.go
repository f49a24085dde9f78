//go:build !notorch

package torchnet

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/models/archtest"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
)

func TestNamesAndCounts(t *testing.T) {
	tests := []models.Config{
		{Arch: models.ResNet18},
		{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1},
		{Arch: models.ResNet50},
		{Arch: models.EfficientNetV2S},
		{Arch: models.EfficientNetB0},
	}
	for _, cfg := range tests {
		t.Run(string(cfg.Arch), func(t *testing.T) {
			m, err := New(cfg, torch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			enc, proj, _ := models.Networks(cfg)
			if got, want := m.Store.NumParams(), enc.NumParams()+proj.NumParams(); got != want {
				t.Errorf("got %d parameters in the store, want %d", got, want)
			}
			var want []string
			for _, p := range enc.Params() {
				want = append(want, models.EncoderPrefix+p.Name)
			}
			for _, p := range proj.Params() {
				want = append(want, models.ProjectorPrefix+p.Name)
			}
			var got []string
			for _, v := range m.Store.Vars() {
				got = append(got, v.Name)
			}
			if !slices.Equal(got, want) {
				t.Errorf("store names differ from the IR's state_dict order: got %d names, want %d", len(got), len(want))
			}
		})
	}
}

// TestInitStatistics checks torchvision's rules on large tensors: kaiming_normal_(fan_out) for
// convs (std √(2/fan_out)), U(±1/√fan_in) for Linear, ones/zeros for BatchNorm.
func TestInitStatistics(t *testing.T) {
	if err := torch.ManualSeed(3); err != nil {
		t.Fatal(err)
	}
	m, err := New(models.Config{Arch: models.ResNet18}, torch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	state, err := State(m.Store)
	if err != nil {
		t.Fatal(err)
	}
	stats := func(name string) (mean, std, maxAbs float64) {
		v, err := state[name].F32()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range v {
			mean += float64(x)
			maxAbs = max(maxAbs, math.Abs(float64(x)))
		}
		mean /= float64(len(v))
		for _, x := range v {
			std += (float64(x) - mean) * (float64(x) - mean)
		}
		return mean, math.Sqrt(std / float64(len(v))), maxAbs
	}
	// layer4.1.conv2: 512·512·9 ≈ 2.4M samples, so the std estimate is within ~0.1%.
	_, std, _ := stats("encoder.layer4.1.conv2.weight")
	if want := math.Sqrt(2.0 / (512 * 9)); math.Abs(std/want-1) > 0.01 {
		t.Errorf("conv std: got %.5g, want %.5g", std, want)
	}
	_, _, maxAbs := stats("projector.0.weight")
	if bound := 1 / math.Sqrt(512); maxAbs > bound || maxAbs < 0.99*bound {
		t.Errorf("linear max |w|: got %.5g, want just below %.5g", maxAbs, bound)
	}
	if mean, std, _ := stats("encoder.bn1.weight"); mean != 1 || std != 0 {
		t.Errorf("bn weight: got mean %g std %g, want 1, 0", mean, std)
	}
	if mean, std, _ := stats("encoder.bn1.running_var"); mean != 1 || std != 0 {
		t.Errorf("bn running_var: got mean %g std %g, want 1, 0", mean, std)
	}
}

// TestTorchvisionGolden loads the golden weights into libtorch networks of every encoder and
// the projector and compares their names, order and eval-mode outputs with torchvision's
// (models/testdata/torchvision_golden.json, written by scripts/torchvision_golden.py).
func TestTorchvisionGolden(t *testing.T) {
	g, err := archtest.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range append(g.Nets, g.Projector) {
		t.Run(n.Name(), func(t *testing.T) {
			cfg := models.Config{Arch: models.ResNet18, ProjectorHidden: 512, ProjectorOut: 64}
			if n.Arch != "projector" {
				cfg = n.Config()
			}
			enc, proj, err := models.Networks(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m, err := New(cfg, torch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			w := archtest.Weights(enc, models.EncoderPrefix)
			maps.Copy(w, archtest.Weights(proj, models.ProjectorPrefix))
			if err := LoadState(m.Store, w); err != nil {
				t.Fatal(err)
			}
			prefix, mod := models.EncoderPrefix, m.Encoder
			if n.Arch == "projector" {
				prefix, mod = models.ProjectorPrefix, m.Projector
			}
			names, shapes, err := n.Entries()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range m.Store.Vars() {
				if rest, ok := strings.CutPrefix(v.Name, prefix); ok {
					got = append(got, rest+fmt.Sprint(v.T.Shape()))
				}
			}
			var want []string
			for i := range names {
				want = append(want, names[i]+fmt.Sprint(shapes[i]))
			}
			if !slices.Equal(got, want) {
				t.Errorf("store holds %d tensors under %q, torchvision %d: names, shapes or order differ", len(got), prefix, len(want))
			}
			m.Store.SetTraining(false)
			s := torch.NewScope()
			defer s.Close()
			shape := make([]int64, len(n.InputShape))
			for i, d := range n.InputShape {
				shape[i] = int64(d)
			}
			out := mod.Forward(s.NoGrad(), s.FromFloat32s(n.InputValues(), shape...))
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			y, err := out.Float32s()
			if err != nil {
				t.Fatal(err)
			}
			rel, err := n.Compare(y)
			if err != nil {
				t.Fatal(err)
			}
			// Both float32; different kernels and summation orders over up to ~50 layers.
			if rel > 1e-5 {
				t.Errorf("output differs from torchvision's by %.3g relative to the largest, want ≤ 1e-5", rel)
			}
		})
	}
}

// TestProjectorTrainingMode checks training-mode BatchNorm1d against a direct computation:
// normalisation with the batch mean and biased variance, running statistics updated with
// momentum 0.1 and the unbiased variance, the batch counter incremented.
func TestProjectorTrainingMode(t *testing.T) {
	const batch, in, hidden, out = 6, 5, 4, 3
	proj := models.Projector(in, hidden, out)
	w := models.Init(proj, "", 1)
	models.RandomizeBatchNorm(proj, "", w, 2, 1)
	st := nn.NewStore(torch.CPU)
	defer st.Close()
	mod := Build(proj, st.Root())
	if err := LoadState(st, w); err != nil {
		t.Fatal(err)
	}
	x := randn(5, batch*in)
	s := torch.NewScope()
	defer s.Close()
	y := mod.Forward(s, s.FromFloat32s(x, batch, in))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	got, _ := y.Float32s()

	f32 := func(name string) []float32 { v, _ := w[name].F32(); return v }
	w0, gamma, beta, w3 := f32("0.weight"), f32("1.weight"), f32("1.bias"), f32("3.weight")
	rm, rv := f32("1.running_mean"), f32("1.running_var")
	h := make([]float64, batch*hidden)
	for b := 0; b < batch; b++ {
		for o := 0; o < hidden; o++ {
			for i := 0; i < in; i++ {
				h[b*hidden+o] += float64(w0[o*in+i]) * float64(x[b*in+i])
			}
		}
	}
	want := make([]float32, batch*out)
	newMean, newVar := make([]float64, hidden), make([]float64, hidden)
	for o := 0; o < hidden; o++ {
		var mean, v float64
		for b := 0; b < batch; b++ {
			mean += h[b*hidden+o]
		}
		mean /= batch
		for b := 0; b < batch; b++ {
			v += (h[b*hidden+o] - mean) * (h[b*hidden+o] - mean)
		}
		for b := 0; b < batch; b++ {
			z := (h[b*hidden+o]-mean)/math.Sqrt(v/batch+1e-5)*float64(gamma[o]) + float64(beta[o])
			h[b*hidden+o] = math.Max(z, 0)
		}
		newMean[o] = 0.9*float64(rm[o]) + 0.1*mean
		newVar[o] = 0.9*float64(rv[o]) + 0.1*v/(batch-1)
	}
	for b := 0; b < batch; b++ {
		for o := 0; o < out; o++ {
			var acc float64
			for i := 0; i < hidden; i++ {
				acc += float64(w3[o*hidden+i]) * h[b*hidden+i]
			}
			want[b*out+o] = float32(acc)
		}
	}
	compare(t, "training output", got, want, 1e-5)
	state, err := State(st)
	if err != nil {
		t.Fatal(err)
	}
	gm, _ := state["1.running_mean"].F32()
	gv, _ := state["1.running_var"].F32()
	compare(t, "running_mean", gm, f64to32(newMean), 1e-6)
	compare(t, "running_var", gv, f64to32(newVar), 1e-6)
	n, _ := state["1.num_batches_tracked"].I64()
	old, _ := w["1.num_batches_tracked"].I64()
	if n[0] != old[0]+1 {
		t.Errorf("num_batches_tracked: got %d, want %d", n[0], old[0]+1)
	}
}

func f64to32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func randn(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 99))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func compare(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	var diff, scale float64
	for i := range got {
		diff = max(diff, math.Abs(float64(got[i]-want[i])))
		scale = max(scale, math.Abs(float64(want[i])))
	}
	if diff > tol*max(1, scale) {
		t.Errorf("%s: max abs diff %.3g (values up to %.3g), want ≤ %.3g relative", what, diff, scale, tol)
	}
}

// TestStochasticDepth checks torchvision's StochasticDepth(mode="row") semantics: in training each
// sample's branch is either dropped (0) or scaled by 1/(1−p), about a fraction p dropped; in
// evaluation it is the identity.
func TestStochasticDepth(t *testing.T) {
	const p, batch, dim = 0.25, 400, 3
	net := &models.Network{Name: "sd", InputShape: []int{dim}, NumValues: 2, Output: 1, OutDim: dim,
		Nodes: []models.Node{{Op: models.OpStochasticDepth, Name: "sd", Inputs: []models.Value{0}, Output: 1, P: p}}}
	st := nn.NewStore(torch.CPU)
	defer st.Close()
	mod := Build(net, st.Root())
	x := make([]float32, batch*dim)
	for i := range x {
		x[i] = float32(i%7 + 1)
	}
	s := torch.NewScope()
	defer s.Close()
	if err := torch.ManualSeed(1); err != nil {
		t.Fatal(err)
	}
	yt, _ := mod.Forward(s, s.FromFloat32s(x, batch, dim)).Float32s()
	st.SetTraining(false)
	ye, _ := mod.Forward(s, s.FromFloat32s(x, batch, dim)).Float32s()
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	compare(t, "eval identity", ye, x, 0)
	dropped := 0
	for b := 0; b < batch; b++ {
		row := yt[b*dim : (b+1)*dim]
		zero := row[0] == 0
		for j, v := range row {
			want := x[b*dim+j] / (1 - p)
			if zero {
				want = 0
			}
			if math.Abs(float64(v-want)) > 1e-6*float64(want) {
				t.Fatalf("row %d: got %v, want the whole row dropped or scaled by 1/(1−p)", b, row)
			}
		}
		if zero {
			dropped++
		}
	}
	// Binomial(400, 0.25): mean 100, sd ≈ 8.7; ±5 sd.
	if dropped < 57 || dropped > 143 {
		t.Errorf("got %d of %d rows dropped, want about %d", dropped, batch, int(p*batch))
	}
}

// TestInPlaceReLUChoice checks which ReLUs may overwrite their input: every ReLU of the
// ResNet-18 encoder and of the projector (each reads a conv, batch norm or addition output that
// nothing else reads), but none whose input is the network's input, is read by another node, or
// is an output its producer's backward function needs (a sigmoid's).
func TestInPlaceReLUChoice(t *testing.T) {
	enc, proj, err := models.Networks(models.Config{Arch: models.ResNet18, Width: 8, ProjectorHidden: 16, ProjectorOut: 8})
	if err != nil {
		t.Fatal(err)
	}
	relu := func(in, out models.Value) models.Node {
		return models.Node{Op: models.OpReLU, Name: "relu", Inputs: []models.Value{in}, Output: out}
	}
	unary := func(op models.Op, in, out models.Value) models.Node {
		return models.Node{Op: op, Name: "n", Inputs: []models.Value{in}, Output: out}
	}
	tests := []struct {
		name string
		net  *models.Network
		want int // marked ReLUs; -1: every ReLU
	}{
		{"resnet18 encoder", enc, -1},
		{"projector", proj, -1},
		{"relu of the input", &models.Network{NumValues: 3, Output: 2,
			Nodes: []models.Node{relu(0, 1), unary(models.OpFlatten, 1, 2)}}, 0},
		{"input read twice", &models.Network{NumValues: 4, Output: 3,
			Nodes: []models.Node{unary(models.OpBatchNorm, 0, 1), relu(1, 2),
				{Op: models.OpAdd, Name: "add", Inputs: []models.Value{1, 2}, Output: 3}}}, 0},
		{"after a sigmoid", &models.Network{NumValues: 4, Output: 3,
			Nodes: []models.Node{unary(models.OpSigmoid, 0, 1), relu(1, 2), unary(models.OpFlatten, 2, 3)}}, 0},
		{"relu as the output", &models.Network{NumValues: 3, Output: 2,
			Nodes: []models.Node{unary(models.OpBatchNorm, 0, 1), relu(1, 2)}}, 0},
		{"after batch norm", &models.Network{NumValues: 4, Output: 3,
			Nodes: []models.Node{unary(models.OpBatchNorm, 0, 1), relu(1, 2), unary(models.OpFlatten, 2, 3)}}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			marks := inPlaceReLU(tc.net)
			got, relus := 0, 0
			for i, nd := range tc.net.Nodes {
				if nd.Op == models.OpReLU {
					relus++
				}
				if marks[i] {
					got++
				}
			}
			want := tc.want
			if want < 0 {
				want = relus
			}
			if got != want || relus == 0 {
				t.Errorf("%d of %d ReLUs marked in place, want %d", got, relus, want)
			}
		})
	}
}

// TestInPlaceReLUGradients checks that the in-place ReLUs leave a training step's output and
// every parameter's gradient as out-of-place ReLUs give them (the same kernels, so exactly).
func TestInPlaceReLUGradients(t *testing.T) {
	cfg := models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1, Width: 8,
		ProjectorHidden: 16, ProjectorOut: 8}
	m, err := New(cfg, torch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rng := rand.New(rand.NewPCG(7, 7))
	x := make([]float32, 4*1*8*8)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	// run returns the projection and the gradient of Σ projection·w for every parameter.
	run := func() ([]float32, map[string][]float32) {
		t.Helper()
		s := torch.NewScope()
		defer s.Close()
		for _, v := range m.Store.Vars() {
			if v.Param {
				if err := v.T.ZeroGrad(); err != nil {
					t.Fatal(err)
				}
			}
		}
		z := m.Projector.Forward(s, m.Encoder.Forward(s, s.FromFloat32s(x, 4, 1, 8, 8)))
		w := s.FromFloat32s(x[:4*8], 4, 8)
		if err := s.Backward(s.Sum(s.Mul(z, w))); err != nil {
			t.Fatal(err)
		}
		out, err := z.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		grads := map[string][]float32{}
		for _, v := range m.Store.Vars() {
			if !v.Param {
				continue
			}
			g, err := s.Grad(v.T).Float32s()
			if err != nil {
				t.Fatalf("%s: %v", v.Name, err)
			}
			grads[v.Name] = g
		}
		return out, grads
	}
	if !slices.Contains(m.Encoder.reluInPlace, true) || !slices.Contains(m.Projector.reluInPlace, true) {
		t.Fatal("no ReLU runs in place")
	}
	outIn, gradsIn := run()
	m.Encoder.reluInPlace = make([]bool, len(m.Encoder.reluInPlace))
	m.Projector.reluInPlace = make([]bool, len(m.Projector.reluInPlace))
	outOut, gradsOut := run()
	if !slices.Equal(outIn, outOut) {
		t.Errorf("projection differs with in-place ReLUs")
	}
	if len(gradsIn) == 0 {
		t.Fatal("no gradients")
	}
	for name, g := range gradsOut {
		if !slices.Equal(gradsIn[name], g) {
			t.Errorf("%s: gradient differs with in-place ReLUs", name)
		}
	}
}

// TestMixedLayouts: a channels-last model that keeps its small-map convolutions contiguous
// stores exactly those weights NCHW, converts activations only where the layout changes, and
// computes what the all-contiguous model computes (other kernels, so to rounding).
func TestMixedLayouts(t *testing.T) {
	cfg := models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, Width: 8, ProjectorHidden: 16, ProjectorOut: 8}
	smallMaps := func(c models.ConvSpec, out models.MapSize) bool { return out.H*out.W <= 4 } // 8×8 inputs: stages 3 and 4
	build := func(o Options) *Model {
		t.Helper()
		if err := torch.ManualSeed(5); err != nil {
			t.Fatal(err)
		}
		m, err := NewWith(cfg, torch.CPU, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	plain := build(Options{})
	mixed := build(Options{ChannelsLast: true, ContiguousConv: smallMaps, ViewSize: 8})

	wantNCHW := []string{"layer3.0.conv1", "layer3.0.conv2", "layer3.0.downsample.0", "layer3.1.conv1", "layer3.1.conv2",
		"layer4.0.conv1", "layer4.0.conv2", "layer4.0.downsample.0", "layer4.1.conv1", "layer4.1.conv2"}
	if got := mixed.ContiguousConvs(); !slices.Equal(got, wantNCHW) {
		t.Errorf("contiguous convolutions %v, want %v", got, wantNCHW)
	}
	for _, v := range mixed.Store.Vars() {
		if len(v.T.Shape()) != 4 {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(v.Name, "encoder."), ".weight")
		if sh := v.T.Shape(); sh[2]*sh[3] == 1 {
			continue // a 1×1 kernel's strides are the same in both layouts
		}
		channelsLast := v.T.Strides()[1] == 1
		if want := !slices.Contains(wantNCHW, name); channelsLast != want {
			t.Errorf("%s: strides %v, channels-last %v, want %v", v.Name, v.T.Strides(), channelsLast, want)
		}
	}
	// Conversions: into NCHW where stage 3 starts (its first conv and the shortcut's), nowhere else.
	var converted []string
	for i, nd := range mixed.Encoder.Net.Nodes {
		if mixed.Encoder.relayout[i] != layoutKeep {
			converted = append(converted, nd.Name)
		}
	}
	if want := []string{"layer3.0.conv1", "layer3.0.downsample.0"}; !slices.Equal(converted, want) {
		t.Errorf("inputs converted at %v, want %v", converted, want)
	}

	rng := rand.New(rand.NewPCG(3, 3))
	x := make([]float32, 4*3*8*8)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	run := func(m *Model, channelsLast bool) ([]float32, map[string][]float32) {
		t.Helper()
		s := torch.NewScope()
		defer s.Close()
		in := s.FromFloat32s(x, 4, 3, 8, 8)
		if channelsLast {
			in = s.ChannelsLast(in)
		}
		z := m.Projector.Forward(s, m.Encoder.Forward(s, in))
		if err := s.Backward(s.Sum(s.Mul(z, z))); err != nil {
			t.Fatal(err)
		}
		out, err := z.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		grads := map[string][]float32{}
		for _, v := range m.Store.Params() {
			if grads[v.Name], err = s.Grad(v.T).Float32s(); err != nil {
				t.Fatalf("%s: %v", v.Name, err)
			}
		}
		return out, grads
	}
	wantOut, wantGrads := run(plain, false)
	gotOut, gotGrads := run(mixed, true)
	near := func(what string, got, want []float32) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
		}
		scale := 0.0
		for _, w := range want {
			scale = math.Max(scale, math.Abs(float64(w)))
		}
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*scale+1e-6 {
				t.Fatalf("%s[%d]: %v, all-contiguous model %v", what, i, got[i], want[i])
			}
		}
	}
	near("projection", gotOut, wantOut)
	if len(wantGrads) == 0 {
		t.Fatal("no gradients")
	}
	for name, g := range wantGrads {
		near(name+" gradient", gotGrads[name], g)
	}
}

// TestPlanLayouts: a channels-last convolution after a contiguous one converts back.
func TestPlanLayouts(t *testing.T) {
	conv := func(name string, in, out models.Value) models.Node {
		return models.Node{Op: models.OpConv, Name: name, Inputs: []models.Value{in}, Output: out}
	}
	net := &models.Network{NumValues: 5, Output: 4, Nodes: []models.Node{
		conv("a", 0, 1), conv("b", 1, 2), {Op: models.OpReLU, Name: "r", Inputs: []models.Value{2}, Output: 3}, conv("c", 3, 4)}}
	tests := []struct {
		name         string
		channelsLast bool
		contiguous   []bool
		want         []layout
	}{
		{"channels-last, none contiguous", true, nil, []layout{layoutKeep, layoutKeep, layoutKeep, layoutKeep}},
		{"contiguous store", false, []bool{false, true, false, false}, []layout{layoutKeep, layoutKeep, layoutKeep, layoutKeep}},
		{"middle contiguous", true, []bool{false, true, false, false}, []layout{layoutKeep, layoutContiguous, layoutKeep, layoutChannelsLast}},
		{"first contiguous", true, []bool{true, true, false, false}, []layout{layoutContiguous, layoutKeep, layoutKeep, layoutChannelsLast}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := planLayouts(net, tc.channelsLast, tc.contiguous); !slices.Equal(got, tc.want) {
				t.Errorf("plan %v, want %v", got, tc.want)
			}
		})
	}
}
