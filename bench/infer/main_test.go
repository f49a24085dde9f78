package main

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/export"
	"github.com/scl-dev/scl/infer"
	"github.com/scl-dev/scl/models"
)

// TestExportedModelThroughInfer: a model written by scl's exporter (narrow grey ResNet-18 with
// its BatchNorm statistics randomised, projector head included) runs through infer with the
// preprocessing read from its metadata, and the features of real Fashion-MNIST images equal
// the pure-Go reference models.Evaluate on the independently preprocessed input.
func TestExportedModelThroughInfer(t *testing.T) {
	if _, err := infer.LoadRuntime(""); err != nil {
		if errors.Is(err, infer.ErrLibrary) {
			t.Skipf("ONNX Runtime not available (run scripts/setup.sh): %v", err)
		}
		t.Fatal(err)
	}
	cfg := models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1, Width: 8, ProjectorHidden: 16, ProjectorOut: 8}
	pp := checkpoint.Preprocessing{Height: 28, Width: 28, Channels: 1, Mean: []float32{0.286}, Std: []float32{0.353}, Order: "L", Dataset: "fashion_mnist"}
	ck, err := checkpoint.New(cfg, pp, 3)
	if err != nil {
		t.Fatal(err)
	}
	enc, proj, err := models.Networks(cfg)
	if err != nil {
		t.Fatal(err)
	}
	models.RandomizeBatchNorm(enc, models.EncoderPrefix, ck.Target, 4, 0.5)
	models.RandomizeBatchNorm(proj, models.ProjectorPrefix, ck.Target, 5, 0.5)
	m, err := export.Build(&ck.Config, ck.Target, export.Options{WithProjector: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	e, err := infer.OpenEncoder(path, infer.SessionConfig{Device: infer.Device{Kind: infer.DeviceCPU}}, infer.Overrides{}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p := e.Preprocess
	if p.Height != 28 || p.Width != 28 || p.Channels != 1 || p.Order != "L" || p.Mean[0] != float32(0.286) || p.Std[0] != float32(0.353) {
		t.Fatalf("preprocessing from metadata: got %+v, want 1×28×28 L mean 0.286 std 0.353", p)
	}
	if got, want := e.Session.OutputName(), export.FeaturesName; got != want {
		t.Fatalf("output: got %q, want %q (the encoder features, not the projection)", got, want)
	}
	ds, err := data.OpenFashionMNIST("", "test")
	if err != nil {
		t.Skipf("Fashion-MNIST not installed (scripts/setup.sh installs dataset-fashion-mnist): %v", err)
	}
	defer ds.Close()
	sub, err := data.Subset(ds, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	f, err := infer.EmbedDataset(context.Background(), infer.ExtractConfig{Encoder: e, Dataset: sub, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 3*28*28)
	for i := 0; i < 3; i++ {
		img, err := sub.Image(i)
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range img.Pix {
			x[i*784+j] = float32((float64(v)/255 - 0.286) / 0.353)
		}
	}
	want, err := models.Evaluate(enc, models.EncoderPrefix, ck.Target, x, 3, [2]int{28, 28})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(f.Data) {
		t.Fatalf("features: got %d values, want %d", len(f.Data), len(want))
	}
	for i := range want {
		// export's own bound for float32 ONNX Runtime against the float64 reference: 1e-4.
		if math.Abs(float64(f.Data[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("feature %d: got %v, want %v", i, f.Data[i], want[i])
		}
	}
}
