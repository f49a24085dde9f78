package search

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/scl-dev/scl/npy"
)

// writeEmbedOutput writes an `scl embed`-shaped output folder.
func writeEmbedOutput(t *testing.T, dir string, x []float32, dim int, labels []int64, classes []string, idPrefix string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	n := len(x) / dim
	if err := npy.WriteFloat32(filepath.Join(dir, "features.npy"), x, n, dim); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("%s/%d", idPrefix, i))
	}
	if err := os.WriteFile(filepath.Join(dir, "ids.txt"), []byte(strings.Join(ids, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := map[string]any{"model": "m.onnx", "dataset": "fashion_mnist", "split": idPrefix, "count": n, "dim": dim, "labelled": labels != nil, "classes": classes}
	if labels != nil {
		if err := npy.WriteInt64(filepath.Join(dir, "labels.npy"), labels, n); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestIndexFromShardsRoundTrip(t *testing.T) {
	const dim, n = 24, 3000
	x := clustered(n, dim, 10, 0.3, 3)
	labels := make([]int64, n)
	for i := range labels {
		labels[i] = int64(i % 4)
	}
	classes := []string{"a", "b", "c", "d"}
	root := t.TempDir()
	feats := filepath.Join(root, "feats")
	writeEmbedOutput(t, filepath.Join(feats, "shard-00000-of-00002"), x[:1000*dim], dim, labels[:1000], classes, "s0")
	writeEmbedOutput(t, filepath.Join(feats, "shard-00001-of-00002"), x[1000*dim:], dim, labels[1000:], classes, "s1")
	q := clustered(20, dim, 10, 0.3, 3)
	for _, kind := range []string{KindExact, KindHNSW} {
		t.Run(kind, func(t *testing.T) {
			f, err := LoadFeatures(feats)
			if err != nil {
				t.Fatal(err)
			}
			if f.Len() != n || len(f.Sources) != 2 || f.Sources[1].Row != 1000 || f.IDs[1000] != "s1/0" {
				t.Fatalf("joined %d rows from %d sources (second at row %d, id %q), want %d from 2 at 1000, s1/0", f.Len(), len(f.Sources), f.Sources[1].Row, f.IDs[1000], n)
			}
			ix, err := Build(f, BuildConfig{Kind: kind, HNSW: HNSWConfig{M: 8, EfConstruction: 64}})
			if err != nil {
				t.Fatal(err)
			}
			if kind == KindHNSW && (ix.Meta.HNSW == nil || ix.Meta.HNSW.Recall < 0.95) {
				t.Fatalf("hnsw meta %+v, want recall ≥ 0.95", ix.Meta.HNSW)
			}
			dir := filepath.Join(root, "index-"+kind)
			if err := ix.Write(dir); err != nil {
				t.Fatal(err)
			}
			back, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range []Options{{}, {Labels: []int64{2}}, {Exact: true}} {
				want, err := ix.Search(q, 8, o)
				if err != nil {
					t.Fatal(err)
				}
				got, err := back.Search(q, 8, o)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("options %+v: reopened index gives %v, want %v", o, got[0], want[0])
				}
				for _, rs := range got {
					if len(rs) != 8 {
						t.Fatalf("got %d results, want 8", len(rs))
					}
					for _, r := range rs {
						if r.Class != classes[r.Label] || r.ID != f.IDs[r.Row] {
							t.Fatalf("result %+v: class or id does not match row %d", r, r.Row)
						}
						if len(o.Labels) > 0 && r.Label != 2 {
							t.Fatalf("label filter 2: got label %d", r.Label)
						}
					}
				}
			}
			// The exact index must agree with brute force over the joined rows.
			if kind == KindExact {
				got, _ := back.Search(q, 5, Options{})
				want := bruteForce(x, q, dim, 5, nil)
				for i := range want {
					if got[i][0].Row != want[i][0].Row {
						t.Fatalf("query %d: best row %d, want %d", i, got[i][0].Row, want[i][0].Row)
					}
				}
			}
		})
	}
}

func TestLoadFeaturesErrors(t *testing.T) {
	root := t.TempDir()
	writeEmbedOutput(t, filepath.Join(root, "a"), make([]float32, 8*4), 4, nil, nil, "a")
	writeEmbedOutput(t, filepath.Join(root, "b"), make([]float32, 8*3), 3, nil, nil, "b")
	writeEmbedOutput(t, filepath.Join(root, "c"), make([]float32, 8*4), 4, make([]int64, 8), []string{"x"}, "c")
	os.MkdirAll(filepath.Join(root, "empty"), 0o755)
	cases := []struct {
		name string
		dirs []string
		want string
	}{
		{"dimension mismatch", []string{"a", "b"}, "4-d"},
		{"labelled and unlabelled", []string{"a", "c"}, "labelled"},
		{"not an embed output", []string{"empty"}, "no features.npy"},
		{"missing", []string{"nope"}, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var dirs []string
			for _, d := range c.dirs {
				dirs = append(dirs, filepath.Join(root, d))
			}
			_, err := LoadFeatures(dirs...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestReadHNSWRejectsCorruptGraphs(t *testing.T) {
	x := clustered(500, 8, 5, 0.3, 9)
	h, err := BuildHNSW(x, 8, HNSWConfig{M: 4})
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if _, err := h.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	if _, err := ReadHNSW(strings.NewReader(good), x, 8, "g"); err != nil {
		t.Fatalf("round trip: %v", err)
	}
	bad := []byte(good)
	off := len(hnswMagic) + 7*4 + 500 + 4 // first link of node 0 on layer 0
	bad[off], bad[off+1], bad[off+2] = 0xff, 0xff, 0x7f
	if _, err := ReadHNSW(strings.NewReader(string(bad)), x, 8, "g"); err == nil || !strings.Contains(err.Error(), "links to node") {
		t.Errorf("link out of range: got %v", err)
	}
	if _, err := ReadHNSW(strings.NewReader(good[:100]), x, 8, "g"); err == nil {
		t.Error("truncated graph: got no error")
	}
	if _, err := ReadHNSW(strings.NewReader(good), x[:8*400], 8, "g"); err == nil {
		t.Error("graph over too few vectors: got no error")
	}
}

func TestWriteParquetRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feats")
	x := clustered(50, 6, 3, 0.3, 4)
	labels := make([]int64, 50)
	for i := range labels {
		labels[i] = int64(i % 2)
	}
	writeEmbedOutput(t, dir, x, 6, labels, []string{"even", "odd"}, "test")
	f, err := LoadFeatures(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "embeddings.parquet")
	if err := f.WriteParquet(p); err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.ReadFile[ParquetRow](p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 50 {
		t.Fatalf("read %d rows, want 50", len(rows))
	}
	for i, r := range rows {
		want := ParquetRow{ID: fmt.Sprintf("test/%d", i), Label: labels[i], Class: []string{"even", "odd"}[i%2], Embedding: x[i*6 : (i+1)*6]}
		if !reflect.DeepEqual(r, want) {
			t.Fatalf("row %d: got %+v, want %+v", i, r, want)
		}
	}
}
