package export

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/onnx"
	"github.com/scl-dev/scl/preprocess"
	"github.com/scl-dev/scl/safetensors"
)

// testCase is an architecture exported at a small resolution to keep CPU time low.
type testCase struct {
	name string
	cfg  models.Config
	size int
	data checkpoint.Preprocessing
}

func rgb(size int) checkpoint.Preprocessing {
	return preprocess.Default(size, 3, "")
}

func cases() []testCase {
	return []testCase{
		{"resnet18", models.Config{Arch: models.ResNet18}, 32, rgb(32)},
		{"resnet18_cifar", models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR}, 16, rgb(16)},
		{"resnet18_grey_narrow", models.Config{Arch: models.ResNet18, InChannels: 1, Width: 16, LastStageWidth: 40, ProjectorHidden: 32, ProjectorOut: 8}, 28,
			checkpoint.Preprocessing{Height: 28, Width: 28, Channels: 1, Mean: []float32{0.286}, Std: []float32{0.353}, Order: "L", Dataset: "fashion_mnist"}},
		{"resnet50", models.Config{Arch: models.ResNet50}, 32, rgb(32)},
		{"resnet50_cifar_narrow", models.Config{Arch: models.ResNet50, Stem: models.StemCIFAR, Width: 8}, 16, rgb(16)},
		{"efficientnet_v2_s", models.Config{Arch: models.EfficientNetV2S}, 32, rgb(32)},
		{"efficientnet_b0", models.Config{Arch: models.EfficientNetB0}, 32, rgb(32)},
	}
}

// writeCheckpoint saves a fresh checkpoint whose target network has random BatchNorm statistics
// (so eval-mode BatchNorm matters) that differ from the online network's.
func writeCheckpoint(t *testing.T, tc testCase, seed uint64) string {
	t.Helper()
	c, err := checkpoint.New(tc.cfg, tc.data, seed)
	if err != nil {
		t.Fatal(err)
	}
	enc, proj, err := models.Networks(tc.cfg)
	if err != nil {
		t.Fatal(err)
	}
	models.RandomizeBatchNorm(enc, models.EncoderPrefix, c.Target, seed+100, 0.5)
	models.RandomizeBatchNorm(proj, models.ProjectorPrefix, c.Target, seed+200, 0.5)
	// Random statistics let ResNet-50's 16 residual additions grow features to ~80, where
	// float32 rounding alone nears the absolute 1e-4 tolerance; trained networks stay far
	// smaller. Scale the residual branches' last BatchNorm (bn3) down, as a mild form of
	// torchvision's zero_init_residual, to keep features O(10).
	for _, nd := range enc.Nodes {
		if nd.Op == models.OpBatchNorm && strings.HasSuffix(nd.Name, ".bn3") {
			name := models.EncoderPrefix + nd.Name + ".weight"
			g, _ := c.Target[name].F32()
			for i := range g {
				g[i] *= 0.3
			}
			c.Target[name] = safetensors.FromF32(c.Target[name].Shape, g)
		}
	}
	c.Config.Step = 4242
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := checkpoint.Save(dir, c); err != nil {
		t.Fatal(err)
	}
	return dir
}

func requireORT(t *testing.T) {
	t.Helper()
	if os.Getenv("SCL_ORT_LIB") == "" {
		if lib, _ := filepath.Abs("../.deps/lib/libonnxruntime.so.1"); fileExists(lib) {
			t.Setenv("SCL_ORT_LIB", lib)
		}
	}
	if err := InitORT(""); err != nil {
		t.Skipf("ONNX Runtime unavailable (%v): run scripts/setup.sh or set SCL_ORT_LIB", err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestExportMatchesGoReference checks ONNX Runtime against the pure-Go evaluator (itself checked
// against torchvision in package models), the reference of -tags notorch builds. The slow Go
// evaluator gets the cheap cases; TestExportMatchesLibtorch covers every full-size network.
func TestExportMatchesGoReference(t *testing.T) {
	requireORT(t)
	for i, tc := range cases() {
		if !strings.Contains(tc.name, "narrow") && tc.name != "efficientnet_b0" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			dir := writeCheckpoint(t, tc, uint64(i+1))
			out := filepath.Join(t.TempDir(), "model.onnx")
			if _, err := Export(dir, out, Options{WithProjector: true}); err != nil {
				t.Fatal(err)
			}
			res, err := Verify(dir, out, VerifyOptions{Reference: GoReference})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range res.Checks {
				t.Logf("batch %d %s: max abs diff %.3g (outputs up to %.3g)", c.Batch, c.Output, c.MaxAbsDiff, c.MaxAbs)
			}
			if len(res.Checks) != 4 {
				t.Errorf("got %d checks, want 4 (2 batch sizes × features, projection)", len(res.Checks))
			}
		})
	}
}

// TestFoldingIsExact compares the folded export with the one keeping BatchNormalization nodes,
// both in ONNX Runtime: folding may change rounding only (≤ 1e-5).
func TestFoldingIsExact(t *testing.T) {
	requireORT(t)
	for i, tc := range cases() {
		if tc.name != "resnet18_cifar" && tc.name != "efficientnet_b0" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			dir := writeCheckpoint(t, tc, uint64(i+1))
			folded := filepath.Join(t.TempDir(), "folded.onnx")
			kept := filepath.Join(t.TempDir(), "kept.onnx")
			if _, err := Export(dir, folded, Options{WithProjector: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := Export(dir, kept, Options{WithProjector: true, KeepBatchNorm: true}); err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{folded, kept} {
				m, err := onnx.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, nd := range m.Graph.Nodes {
					if nd.OpType == "BatchNormalization" {
						n++
					}
				}
				if want := path == kept; (n > 0) != want {
					t.Errorf("%s: got %d BatchNormalization nodes, want some: %v", filepath.Base(path), n, want)
				}
			}
			res, err := Verify(dir, folded, VerifyOptions{Tolerance: 1e-5, Reference: func(cfg *checkpoint.Config, _ map[string]*safetensors.Tensor, withProj bool) (Reference, error) {
				return newORTReference(kept, cfg, withProj)
			}})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("folded vs kept BatchNorm: max abs diff %.3g", res.MaxAbsDiff)
		})
	}
}

func TestMetadata(t *testing.T) {
	tc := cases()[2]
	dir := writeCheckpoint(t, tc, 9)
	out := filepath.Join(t.TempDir(), "model.onnx")
	if _, err := Export(dir, out, Options{WithProjector: true}); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Opset < 17 {
		t.Errorf("got opset %d, want ≥ 17", m.Opset)
	}
	in := m.Graph.Inputs[0]
	if in.Name != InputName || in.Shape[0].Param != "batch" || in.Shape[1].Value != 1 || in.Shape[2].Value != 28 {
		t.Errorf("got input %+v, want %s [batch,1,28,28]", in, InputName)
	}
	p, err := ReadPreprocessing(out)
	if err != nil {
		t.Fatal(err)
	}
	want := Preprocessing{Spec: preprocess.Spec{Height: 28, Width: 28, Channels: 1, Mean: []float32{0.286}, Std: []float32{0.353}, Order: "L", Dataset: "fashion_mnist"},
		ImageSize: 28, InChannels: 1,
		InputName: InputName, OutputName: FeaturesName, FeatureDim: 40, // the last stage's width (LastStageWidth 40)
		ProjectionName: ProjectionName, ProjectionDim: 8,
		Architecture: "resnet18", TrainingStep: 4242}
	if !equalPre(*p, want) {
		t.Errorf("got preprocessing %+v, want %+v", *p, want)
	}
	if m.Metadata[MetaDataset] != "fashion_mnist" || m.Metadata[MetaSource] != "target" || m.Metadata[MetaStem] != "imagenet" {
		t.Errorf("got metadata %v", m.Metadata)
	}
}

// TestExportCreatesOutputDirectory: --out in a directory that does not exist yet is created,
// and the bytes equal an export into an existing directory.
func TestExportCreatesOutputDirectory(t *testing.T) {
	dir := writeCheckpoint(t, cases()[2], 5)
	root := t.TempDir()
	ref := filepath.Join(root, "model.onnx")
	if _, err := Export(dir, ref, Options{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "newdir", "sub", "model.onnx")
	if _, err := Export(dir, out, Options{}); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("got %d bytes in the new directory, want the %d bytes exported beside it", len(got), len(want))
	}
	if es, _ := os.ReadDir(filepath.Dir(out)); len(es) != 1 {
		t.Errorf("got %d entries in %s, want 1 (no temporary file)", len(es), filepath.Dir(out))
	}
}

func equalPre(a, b Preprocessing) bool {
	eq := func(x, y []float32) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	ma, sa, mb, sb := a.Mean, a.Std, b.Mean, b.Std
	a.Mean, a.Std, b.Mean, b.Std = nil, nil, nil, nil
	return eq(ma, mb) && eq(sa, sb) && a.ImageSize == b.ImageSize && a.InChannels == b.InChannels &&
		a.Height == b.Height && a.Width == b.Width && a.Channels == b.Channels && a.Dataset == b.Dataset &&
		a.Order == b.Order && a.InputName == b.InputName && a.OutputName == b.OutputName &&
		a.FeatureDim == b.FeatureDim && a.ProjectionName == b.ProjectionName && a.ProjectionDim == b.ProjectionDim &&
		a.Architecture == b.Architecture && a.TrainingStep == b.TrainingStep
}

func TestExportErrors(t *testing.T) {
	tc := cases()[2]
	tests := []struct {
		name    string
		damage  func(dir string)
		wantErr []string
	}{
		{"not a checkpoint", func(dir string) { os.Remove(filepath.Join(dir, "config.json")) }, []string{"config.json not found"}},
		{"truncated target", func(dir string) {
			p := filepath.Join(dir, "target.safetensors")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, []string{"target.safetensors", "truncated"}},
		{"unknown architecture", func(dir string) { replaceInConfig(dir, `"resnet18"`, `"vit_b_16"`) }, []string{`unknown architecture "vit_b_16"`}},
		{"wrong architecture", func(dir string) { replaceInConfig(dir, `"resnet18"`, `"efficientnet_b0"`) }, []string{"target.safetensors", "encoder.features.0.0.weight", "missing"}},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			dir := writeCheckpoint(t, tc, 3)
			c.damage(dir)
			out := filepath.Join(t.TempDir(), "model.onnx")
			_, err := Export(dir, out, Options{})
			if err == nil {
				t.Fatalf("got nil error, want one mentioning %q", c.wantErr)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to mention %q", err, w)
				}
			}
			if fileExists(out) {
				t.Errorf("a failed export left %s behind", out)
			}
		})
	}
}

func replaceInConfig(dir, old, new string) {
	p := filepath.Join(dir, "config.json")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644)
}

// ortReference runs a second ONNX model in ONNX Runtime as the reference.
type ortReference struct {
	sess *ort.DynamicAdvancedSession
	dims []int
	cfg  *checkpoint.Config
}

func newORTReference(path string, cfg *checkpoint.Config, withProj bool) (Reference, error) {
	pre, err := ReadPreprocessing(path)
	if err != nil {
		return nil, err
	}
	outs, dims := []string{pre.OutputName}, []int{pre.FeatureDim}
	if withProj {
		outs, dims = append(outs, pre.ProjectionName), append(dims, pre.ProjectionDim)
	}
	sess, err := ort.NewDynamicAdvancedSession(path, []string{pre.InputName}, outs, nil)
	if err != nil {
		return nil, err
	}
	return &ortReference{sess: sess, dims: dims, cfg: cfg}, nil
}

func (r *ortReference) Name() string { return "ONNX Runtime (BatchNormalization kept)" }

func (r *ortReference) Close() error {
	if r.sess == nil {
		return nil
	}
	err := r.sess.Destroy()
	r.sess = nil
	return err
}

func (r *ortReference) Forward(x []float32, batch int) ([]float32, []float32, error) {
	s := int64(r.cfg.Data.Height)
	c := int64(r.cfg.Model.WithDefaults().InChannels)
	out, err := runORT(r.sess, x, []int64{int64(batch), c, s, s}, batch, r.dims)
	if err != nil {
		return nil, nil, err
	}
	if len(out) == 1 {
		return out[0], nil, nil
	}
	return out[0], out[1], nil
}
