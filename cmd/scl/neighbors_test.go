package main

import (
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/search"
	"github.com/scl-dev/scl/viz"
)

// fashionFeatures exports a random-init width-8 ResNet-18 and embeds the first 200 Fashion-MNIST
// test images with it (scl export, scl embed), returning the model and the features folder.
// It skips when ONNX Runtime or Fashion-MNIST is missing.
func fashionFeatures(t *testing.T) (model, feats string) {
	t.Helper()
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
	ds.Close()
	pre := checkpoint.Preprocessing{Height: 28, Width: 28, Channels: 1, Mean: []float32{0.286}, Std: []float32{0.353}, Order: "L"}
	c, err := checkpoint.New(models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1, Width: 8, ProjectorHidden: 16, ProjectorOut: 4}, pre, 3)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	ckpt := filepath.Join(work, "ckpt")
	model, feats = filepath.Join(work, "m.onnx"), filepath.Join(work, "feats")
	if err := checkpoint.Save(ckpt, c); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"export", "--checkpoint", ckpt, "--out", model},
		{"embed", "--model", model, "--dataset", "fashion_mnist", "--split", "test", "--device", "cpu", "--shard", "0/50", "--out", feats, "--format", "parquet"},
	} {
		if out, err := runApp(t, args...); err != nil {
			t.Fatalf("scl %v: %v\n%s", args, err, out)
		}
	}
	dir := filepath.Join(feats, "shard-00000-of-00050")
	// --format parquet: the same rows as the .npy files.
	rows, err := parquet.ReadFile[search.ParquetRow](filepath.Join(dir, "embeddings.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := search.LoadFeatures(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != f.Len() || rows[7].ID != f.IDs[7] || rows[7].Label != f.Labels[7] || rows[7].Class != f.Classes[f.Labels[7]] || rows[7].Embedding[3] != f.X[7*f.Dim+3] {
		t.Fatalf("embeddings.parquet: %d rows, row 7 %+v; want %d rows matching the .npy files", len(rows), rows[7], f.Len())
	}
	return model, dir
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func TestNeighborsCommand(t *testing.T) {
	model, feats := fashionFeatures(t)
	work := t.TempDir()
	grid := filepath.Join(work, "grid.png")
	const nq, k = 3, 4
	if out, err := runApp(t, "neighbors", "--features", feats, "-n", "3", "-k", "4", "--out", grid, "--title", "t"); err != nil {
		t.Fatalf("scl neighbors: %v\n%s", err, out)
	}
	img := decodePNG(t, grid)
	// Layout of viz.Grid with 72-px thumbnails, 3-px frames, 6-px padding, two caption lines
	// and a title line: cells 84 × (72+6+28+6) = 84 × 112.
	wantW, wantH := 6+(k+1)*84, 6+14+4+nq*112
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Fatalf("grid is %d×%d, want %d×%d", b.Dx(), b.Dy(), wantW, wantH)
	}
	// The frames must say whether each neighbour has the query's class: redo the search.
	f, err := search.LoadFeatures(feats)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := search.Build(f, search.BuildConfig{Kind: search.KindExact})
	if err != nil {
		t.Fatal(err)
	}
	// The queries are the rows the command draws with its default seed.
	for row, q := range rand.New(rand.NewPCG(1, 0)).Perm(ix.Len())[:nq] {
		y := 24 + row*112 + 1
		if c := img.At(7, y); !sameColor(c, viz.Query) {
			t.Fatalf("row %d: query frame %v, want %v", row, c, viz.Query)
		}
		res, err := ix.Search(ix.Vector(q), k+1, search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		col := 1
		for _, r := range res[0] {
			if r.Row == q || col > k {
				continue
			}
			want := viz.Differ
			if r.Label == ix.Label(q) {
				want = viz.Same
			}
			if c := img.At(6+col*84+1, y); !sameColor(c, want) {
				t.Fatalf("row %d (item %d) col %d (item %d): frame %v, want %v", row, q, col, r.Row, c, want)
			}
			col++
		}
	}

	// Queries from another embed output (here the same items): the grid has the same layout.
	if out, err := runApp(t, "neighbors", "--features", feats, "--query-features", feats, "-n", "2", "-k", "3", "--title", "q", "--out", grid); err != nil {
		t.Fatalf("scl neighbors --query-features: %v\n%s", err, out)
	}
	if b := decodePNG(t, grid).Bounds(); b.Dx() != 6+4*84 || b.Dy() != 24+2*112 {
		t.Fatalf("--query-features grid is %d×%d, want %d×%d", b.Dx(), b.Dy(), 6+4*84, 24+2*112)
	}

	// A query image file, embedded with the model: the same image in the index comes first,
	// with similarity ≈ 1.
	ds, _ := data.Open(data.Source{Name: "fashion_mnist", Split: "test"})
	defer ds.Close()
	item, _ := ds.Image(17)
	qfile := filepath.Join(work, "q.png")
	if err := viz.WritePNG(qfile, item.ToStd()); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(ix.Vector(17), 1, search.Options{})
	if err != nil || res[0][0].Row != 17 {
		t.Fatalf("self search: %v %v", res, err)
	}
	out, err := runApp(t, "neighbors", "--features", feats, "--query", qfile, "--model", model, "--device", "cpu", "-k", "2", "--out", grid, "--title", "q")
	if err != nil {
		t.Fatalf("scl neighbors --query: %v\n%s", err, out)
	}
	if b := decodePNG(t, grid).Bounds(); b.Dx() != 6+3*84 {
		t.Fatalf("--query grid is %d wide, want %d", b.Dx(), 6+3*84)
	}
	if _, err := runApp(t, "neighbors", "--features", feats, "--query", qfile); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("--query without --model: got %v", err)
	}
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2
}

func TestPlotEmbeddingsCommand(t *testing.T) {
	_, feats := fashionFeatures(t)
	out := filepath.Join(t.TempDir(), "map.png")
	if got, err := runApp(t, "plot", "embeddings", "--features", feats, "--method", "both", "--iterations", "300", "--out", out); err != nil {
		t.Fatalf("scl plot embeddings: %v\n%s", err, got)
	}
	img := decodePNG(t, out)
	// Two maps side by side, each at least its 560-px plot area wide.
	if b := img.Bounds(); b.Dx() < 2*560 || b.Dy() < 560 {
		t.Fatalf("map is %d×%d, want two 560-px maps side by side", b.Dx(), b.Dy())
	}
	// Every Fashion-MNIST class present in the 200 items has its colour drawn.
	f, _ := search.LoadFeatures(feats)
	present := map[int64]bool{}
	for _, l := range f.Labels {
		present[l] = true
	}
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 0xff}] = true
		}
	}
	for l := range present {
		if !seen[viz.Palette[l]] {
			t.Errorf("class %d (%s): its colour %v is not drawn", l, f.Classes[l], viz.Palette[l])
		}
	}
	if _, err := runApp(t, "plot", "embeddings", "--features", feats, "--method", "umap"); err == nil {
		t.Error("--method umap: got no error")
	}
}
