package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// hfImage is the datasets library's Image feature: a struct of bytes and path.
type hfImage struct {
	Bytes []byte  `parquet:"bytes,optional"`
	Path  *string `parquet:"path,optional"`
}

type hfRow struct {
	Image hfImage `parquet:"image"`
	Label int64   `parquet:"label"`
}

// pngOf returns a 3×2 PNG whose pixels encode id exactly.
func pngOf(t testing.TB, id int) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for y := range 2 {
		for x := range 3 {
			m.SetNRGBA(x, y, color.NRGBA{uint8(id), uint8(x), uint8(y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeShard writes rows (image ids and labels) as a Parquet shard with two rows per row group,
// as the hub stores image data sets; meta, when not empty, is the "huggingface" metadata.
func writeShard(t testing.TB, path string, ids []int, labels []int64, meta string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := []parquet.WriterOption{parquet.MaxRowsPerRowGroup(2)}
	if meta != "" {
		opts = append(opts, parquet.KeyValueMetadata("huggingface", meta))
	}
	w := parquet.NewGenericWriter[hfRow](f, opts...)
	for i, id := range ids {
		p := fmt.Sprintf("img_%d.png", id)
		if _, err := w.Write([]hfRow{{Image: hfImage{Bytes: pngOf(t, id), Path: &p}, Label: labels[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func checkHF(t *testing.T, ds Dataset, ids []int, labels []int) {
	t.Helper()
	if ds.Len() != len(ids) || !slices.Equal(Labels(ds), labels) {
		t.Fatalf("%d rows, labels %v; want %d, %v", ds.Len(), Labels(ds), len(ids), labels)
	}
	// Read in a scattered order to cross row-group and shard boundaries and the cache.
	for _, i := range []int{len(ids) - 1, 0, len(ids) / 2, min(1, len(ids)-1)} {
		img, err := ds.Image(i)
		if err != nil {
			t.Fatal(err)
		}
		if img.W != 3 || img.H != 2 || img.Pix[0] != uint8(ids[i]) || img.Pix[(1*3+2)*img.C+1] != 2 {
			t.Errorf("row %d: %dx%d, first red %d, want image %d", i, img.W, img.H, img.Pix[0], ids[i])
		}
	}
}

const hfMeta = `{"info": {"features": {"image": {"_type": "Image"}, "label": {"names": ["apple_pie", "bibimbap", "churros"], "_type": "ClassLabel"}}}}`

func TestHFDataFolder(t *testing.T) {
	dir := t.TempDir()
	writeShard(t, filepath.Join(dir, "data", "train-00000-of-00002.parquet"), []int{10, 11, 12}, []int64{0, 1, 2}, hfMeta)
	writeShard(t, filepath.Join(dir, "data", "train-00001-of-00002.parquet"), []int{13, 14}, []int64{2, 0}, hfMeta)
	writeShard(t, filepath.Join(dir, "data", "validation-00000-of-00001.parquet"), []int{20}, []int64{1}, hfMeta)
	ds, err := Open(Source{Name: "hf", Split: "train", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	checkHF(t, ds, []int{10, 11, 12, 13, 14}, []int{0, 1, 2, 2, 0})
	if got := ds.Info().Classes; !slices.Equal(got, []string{"apple_pie", "bibimbap", "churros"}) {
		t.Errorf("classes %v", got)
	}
	val, err := Open(Source{Name: "food101", Split: "val", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer val.Close()
	checkHF(t, val, []int{20}, []int{1})
	if val.Info().Split != "val" || val.Info().ImageSize != 192 {
		t.Errorf("info %+v", val.Info())
	}
	if got := Splits("hf", dir); !slices.Equal(got, []string{"train", "validation"}) {
		t.Errorf("splits %v", got)
	}
	if _, err := Open(Source{Name: "hf", Split: "test", Dir: dir}); err == nil || !strings.Contains(err.Error(), "splits found: train, validation") {
		t.Errorf("missing split: got %v", err)
	}
}

// TestHFSplitFolders reads the train/ validation/ layout with the label names from the dataset
// card (no Parquet metadata).
func TestHFSplitFolders(t *testing.T) {
	dir := t.TempDir()
	writeShard(t, filepath.Join(dir, "train", "part-0.parquet"), []int{1, 2, 3}, []int64{1, 0, 1}, "")
	writeShard(t, filepath.Join(dir, "validation", "part-0.parquet"), []int{4}, []int64{0}, "")
	card := "---\nlicense: mit\ndataset_info:\n  features:\n  - name: image\n    dtype: image\n  - name: label\n    dtype:\n      class_label:\n        names:\n          '0': goldfish\n          '1': \"great white shark\"\n  splits:\n  - name: train\n---\n# Tiny\n"
	writeFile(t, filepath.Join(dir, "README.md"), []byte(card))
	ds, err := Open(Source{Name: "tiny_imagenet", Split: "train", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	checkHF(t, ds, []int{1, 2, 3}, []int{1, 0, 1})
	if got := ds.Info().Classes; !slices.Equal(got, []string{"goldfish", "great white shark"}) || ds.Info().ImageSize != 64 {
		t.Errorf("classes %q, image size %d", got, ds.Info().ImageSize)
	}
	if got := HFSplits(dir); !slices.Equal(got, []string{"train", "validation"}) {
		t.Errorf("splits %v", got)
	}
}

// TestHFTruncated cuts a shard at many lengths: opening or reading fails with an error naming
// the file, never a panic.
func TestHFTruncated(t *testing.T) {
	src := filepath.Join(t.TempDir(), "full.parquet")
	writeShard(t, src, []int{1, 2, 3}, []int64{0, 1, 2}, hfMeta)
	full, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "train-00000-of-00001.parquet")
	for n := 0; n < len(full); n += max(1, len(full)/60) {
		writeFile(t, path, full[:n])
		ds, err := OpenHF(dir, "train", "hf")
		if err != nil {
			if !strings.Contains(err.Error(), "parquet") {
				t.Fatalf("cut at %d: error %v does not name the file", n, err)
			}
			continue
		}
		for i := 0; i < ds.Len(); i++ {
			_, _ = ds.Image(i)
		}
		ds.Close()
	}
	// A Parquet file without an image column.
	f, _ := os.Create(path)
	w := parquet.NewGenericWriter[struct {
		Text  string `parquet:"text"`
		Label int64  `parquet:"label"`
	}](f)
	w.Write([]struct {
		Text  string `parquet:"text"`
		Label int64  `parquet:"label"`
	}{{"a", 1}})
	w.Close()
	f.Close()
	if _, err := OpenHF(dir, "train", "hf"); err == nil || !strings.Contains(err.Error(), "no image column") {
		t.Errorf("text data set: got %v", err)
	}
}

// writeShardTo writes the fuzz seed: three labelled rows in two row groups.
func writeShardTo(t testing.TB, path string) {
	writeShard(t, path, []int{1, 2, 3}, []int64{0, 1, 2}, hfMeta)
}
