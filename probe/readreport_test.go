package probe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadReportRoundTrip(t *testing.T) {
	// Two well-separated clusters: both probes must classify every test row correctly, so the
	// report read back must say top-1 = 1 for both.
	x := []float32{1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9}
	labels := []int64{0, 0, 1, 1}
	train, err := NewDataset("train", append([]float32(nil), x...), 4, 2, labels)
	if err != nil {
		t.Fatal(err)
	}
	test, err := NewDataset("test", append([]float32(nil), x...), 4, 2, labels)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Assess(context.Background(), train, test, Options{KNN: KNNConfig{K: 1}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Linear.Metrics.Top1 != 1 || got.KNN.Metrics.Top1 != 1 {
		t.Errorf("got linear %v, kNN %v, want 1 and 1", got.Linear.Metrics.Top1, got.KNN.Metrics.Top1)
	}
}

func TestReadReportErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "none.json"), "none.json"},
		{"not json", write("bad.json", "{"), "bad.json: not a probe report"},
		{"no results", write("empty.json", `{"normalization":"l2"}`), "empty.json: report holds neither"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadReport(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
