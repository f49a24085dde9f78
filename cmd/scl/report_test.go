package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scl-dev/scl/probe"
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
