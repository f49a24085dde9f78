package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/export"
	"github.com/scl-dev/scl/models"
)

func TestExportCommand(t *testing.T) {
	if os.Getenv("SCL_ORT_LIB") == "" {
		lib, _ := filepath.Abs("../../.deps/lib/libonnxruntime.so.1")
		if _, err := os.Stat(lib); err != nil {
			t.Skipf("ONNX Runtime library not found (%v): run scripts/setup.sh or set SCL_ORT_LIB", err)
		}
		t.Setenv("SCL_ORT_LIB", lib)
	}
	c, err := checkpoint.New(models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1, Width: 8, ProjectorHidden: 16, ProjectorOut: 4},
		checkpoint.Preprocessing{Height: 28, Width: 28, Channels: 1, Mean: []float32{0.286}, Std: []float32{0.353}, Order: "L"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	c.Config.Step = 17
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := checkpoint.Save(dir, c); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "m.onnx")
	app := newApp()
	var stdout bytes.Buffer
	app.Writer = &stdout
	if err := app.Run([]string{"scl", "export", "--checkpoint", dir, "--out", out, "--with-projector", "--verify"}); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	for _, want := range []string{"input images [batch,1,28,28]", "output features [batch,64]", "projection [batch,4]", "step 17", "verify: ok"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output %q lacks %q", stdout.String(), want)
		}
	}
	p, err := export.ReadPreprocessing(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.Order != "L" || p.ImageSize != 28 || p.TrainingStep != 17 {
		t.Errorf("got preprocessing %+v, want L, 28, step 17", p)
	}
	if err := app.Run([]string{"scl", "export", "--checkpoint", filepath.Join(dir, "missing"), "--out", out}); err == nil || !strings.Contains(err.Error(), "config.json not found") {
		t.Errorf("got error %v, want one saying config.json is not found", err)
	}
}

// TestExportCommandCreatesOutDir: `scl export --out newdir/model.onnx` with a relative path whose
// directory does not exist yet (it used to fail opening "newdir/.model.onnx.tmp-…").
func TestExportCommandCreatesOutDir(t *testing.T) {
	c, err := checkpoint.New(models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1, Width: 8, ProjectorHidden: 16, ProjectorOut: 4},
		checkpoint.Preprocessing{Height: 28, Width: 28, Channels: 1, Mean: []float32{0.286}, Std: []float32{0.353}, Order: "L"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	if err := checkpoint.Save(filepath.Join(work, "ckpt"), c); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	app := newApp()
	var stdout bytes.Buffer
	app.Writer = &stdout
	if err := app.Run([]string{"scl", "export", "--checkpoint", "ckpt", "--out", "newdir/model.onnx"}); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if p, err := export.ReadPreprocessing(filepath.Join(work, "newdir", "model.onnx")); err != nil || p.ImageSize != 28 {
		t.Errorf("got %+v, %v; want a readable model with image size 28", p, err)
	}
}
