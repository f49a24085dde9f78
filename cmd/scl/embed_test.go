package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/export"
	"github.com/scl-dev/scl/infer"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/npy"
)

// TestEmbedCommandMatchesCheckpoint runs the command-line path a user takes — scl export, then
// scl embed on a Fashion-MNIST shard — and checks the features against an independent engine:
// the checkpoint evaluated by the pure-Go reference evaluator on the same images, preprocessed
// by the inference transform with the checkpoint's mean and std.
func TestEmbedCommandMatchesCheckpoint(t *testing.T) {
	if os.Getenv("SCL_ORT_LIB") == "" {
		lib, _ := filepath.Abs("../../.deps/lib/libonnxruntime.so.1")
		if _, err := os.Stat(lib); err != nil {
			t.Skipf("ONNX Runtime library not found (%v): run scripts/setup.sh or set SCL_ORT_LIB", err)
		}
		t.Setenv("SCL_ORT_LIB", lib)
	}
	ds, err := data.Open(data.Source{Name: "fashion_mnist", Split: "test"})
	if err != nil {
		t.Skipf("Fashion-MNIST not available (%v): run scripts/setup.sh", err)
	}
	defer ds.Close()

	pre := checkpoint.Preprocessing{Height: 28, Width: 28, Channels: 1, Mean: []float32{0.286}, Std: []float32{0.353}, Order: "L"}
	c, err := checkpoint.New(models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1, Width: 8, ProjectorHidden: 16, ProjectorOut: 4}, pre, 3)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	ckpt, model, out := filepath.Join(work, "ckpt"), filepath.Join(work, "m.onnx"), filepath.Join(work, "feats")
	if err := checkpoint.Save(ckpt, c); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		app := newApp()
		var stdout bytes.Buffer
		app.Writer, app.ErrWriter = &stdout, &stdout
		if err := app.Run(append([]string{"scl"}, args...)); err != nil {
			t.Fatalf("scl %v: %v\n%s", args, err, stdout.String())
		}
	}
	run("export", "--checkpoint", ckpt, "--out", model)
	// Shard 0 of 2000 is items [0, 5) of the 10,000 test images.
	const shards, rows = 2000, 5
	run("embed", "--model", model, "--dataset", "fashion_mnist", "--split", "test", "--device", "cpu",
		"--shard", "0/2000", "--batch-size", "2", "--out", out)

	dir := infer.ShardDir(out, 0, shards)
	feats, shape, err := npy.ReadFloat32(filepath.Join(dir, "features.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 2 || shape[0] != rows || shape[1] != 64 {
		t.Fatalf("features.npy shape %v, want [%d 64]", shape, rows)
	}
	labels, _, err := npy.ReadInt64(filepath.Join(dir, "labels.npy"))
	if err != nil {
		t.Fatal(err)
	}

	// The reference: the checkpoint's target network in pure Go on the same preprocessed images.
	cfg, err := checkpoint.LoadConfig(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	tensors, err := checkpoint.LoadTensors(ckpt, cfg, checkpoint.Target)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := export.GoReference(cfg, tensors, false)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	x := make([]float32, rows*28*28)
	for i := 0; i < rows; i++ {
		if got, want := labels[i], int64(ds.Label(i)); got != want {
			t.Errorf("labels.npy[%d] = %d, want %d", i, got, want)
		}
		img, err := ds.Image(i)
		if err != nil {
			t.Fatal(err)
		}
		if err := pre.ImageTo(x[i*28*28:(i+1)*28*28], img); err != nil {
			t.Fatal(err)
		}
	}
	want, _, err := ref.Forward(x, rows)
	if err != nil {
		t.Fatal(err)
	}
	// ONNX Runtime (folded BatchNorm, float32) against the unfolded float32 Go evaluation:
	// export's own check accepts 1e-4 for the same comparison.
	var maxDiff float64
	for i := range want {
		maxDiff = math.Max(maxDiff, math.Abs(float64(feats[i]-want[i])))
	}
	if maxDiff > 1e-4 {
		t.Errorf("scl embed features differ from the checkpoint's Go evaluation by %g, want ≤ 1e-4", maxDiff)
	}

	// A rerun reuses the shard only with the same settings (issue 15): other --mean/--std are
	// refused with a hint at --force, which recomputes and says why.
	embed := func(extra ...string) (string, error) {
		app := newApp()
		var stdout bytes.Buffer
		app.Writer, app.ErrWriter = &stdout, &stdout
		args := append([]string{"scl", "embed", "--model", model, "--dataset", "fashion_mnist", "--split", "test",
			"--device", "cpu", "--shard", "0/2000", "--batch-size", "2", "--out", out}, extra...)
		err := app.Run(args)
		return stdout.String(), err
	}
	if msg, err := embed(); err != nil || !strings.Contains(msg, "skipped") {
		t.Fatalf("unchanged rerun: %v %q, want skipped", err, msg)
	}
	if msg, err := embed("--mean", "0.5", "--std", "0.5"); err == nil || !strings.Contains(err.Error(), "preprocessing differs") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("rerun with other --mean/--std: %v %q, want an error naming the preprocessing and --force", err, msg)
	}
	if msg, err := embed("--mean", "0.5", "--std", "0.5", "--force"); err != nil || !strings.Contains(msg, "recomputed") || !strings.Contains(msg, "preprocessing differs") {
		t.Fatalf("forced rerun: %v %q, want recomputed with the reason", err, msg)
	}
	again, _, err := npy.ReadFloat32(filepath.Join(dir, "features.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if equal := slices.Equal(again, feats); equal {
		t.Error("forced rerun with other --mean/--std left the old features")
	}
}
