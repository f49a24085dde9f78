package metrics

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"
)

func sampleRecords(n int) []Record {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var out []Record
	for i := 1; i <= n; i++ {
		out = append(out, Record{Kind: KindStep, Time: t0.Add(time.Duration(i) * time.Second), Step: i, Epoch: (i - 1) / 4,
			Loss: 10 / float64(i), KL: 1 / float64(i), Gamma: 1, Beta: 0.99, Scale: 5, Bias: -5, LR: 3e-4, ImagesPerSec: 100})
		if i%3 == 0 {
			out = append(out, Record{Kind: KindEval, Time: t0, Step: i, Epoch: (i - 1) / 4, Eval: map[string]float64{"knn_top1": 0.1 * float64(i)}})
		}
	}
	return out
}

func writeAll(t *testing.T, path string, recs []Record) {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v, want nil (idempotent)", err)
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "metrics.jsonl")
	want := sampleRecords(7)
	writeAll(t, path, want)
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Read = %+v, want %+v", got, want)
	}
}

func TestTornLastLineAndAppendAfterIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	recs := sampleRecords(3)
	writeAll(t, path, recs)
	// A process killed mid-write leaves half a line.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"kind":"step","step":4,"lo`)
	f.Close()
	got, err := Read(path)
	if err != nil {
		t.Fatalf("Read with torn last line: %v, want it ignored", err)
	}
	if len(got) != len(recs) {
		t.Errorf("got %d records, want %d", len(got), len(recs))
	}
	// Appending after the torn line starts a new line; the torn one is then a malformed
	// line in the middle, which is an error naming the line.
	more := sampleRecords(5)[len(recs):]
	writeAll(t, path, more)
	if _, err := Read(path); err == nil {
		t.Errorf("Read with a malformed middle line: got nil error, want one")
	}
}

func TestTruncate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	recs := sampleRecords(9)
	writeAll(t, path, recs)
	if err := Truncate(path, 5); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []Record
	for _, r := range recs {
		if r.Step <= 5 {
			want = append(want, r)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after Truncate(5) got %d records, want %d", len(got), len(want))
	}
	if err := Truncate(filepath.Join(t.TempDir(), "missing.jsonl"), 3); err != nil {
		t.Errorf("Truncate of a missing file: %v, want nil", err)
	}
}

func TestWritePNG(t *testing.T) {
	var buf bytes.Buffer
	width := 20 * vg.Centimeter
	if err := WritePNG(&buf, sampleRecords(12), width, 15*vg.Centimeter); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	// 20 cm at vgimg's default 96 dpi.
	if got, want := img.Bounds().Dx(), int(math.Round(float64(width/vg.Inch)*96)); got != want {
		t.Errorf("width %d px, want %d", got, want)
	}
	if err := WritePNG(&buf, nil, 10*vg.Centimeter, 10*vg.Centimeter); err == nil {
		t.Errorf("WritePNG with no records: got nil error, want one")
	}
}

func TestPlotFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "metrics.jsonl")
	writeAll(t, in, sampleRecords(4))
	out := filepath.Join(dir, "plots", "curves.png")
	if err := PlotFile(in, out); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("%s is not a PNG: %v", out, err)
	}
}

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "other.jsonl")
	for _, tt := range []struct{ arg, metrics, plot string }{
		{dir, filepath.Join(dir, "metrics.jsonl"), filepath.Join(dir, "curves.png")},
		{file, file, filepath.Join(dir, "curves.png")},
		{"missing/metrics.jsonl", "missing/metrics.jsonl", filepath.Join("missing", "curves.png")},
	} {
		m, p := Paths(tt.arg)
		if m != tt.metrics || p != tt.plot {
			t.Errorf("Paths(%q) = %q, %q; want %q, %q", tt.arg, m, p, tt.metrics, tt.plot)
		}
	}
}
