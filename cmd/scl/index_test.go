package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scl-dev/scl/npy"
	"github.com/scl-dev/scl/search"
	"github.com/scl-dev/scl/viz"
)

// writeFeatures writes an scl embed-shaped output folder of n random dim-d features with
// labels i mod 3.
func writeFeatures(t *testing.T, dir string, n, dim int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*dim)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	labels := make([]int64, n)
	ids := make([]string, n)
	for i := range labels {
		labels[i] = int64(i % 3)
		ids[i] = fmt.Sprintf("test/%d", i)
	}
	os.MkdirAll(dir, 0o755)
	if err := npy.WriteFloat32(filepath.Join(dir, "features.npy"), x, n, dim); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteInt64(filepath.Join(dir, "labels.npy"), labels, n); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ids.txt"), []byte(strings.Join(ids, "\n")+"\n"), 0o644)
	b, _ := json.Marshal(map[string]any{"dataset": "fashion_mnist", "split": "test", "count": n, "dim": dim, "labelled": true, "classes": []string{"a", "b", "c"}})
	os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644)
}

func runApp(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	err := app.Run(append([]string{"scl"}, args...))
	return out.String(), err
}

func TestIndexCommand(t *testing.T) {
	work := t.TempDir()
	a, b := filepath.Join(work, "a"), filepath.Join(work, "b")
	writeFeatures(t, a, 300, 16, 1)
	writeFeatures(t, b, 200, 16, 2)
	out := filepath.Join(work, "index")
	got, err := runApp(t, "index", "--features", a, "--features", b, "--out", out, "--kind", "hnsw", "--m", "8")
	if err != nil {
		t.Fatalf("scl index: %v\n%s", err, got)
	}
	if !strings.Contains(got, "recall@10 = ") {
		t.Errorf("output does not report the recall:\n%s", got)
	}
	ix, err := search.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 500 || ix.Kind() != "hnsw" || ix.IDs[300] != "test/0" || ix.Meta.Classes[2] != "c" {
		t.Errorf("index: %d vectors, kind %s, id[300] %q, classes %v; want 500, hnsw, test/0, [a b c]", ix.Len(), ix.Kind(), ix.IDs[300], ix.Meta.Classes)
	}
	if got, err := runApp(t, "index", "--features", a, "--out", out, "--kind", "ivf"); err == nil || !strings.Contains(err.Error(), "want exact, hnsw or auto") {
		t.Errorf("--kind ivf: got %v\n%s", err, got)
	}
}

func TestPlotJoinCommand(t *testing.T) {
	work := t.TempDir()
	a, b, out := filepath.Join(work, "a.png"), filepath.Join(work, "b.png"), filepath.Join(work, "ab.png")
	if err := viz.WritePNG(a, image.NewRGBA(image.Rect(0, 0, 30, 20))); err != nil {
		t.Fatal(err)
	}
	if err := viz.WritePNG(b, image.NewRGBA(image.Rect(0, 0, 12, 40))); err != nil {
		t.Fatal(err)
	}
	if got, err := runApp(t, "plot", "join", "--out", out, a, b); err != nil {
		t.Fatalf("scl plot join: %v\n%s", err, got)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 42 || cfg.Height != 40 {
		t.Fatalf("joined image %d×%d, want 42×40", cfg.Width, cfg.Height)
	}
	if _, err := runApp(t, "plot", "join", "--out", out, filepath.Join(work, "missing.png")); err == nil {
		t.Error("missing input: got no error")
	}
}
