package ptimport

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/export"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/safetensors"
)

// fixture is testdata/<name>.json, written with the .pth files and PyTorch's eval-mode outputs
// by scripts/torch-fixtures.py.
type fixture struct {
	Layout          string         `json:"layout"`
	Arch            models.Arch    `json:"arch"`
	Stem            models.Stem    `json:"stem"`
	Width           int            `json:"width"`
	WidthMult       float64        `json:"width_mult"`
	DepthMult       float64        `json:"depth_mult"`
	ProjectorHidden int            `json:"projector_hidden"`
	ProjectorOut    int            `json:"projector_out"`
	Tau             *float64       `json:"tau"`
	B               *float64       `json:"b"`
	Files           []string       `json:"files"`
	InputShape      []int64        `json:"input_shape"`
	Outputs         map[string]any `json:"outputs"`
}

func readFixture(t *testing.T, name string) fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func requireORT(t *testing.T) {
	t.Helper()
	if os.Getenv("SCL_ORT_LIB") == "" {
		if lib, _ := filepath.Abs("../.deps/lib/libonnxruntime.so.1"); fileExists(lib) {
			t.Setenv("SCL_ORT_LIB", lib)
		}
	}
	if err := export.InitORT(""); err != nil {
		t.Skipf("ONNX Runtime unavailable (%v): run scripts/setup.sh or set SCL_ORT_LIB", err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// runModel runs an exported model on x and returns its outputs by name.
func runModel(t *testing.T, path string, x []float32, shape []int64, outs map[string]int) map[string][]float32 {
	t.Helper()
	names := make([]string, 0, len(outs))
	for n := range outs {
		names = append(names, n)
	}
	sess, err := ort.NewDynamicAdvancedSession(path, []string{export.InputName}, names, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Destroy()
	in, err := ort.NewTensor(ort.NewShape(shape...), x)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Destroy()
	vals := make([]ort.Value, len(names))
	ts := make([]*ort.Tensor[float32], len(names))
	for i, n := range names {
		o, err := ort.NewEmptyTensor[float32](ort.NewShape(shape[0], int64(outs[n])))
		if err != nil {
			t.Fatal(err)
		}
		defer o.Destroy()
		vals[i], ts[i] = o, o
	}
	if err := sess.Run([]ort.Value{in}, vals); err != nil {
		t.Fatal(err)
	}
	res := map[string][]float32{}
	for i, n := range names {
		res[n] = append([]float32(nil), ts[i].GetData()...)
	}
	return res
}

// maxDiff is the largest |a−b| relative to max(1, |b|).
func maxDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]-b[i])) / math.Max(1, math.Abs(float64(b[i])))
		m = math.Max(m, d)
	}
	return m
}

// TestImportExportMatchesPyTorch imports every fixture (both torch.save formats), saves the scl
// checkpoint, exports it to ONNX and runs ONNX Runtime on PyTorch's input: the features (and the
// projection of the reference checkpoint) must match PyTorch's eval-mode outputs to 1e-5.
func TestImportExportMatchesPyTorch(t *testing.T) {
	requireORT(t)
	cases := []string{"reference_r18_cifar", "encoder_r18_cifar", "torchvision_r18", "torchvision_r50", "torchvision_effv2s"}
	for _, name := range cases {
		fx := readFixture(t, name)
		for _, file := range fx.Files {
			t.Run(file, func(t *testing.T) {
				res, err := Import(filepath.Join("testdata", file), Options{})
				if err != nil {
					t.Fatal(err)
				}
				ck := res.Checkpoint
				m := ck.Config.Model
				if string(m.Arch) != string(fx.Arch) || string(res.Provenance.Layout) != fx.Layout {
					t.Fatalf("inferred %s, layout %s; want %s, %s", m.Arch, res.Provenance.Layout, fx.Arch, fx.Layout)
				}
				if fx.Stem != "" && m.Stem != fx.Stem || fx.Width != 0 && m.Width != fx.Width {
					t.Errorf("inferred stem %s width %d, want %s %d", m.Stem, m.Width, fx.Stem, fx.Width)
				}
				if fx.WidthMult != 0 && (m.WidthMult != fx.WidthMult || m.DepthMult != fx.DepthMult) {
					t.Errorf("inferred width/depth multipliers %g/%g, want %g/%g", m.WidthMult, m.DepthMult, fx.WidthMult, fx.DepthMult)
				}
				if fx.Tau != nil && fx.Layout == string(Reference) {
					for n, want := range map[string]float64{TauName: *fx.Tau, BiasName: *fx.B} {
						v, err := ck.Online[n].F32()
						if err != nil || math.Abs(float64(v[0])-want) > 1e-6 {
							t.Errorf("%s = %v (%v), want %g", n, v, err, want)
						}
					}
				}
				dir := filepath.Join(t.TempDir(), "ckpt")
				ck.Config.Data.Height, ck.Config.Data.Width = int(fx.InputShape[2]), int(fx.InputShape[2])
				if err := checkpoint.Save(dir, ck); err != nil {
					t.Fatal(err)
				}
				x := readF32(t, filepath.Join("testdata", name+".input.f32"))
				_, withProj := fx.Outputs["projection"]
				for _, src := range []struct {
					role checkpoint.Role
					out  string
				}{{checkpoint.Target, "features"}, {checkpoint.Online, "online_features"}} {
					if _, ok := fx.Outputs[src.out]; !ok {
						continue
					}
					onnxPath := filepath.Join(t.TempDir(), "model.onnx")
					meta, err := export.Export(dir, onnxPath, export.Options{Source: src.role, WithProjector: withProj})
					if err != nil {
						t.Fatal(err)
					}
					outs := map[string]int{export.FeaturesName: atoi(t, meta[export.MetaFeatureDim])}
					if withProj {
						outs[export.ProjectionName] = atoi(t, meta[export.MetaProjectionDim])
					}
					got := runModel(t, onnxPath, x, fx.InputShape, outs)
					want := readF32(t, filepath.Join("testdata", name+"."+src.out+".f32"))
					if d := maxDiff(got[export.FeaturesName], want); d > 1e-5 || len(got[export.FeaturesName]) != len(want) {
						t.Errorf("%s %s: max difference %.3g over %d values (want ≤ 1e-5)", src.role, src.out, d, len(want))
					}
					if withProj && src.role == checkpoint.Target {
						want := readF32(t, filepath.Join("testdata", name+".projection.f32"))
						if d := maxDiff(got[export.ProjectionName], want); d > 1e-5 {
							t.Errorf("projection: max difference %.3g (want ≤ 1e-5)", d)
						}
					}
				}
			})
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("metadata %q is not a number", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// TestSafetensors writes the torchvision ResNet-18 fixture's tensors as a .safetensors file with
// the project's writer (Debian has no python safetensors package) and checks that importing it
// gives exactly the tensors of the .pth import.
func TestSafetensors(t *testing.T) {
	tensors, format, err := ReadTensors("testdata/torchvision_r18.pth")
	if err != nil || format != "zip" {
		t.Fatalf("got format %q, error %v", format, err)
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := safetensors.WriteFile(path, &safetensors.File{Tensors: tensors}); err != nil {
		t.Fatal(err)
	}
	a, err := Import("testdata/torchvision_r18.pth", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Import(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Provenance.Format != "safetensors" {
		t.Errorf("format %q, want safetensors", b.Provenance.Format)
	}
	if len(a.Checkpoint.Target) != len(b.Checkpoint.Target) {
		t.Fatalf("%d and %d tensors", len(a.Checkpoint.Target), len(b.Checkpoint.Target))
	}
	for k, x := range a.Checkpoint.Target {
		if y := b.Checkpoint.Target[k]; y == nil || string(x.Data) != string(y.Data) {
			t.Errorf("%s differs between the .pth and the .safetensors import", k)
		}
	}
}

// TestMismatch states an architecture the file does not hold, or feeds a damaged state dict:
// the error names the first tensor that does not fit.
func TestMismatch(t *testing.T) {
	tv, _, err := ReadTensors("testdata/torchvision_r18.pth")
	if err != nil {
		t.Fatal(err)
	}
	without := func(drop string) map[string]*safetensors.Tensor {
		out := map[string]*safetensors.Tensor{}
		for k, v := range tv {
			if k != drop {
				out[k] = v
			}
		}
		return out
	}
	bad := without("")
	bad["layer2.0.conv1.weight"] = safetensors.FromF32([]int64{1}, []float32{0})
	extra := without("")
	extra["layer5.0.conv1.weight"] = safetensors.FromF32([]int64{1}, []float32{0})
	tests := []struct {
		name    string
		tensors map[string]*safetensors.Tensor
		opts    Options
		want    string
	}{
		{"wrong arch", tv, Options{Model: models.Config{Arch: models.ResNet50}}, `tensor "layer1.0.conv1.weight" has shape [8 8 3 3], want [8 8 1 1]`},
		{"wrong stem", tv, Options{Model: models.Config{Stem: models.StemCIFAR}}, `tensor "conv1.weight" has shape [8 3 7 7], want [8 3 3 3]`},
		{"wrong shape", bad, Options{}, `tensor "layer2.0.conv1.weight" has shape [1]`},
		{"missing", without("layer3.1.bn2.weight"), Options{}, "encoder.layer3.1.bn2.weight missing"},
		{"extra", extra, Options{}, `tensor "layer5.0.conv1.weight"`},
		{"unknown layout", map[string]*safetensors.Tensor{"foo.weight": tv["conv1.weight"]}, Options{}, "unknown layout"},
		{"bad layout", tv, Options{Layout: "keras"}, `layout "keras"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.tensors, tc.opts, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestProvenance checks what config.json records about the import.
func TestProvenance(t *testing.T) {
	res, err := Import("testdata/torchvision_r18_legacy.pth", Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Checkpoint.Config.Import
	if p == nil || p.Format != "legacy" || p.Layout != "torchvision" || len(p.SHA256) != 64 || !strings.HasSuffix(p.File, "torchvision_r18_legacy.pth") {
		t.Fatalf("provenance %+v", p)
	}
	joined := strings.Join(p.Notes, "; ")
	for _, want := range []string{"dropped the classifier (fc.bias, fc.weight)", "initialised a new one", "copy of the imported encoder"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes %q lack %q", joined, want)
		}
	}
}

// TestInfersLastStageWidth imports a torchvision-layout state dict of a ResNet-18 whose fourth
// stage is wider than 8·width (scl's --last-stage-width): the configuration comes out of the
// tensor shapes alone.
func TestInfersLastStageWidth(t *testing.T) {
	want := models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1, Width: 8, LastStageWidth: 96}
	net, err := models.Encoder(want)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Build(models.Init(net, "", 1), Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := res.Config.Model
	if got.Width != 8 || got.LastStageWidth != 96 || got.Stem != models.StemCIFAR || got.InChannels != 1 {
		t.Errorf("inferred %+v, want width 8, last stage 96, CIFAR stem, 1 channel", got)
	}
}
