package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scl-dev/scl/npy"
	"github.com/scl-dev/scl/probe"
)

// TestProbeCommand runs `scl probe` on two small shard sets and checks the
// summary, the JSON report and the PNG.
func TestProbeCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(split string, shard, rows int) {
		d := filepath.Join(dir, split, "shard-0000"+string(rune('0'+shard))+"-of-00002")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		x := make([]float32, rows*3)
		y := make([]int64, rows)
		for i := range y {
			c := (i + shard) % 3
			y[i] = int64(c)
			x[i*3+c] = 1
			x[i*3+(c+1)%3] = float32(i%5) * 0.05
		}
		if err := npy.WriteFloat32(filepath.Join(d, "features.npy"), x, rows, 3); err != nil {
			t.Fatal(err)
		}
		if err := npy.WriteInt64(filepath.Join(d, "labels.npy"), y, rows); err != nil {
			t.Fatal(err)
		}
	}
	write("train", 0, 30)
	write("train", 1, 31)
	write("test", 0, 10)
	write("test", 1, 9)
	// Class names as scl embed records them; the summary's per-class lines use them.
	if err := os.WriteFile(filepath.Join(dir, "train", "shard-00000-of-00002", "manifest.json"), []byte(`{"classes":["ant","bee","cat"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	report, png := filepath.Join(dir, "r.json"), filepath.Join(dir, "c.png")
	app := newApp()
	var stdout, stderr bytes.Buffer
	app.Writer, app.ErrWriter = &stdout, &stderr
	err := app.Run([]string{"scl", "probe", "--train", filepath.Join(dir, "train"), "--test", filepath.Join(dir, "test"),
		"--knn-k", "5", "--C", "2", "--report", report, "--confusion", png})
	if err != nil {
		t.Fatal(err)
	}
	if out := stdout.String(); !strings.Contains(out, "train 61 × 3 (3 classes), test 19") || !strings.Contains(out, "linear   top-1 100.00%") {
		t.Errorf("summary: got %q, want the split sizes and a perfect linear probe", out)
	}
	if out := stdout.String(); !strings.Contains(out, "linear per class:\n  ant 100.00%") || !strings.Contains(out, "  cat 100.00%") {
		t.Errorf("summary: got %q, want per-class lines named ant, bee, cat", out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Linear struct {
			C float64 `json:"C"`
		} `json:"linear"`
		KNN struct {
			K int `json:"k"`
		} `json:"knn"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Linear.C != 2 || rep.KNN.K != 5 {
		t.Errorf("report settings: got C=%v k=%d, want C=2 k=5", rep.Linear.C, rep.KNN.K)
	}
	if _, err := os.Stat(png); err != nil {
		t.Errorf("confusion PNG: %v", err)
	}
	err = app.Run([]string{"scl", "probe", "--train", filepath.Join(dir, "train"), "--test", filepath.Join(dir, "test"), "--normalize", "max"})
	if err == nil || !strings.Contains(err.Error(), "--normalize") {
		t.Errorf("bad --normalize: got %v, want an error naming the flag", err)
	}
}

// TestWritePerClass checks the terminal per-class lines: class names when the report has
// them, "class N" otherwise, classes without test rows left out, and only the worst classes
// beyond maxPerClassLines.
func TestWritePerClass(t *testing.T) {
	many := &probe.Metrics{}
	for i := range 25 {
		many.Classes = append(many.Classes, int64(i))
		many.PerClass = append(many.PerClass, float64(i)/100)
		many.Support = append(many.Support, 4)
	}
	tests := []struct {
		name string
		m    *probe.Metrics
		want []string
	}{
		{"named", &probe.Metrics{Classes: []int64{0, 2, 3}, PerClass: []float64{0.5, 1, 0}, Support: []int{2, 7, 0},
			Names: []string{"T-shirt", "Trouser", "Pullover", "Dress"}},
			[]string{"linear per class:", "  T-shirt   50.00%  (2 test rows)", "  Pullover 100.00%  (7 test rows)"}},
		{"unnamed", &probe.Metrics{Classes: []int64{0, 11}, PerClass: []float64{0.25, 0.75}, Support: []int{4, 4}},
			[]string{"linear per class:", "  class 0   25.00%  (4 test rows)", "  class 11  75.00%  (4 test rows)"}},
		{"short names list", &probe.Metrics{Classes: []int64{0, 1}, PerClass: []float64{1, 1}, Support: []int{1, 1}, Names: []string{"é"}},
			[]string{"linear per class:", "  é       100.00%  (1 test rows)", "  class 1 100.00%  (1 test rows)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			writePerClass(&b, "linear", tc.m)
			if got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"); !slices.Equal(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	var b bytes.Buffer
	writePerClass(&b, "knn", many)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 1+maxPerClassLines || lines[0] != "knn per class (the 20 worst of 25):" ||
		lines[1] != "  class 0    0.00%  (4 test rows)" || lines[20] != "  class 19  19.00%  (4 test rows)" {
		t.Errorf("25 classes: got\n%s", b.String())
	}
}
