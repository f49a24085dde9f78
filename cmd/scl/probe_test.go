package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scl-dev/scl/npy"
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
