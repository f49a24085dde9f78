package onnx

import (
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

// convGAPModel builds images[B,C,H,W] → Conv(3×3, pad 1, bias) → Relu → GlobalAveragePool →
// Flatten → features[B,K], the example from the package documentation.
func convGAPModel(t *testing.T, c, k, h, w int, weight, bias []float32) *Model {
	t.Helper()
	g := NewGraph("conv_gap")
	x := g.Input("images", Float, Dim("batch"), Dim(c), Dim(h), Dim(w))
	wn := g.Initializer(FloatTensor("conv.weight", []int64{int64(k), int64(c), 3, 3}, weight))
	bn := g.Initializer(FloatTensor("conv.bias", []int64{int64(k)}, bias))
	y := g.Node("Conv", []string{x, wn, bn}, AttrInts("kernel_shape", 3, 3), AttrInts("pads", 1, 1, 1, 1), AttrInts("strides", 1, 1))
	y = g.Node("Relu", []string{y})
	y = g.Node("GlobalAveragePool", []string{y})
	g.NodeNamed("Flatten", "features", []string{y}, AttrInt("axis", 1))
	g.Output("features", Float, Dim("batch"), Dim(k))
	return &Model{Graph: g, Metadata: map[string]string{"image_size": "5", "channel_order": "RGB"}}
}

// naiveConvGAP is an independent loop implementation of the same computation.
func naiveConvGAP(x []float32, b, c, k, h, w int, weight, bias []float32) []float32 {
	out := make([]float32, b*k)
	for n := 0; n < b; n++ {
		for o := 0; o < k; o++ {
			var sum float64
			for i := 0; i < h; i++ {
				for j := 0; j < w; j++ {
					acc := float64(bias[o])
					for ci := 0; ci < c; ci++ {
						for di := -1; di <= 1; di++ {
							for dj := -1; dj <= 1; dj++ {
								ii, jj := i+di, j+dj
								if ii < 0 || jj < 0 || ii >= h || jj >= w {
									continue
								}
								acc += float64(weight[((o*c+ci)*3+di+1)*3+dj+1]) * float64(x[((n*c+ci)*h+ii)*w+jj])
							}
						}
					}
					sum += math.Max(acc, 0)
				}
			}
			out[n*k+o] = float32(sum / float64(h*w))
		}
	}
	return out
}

func randFloats(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	m := convGAPModel(t, 3, 4, 5, 5, randFloats(r, 4*3*9), randFloats(r, 4))
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.IRVersion != DefaultIRVersion || got.Opset != DefaultOpset || got.ProducerName != "scl" {
		t.Errorf("got ir %d opset %d producer %q, want %d %d scl", got.IRVersion, got.Opset, got.ProducerName, DefaultIRVersion, DefaultOpset)
	}
	if !reflect.DeepEqual(got.Metadata, m.Metadata) {
		t.Errorf("got metadata %v, want %v", got.Metadata, m.Metadata)
	}
	if !reflect.DeepEqual(got.Graph.Inputs, m.Graph.Inputs) || !reflect.DeepEqual(got.Graph.Outputs, m.Graph.Outputs) {
		t.Errorf("got inputs %v outputs %v, want %v %v", got.Graph.Inputs, got.Graph.Outputs, m.Graph.Inputs, m.Graph.Outputs)
	}
	if !reflect.DeepEqual(got.Graph.Initializers, m.Graph.Initializers) {
		t.Errorf("initializers differ after round trip")
	}
	if len(got.Graph.Nodes) != len(m.Graph.Nodes) {
		t.Fatalf("got %d nodes, want %d", len(got.Graph.Nodes), len(m.Graph.Nodes))
	}
	for i, n := range got.Graph.Nodes {
		if !reflect.DeepEqual(n, m.Graph.Nodes[i]) {
			t.Errorf("node %d: got %+v, want %+v", i, n, m.Graph.Nodes[i])
		}
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func(g *Graph)
	}{
		{"undefined input", func(g *Graph) {
			x := g.Input("x", Float, Dim(1))
			g.NodeNamed("Add", "y", []string{x, "missing"})
			g.Output("y", Float, Dim(1))
		}},
		{"duplicate value", func(g *Graph) {
			x := g.Input("x", Float, Dim(1))
			g.NodeNamed("Relu", "x", []string{x})
			g.Output("x", Float, Dim(1))
		}},
		{"output not produced", func(g *Graph) {
			g.Input("x", Float, Dim(1))
			g.Output("y", Float, Dim(1))
		}},
		{"wrong tensor size", func(g *Graph) {
			x := g.Input("x", Float, Dim(2))
			w := g.Initializer(FloatTensor("w", []int64{3}, []float32{1, 2}))
			g.NodeNamed("Add", "y", []string{x, w})
			g.Output("y", Float, Dim(2))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGraph("bad")
			tc.build(g)
			if _, err := (&Model{Graph: g}).Marshal(); err == nil {
				t.Errorf("got nil error, want a validation error")
			} else {
				t.Log(err)
			}
		})
	}
}

// initORT loads ONNX Runtime from $SCL_ORT_LIB or skips the test.
func initORT(t *testing.T) {
	t.Helper()
	lib := os.Getenv("SCL_ORT_LIB")
	if lib == "" {
		lib = "../.deps/lib/libonnxruntime.so.1"
	}
	if _, err := os.Stat(lib); err != nil {
		t.Skipf("ONNX Runtime library not found at %s: run scripts/setup.sh or set SCL_ORT_LIB", lib)
	}
	if !ort.IsInitialized() {
		ort.SetSharedLibraryPath(lib)
		if err := ort.InitializeEnvironment(); err != nil {
			t.Fatalf("initialise ONNX Runtime from %s: %v", lib, err)
		}
	}
}

func TestConvGAPInONNXRuntime(t *testing.T) {
	initORT(t)
	const c, k, h, w = 3, 4, 5, 6
	r := rand.New(rand.NewSource(2))
	weight, bias := randFloats(r, k*c*9), randFloats(r, k)
	m := convGAPModel(t, c, k, h, w, weight, bias)
	path := filepath.Join(t.TempDir(), "conv_gap.onnx")
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	sess, err := ort.NewDynamicAdvancedSession(path, []string{"images"}, []string{"features"}, nil)
	if err != nil {
		t.Fatalf("ONNX Runtime rejected the model: %v", err)
	}
	defer sess.Destroy()
	for _, batch := range []int{1, 3} {
		x := randFloats(r, batch*c*h*w)
		in, err := ort.NewTensor(ort.NewShape(int64(batch), c, h, w), x)
		if err != nil {
			t.Fatal(err)
		}
		out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(batch), k))
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
			t.Fatal(err)
		}
		want := naiveConvGAP(x, batch, c, k, h, w, weight, bias)
		for i, g := range out.GetData() {
			// float32 accumulation over 27 products: relative error ~1e-6.
			if math.Abs(float64(g-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
				t.Errorf("batch %d element %d: got %v, want %v", batch, i, g, want[i])
			}
		}
		in.Destroy()
		out.Destroy()
	}
	meta, err := ort.GetModelMetadata(path)
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Destroy()
	v, ok, err := meta.LookupCustomMetadataMap("image_size")
	if err != nil || !ok || v != "5" {
		t.Errorf("got metadata image_size %q (found %v, err %v), want \"5\"", v, ok, err)
	}
}
