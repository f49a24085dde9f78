package probe

import (
	"context"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/scl-dev/scl/npy"
)

// writeSplit writes rows×dim features valued base+i and labels i%3 into dir.
func writeSplit(t *testing.T, dir, suffix string, rows, dim int, base float32) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, rows*dim)
	for i := range x {
		x[i] = base + float32(i)
	}
	y := make([]int64, rows)
	for i := range y {
		y[i] = int64(i % 3)
	}
	if err := npy.WriteFloat32(filepath.Join(dir, "features"+suffix+".npy"), x, rows, dim); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteInt64(filepath.Join(dir, "labels"+suffix+".npy"), y, rows); err != nil {
		t.Fatal(err)
	}
}

func TestLoadShardsInOrder(t *testing.T) {
	root := t.TempDir()
	// Shard directories as written by scl embed, created out of order.
	for _, i := range []int{2, 0, 1} {
		writeSplit(t, filepath.Join(root, "emb", shardName(i, 3)), "", 2, 2, float32(1000*i))
	}
	// Flat shard files whose names sort wrongly as plain strings.
	writeSplit(t, filepath.Join(root, "flat"), "-10", 1, 2, 10)
	writeSplit(t, filepath.Join(root, "flat"), "-2", 1, 2, 2)
	tests := []struct {
		name  string
		paths []string
		first []float64 // first feature of each row
	}{
		{"shard directories", []string{filepath.Join(root, "emb")}, []float64{0, 2, 1000, 1002, 2000, 2002}},
		{"single directory", []string{filepath.Join(root, "emb", shardName(1, 3))}, []float64{1000, 1002}},
		{"natural order", []string{filepath.Join(root, "flat")}, []float64{2, 10}},
		{"explicit files", []string{filepath.Join(root, "flat", "features-10.npy"), filepath.Join(root, "flat", "features-2.npy")}, []float64{10, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := LoadSplit("train", tc.paths...)
			if err != nil {
				t.Fatal(err)
			}
			var got []float64
			for i := 0; i < ds.Rows; i++ {
				got = append(got, ds.Row(i)[0])
			}
			if !reflect.DeepEqual(got, tc.first) {
				t.Errorf("rows: got %v, want %v", got, tc.first)
			}
			if len(ds.Labels) != ds.Rows {
				t.Errorf("labels: got %d, want %d", len(ds.Labels), ds.Rows)
			}
		})
	}
}

func shardName(i, n int) string {
	return "shard-" + pad5(i) + "-of-" + pad5(n)
}

func pad5(i int) string {
	s := "0000" + string(rune('0'+i))
	return s[len(s)-5:]
}

func TestLoadErrors(t *testing.T) {
	root := t.TempDir()
	mk := func(name string) string {
		d := filepath.Join(root, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Labels shorter than the features.
	d := mk("mismatch")
	writeSplit(t, d, "", 4, 2, 0)
	if err := npy.WriteInt64(filepath.Join(d, "labels.npy"), []int64{0, 1, 2}, 3); err != nil {
		t.Fatal(err)
	}
	// float64 features.
	d2 := mk("dtype")
	writeSplit(t, d2, "", 2, 2, 0)
	if err := npy.WriteFloat64(filepath.Join(d2, "features.npy"), []float64{1, 2, 3, 4}, 2, 2); err != nil {
		t.Fatal(err)
	}
	// 1-D features.
	d3 := mk("shape")
	writeSplit(t, d3, "", 2, 2, 0)
	if err := npy.WriteFloat32(filepath.Join(d3, "features.npy"), []float32{1, 2}, 2); err != nil {
		t.Fatal(err)
	}
	// NaN and Inf.
	d4 := mk("nan")
	writeSplit(t, d4, "", 2, 2, 0)
	if err := npy.WriteFloat32(filepath.Join(d4, "features.npy"), []float32{1, float32(math.Inf(1)), 3, 4}, 2, 2); err != nil {
		t.Fatal(err)
	}
	// Empty features.
	d5 := mk("empty")
	writeSplit(t, d5, "", 2, 2, 0)
	if err := npy.WriteFloat32(filepath.Join(d5, "features.npy"), nil, 0, 2); err != nil {
		t.Fatal(err)
	}
	// Zero-byte file.
	d6 := mk("zerobyte")
	writeSplit(t, d6, "", 2, 2, 0)
	if err := os.WriteFile(filepath.Join(d6, "features.npy"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Shards of different widths.
	d7 := mk("widths")
	writeSplit(t, filepath.Join(d7, shardName(0, 2)), "", 2, 2, 0)
	writeSplit(t, filepath.Join(d7, shardName(1, 2)), "", 2, 3, 0)
	// A missing shard.
	d8 := mk("missing")
	writeSplit(t, filepath.Join(d8, shardName(0, 3)), "", 2, 2, 0)
	writeSplit(t, filepath.Join(d8, shardName(2, 3)), "", 2, 2, 0)
	// No labels.
	d9 := mk("nolabels")
	writeSplit(t, d9, "", 2, 2, 0)
	os.Remove(filepath.Join(d9, "labels.npy"))

	tests := []struct {
		name, path, want string
	}{
		{"length mismatch", d, "3 labels for 4 feature rows"},
		{"wrong dtype", d2, "dtype float64, want float32"},
		{"wrong shape", d3, "want [N, D]"},
		{"non-finite", d4, "non-finite feature +Inf at row 0, column 1"},
		{"empty", d5, "empty features"},
		{"zero bytes", d6, "empty or truncated"},
		{"shard widths", d7, "3 feature columns, want 2"},
		{"missing shard", d8, "shard 1 of 3 is missing"},
		{"no labels", d9, "labels for"},
		{"no such path", filepath.Join(root, "nope"), "no such file"},
		{"empty directory", mk("void"), "no features.npy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSplit("train", tc.path)
			assertErrContains(t, err, tc.want)
		})
	}
}

func TestAssessWritesReport(t *testing.T) {
	train := randomDataset(41, 300, 5, 3, 3)
	test := randomDataset(41, 360, 5, 3, 3)
	test = &Dataset{X: test.X[300*5:], Rows: 60, Dim: 5, Labels: test.Labels[300:]}
	var msgs []string
	rep, err := Assess(context.Background(), train, test, Options{KNN: KNNConfig{K: 10}, Progress: func(s string) { msgs = append(msgs, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Linear == nil || rep.KNN == nil {
		t.Fatalf("report: got linear %v knn %v, want both", rep.Linear, rep.KNN)
	}
	if rep.Linear.Metrics.Top1 < 0.9 || rep.KNN.Metrics.Top1 < 0.9 {
		t.Errorf("top-1 on well separated blobs: got linear %v knn %v, want ≥ 0.9", rep.Linear.Metrics.Top1, rep.KNN.Metrics.Top1)
	}
	if len(msgs) == 0 {
		t.Error("progress: got no messages, want some")
	}
	dir := t.TempDir()
	jp, pp := filepath.Join(dir, "r.json"), filepath.Join(dir, "c.png")
	if err := rep.WriteJSON(jp); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteConfusionPNG(pp); err != nil {
		t.Fatal(err)
	}
	var back Report
	b, _ := os.ReadFile(jp)
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Linear.Metrics.Top1 != rep.Linear.Metrics.Top1 || back.Linear.Fit.Iterations != rep.Linear.Fit.Iterations {
		t.Errorf("JSON round trip: got %+v, want %+v", back.Linear, rep.Linear)
	}
	f, err := os.Open(pp)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 3*44 || b.Dy() < 3*44 {
		t.Errorf("PNG size: got %v, want at least 132×132 for 3 classes", b)
	}
	// A test label the training split never saw.
	test.Labels[0] = 99
	_, err = Assess(context.Background(), train, test, Options{})
	assertErrContains(t, err, "label 99")
}
