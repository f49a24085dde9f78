//go:build !notorch

package train

import (
	"slices"
	"testing"

	"github.com/scl-dev/scl/torch"
)

// TestContiguousConvNames: what the start-up message names is what the trainer builds — the
// width-64 ResNet-18's last stage under auto on the CPU (checked against the built network's
// own list), nothing at width 16 or with an explicit layout.
func TestContiguousConvNames(t *testing.T) {
	lastStage := []string{"layer4.0.conv1", "layer4.0.conv2", "layer4.0.downsample.0", "layer4.1.conv1", "layer4.1.conv2"}
	tests := []struct {
		name   string
		width  int
		format MemoryFormat
		want   []string
	}{
		{"width 64, auto", 64, MemoryAuto, lastStage},
		{"width 16, auto", 16, MemoryAuto, nil},
		{"width 64, channels-last throughout", 64, MemoryChannelsLast, nil},
		{"width 64, contiguous", 64, MemoryContiguous, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.ImageSize, cfg.Stem, cfg.Width, cfg.BatchSize = 28, StemCIFAR, tc.width, 8
			cfg.Precision, cfg.MemoryFormat, cfg.OutDir = FP32, tc.format, t.TempDir()
			got, err := cfg.ContiguousConvNames(torch.CPUDevice)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("named %v, want %v", got, tc.want)
			}
			tr, err := NewTrainer(cfg, 10)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			for _, m := range []string{"online", "target"} {
				net := tr.Online()
				if m == "target" {
					net = tr.Target()
				}
				if built := net.ContiguousConvs(); !slices.Equal(built, tc.want) {
					t.Errorf("the %s network keeps %v contiguous, want %v", m, built, tc.want)
				}
			}
		})
	}
}
