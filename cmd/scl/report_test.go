package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/scl-dev/scl/probe"
	"github.com/scl-dev/scl/viz/quality"
)

func TestWriteReportTable(t *testing.T) {
	rows := []reportRow{
		{"pretrained", &probe.Report{
			Train:  probe.SplitSummary{Dim: 128},
			Linear: &probe.LinearReport{Metrics: &probe.Metrics{Top1: 0.8512, Top5: 0.9931}},
			KNN:    &probe.KNNReport{Metrics: &probe.Metrics{Top1: 0.8}},
		}},
		{"pixels", &probe.Report{
			Train:  probe.SplitSummary{Dim: 784},
			Linear: &probe.LinearReport{Metrics: &probe.Metrics{Top1: 0.8391}},
		}},
	}
	tests := []struct {
		name     string
		markdown bool
		want     []string
	}{
		{"text", false, []string{
			"features    dim  linear top-1  linear top-5  kNN top-1",
			"pretrained  128        85.12%        99.31%     80.00%",
			"pixels      784        83.91%             –          –",
		}},
		{"markdown", true, []string{
			"| features   | dim | linear top-1 | linear top-5 | kNN top-1 |",
			"|------------|-----|--------------|--------------|-----------|",
			"| pretrained | 128 | 85.12%       | 99.31%       | 80.00%    |",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := writeReportTable(&b, rows, tc.markdown); err != nil {
				t.Fatal(err)
			}
			for _, line := range tc.want {
				if !strings.Contains(b.String(), line+"\n") {
					t.Errorf("got\n%s\nwant a line %q", b.String(), line)
				}
			}
		})
	}
}

// TestQualityTableRoundTrip writes a quality table from reports and reads it back with the
// reader scl plot quality uses.
func TestQualityTableRoundTrip(t *testing.T) {
	rows := []reportRow{
		{"scl@10", &probe.Report{Linear: &probe.LinearReport{Metrics: &probe.Metrics{Top1: 0.8561}}, KNN: &probe.KNNReport{Metrics: &probe.Metrics{Top1: 0.84}}}},
		{"raw pixels", &probe.Report{Linear: &probe.LinearReport{Metrics: &probe.Metrics{Top1: 0.8391}}}},
	}
	var b bytes.Buffer
	if err := writeQualityTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	pts, err := quality.Read(&b, "table")
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].Series != "scl" || pts[0].Minutes != 10 || pts[0].Linear != 0.8561 || pts[0].KNN != 0.84 ||
		pts[1].Series != "raw pixels" || pts[1].Minutes != 0 || !math.IsNaN(pts[1].KNN) {
		t.Errorf("read back %+v", pts)
	}
	for _, bad := range []string{"scl@", "scl@ten", "scl@-5"} {
		if err := writeQualityTable(&bytes.Buffer{}, []reportRow{{bad, rows[0].report}}); err == nil || !strings.Contains(err.Error(), "minutes") {
			t.Errorf("label %q: error %v, want one about the minutes", bad, err)
		}
	}
}
