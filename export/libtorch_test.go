//go:build !notorch

package export

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExportMatchesLibtorch checks the export (BatchNorm folding, the projector, dynamic batch)
// against libtorch for every architecture (both ResNet stems), freshly initialised with random
// BatchNorm statistics, exported with the projector, run in ONNX Runtime and compared with the
// checkpoint in libtorch (eval mode) within 1e-4, on two batch sizes. Both sides build the
// network from scl's own description; the independent reference is torchvision's output
// (TestExportMatchesTorchvision, and models/torchnet's TestTorchvisionGolden for libtorch).
func TestExportMatchesLibtorch(t *testing.T) {
	requireORT(t)
	for i, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeCheckpoint(t, tc, uint64(i+1))
			out := filepath.Join(t.TempDir(), "model.onnx")
			if _, err := Export(dir, out, Options{WithProjector: true}); err != nil {
				t.Fatal(err)
			}
			res, err := Verify(dir, out, VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(res.Reference, "libtorch") {
				t.Errorf("got reference %q, want libtorch by default", res.Reference)
			}
			for _, c := range res.Checks {
				t.Logf("batch %d %s: max abs diff %.3g (outputs up to %.3g)", c.Batch, c.Output, c.MaxAbsDiff, c.MaxAbs)
			}
		})
	}
}
