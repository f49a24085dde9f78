package export

import (
	"maps"
	"path/filepath"
	"testing"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/models/archtest"
	ort "github.com/yalue/onnxruntime_go"
)

// TestExportMatchesTorchvision exports a checkpoint holding the architecture golden file's
// weights (models/testdata/torchvision_golden.json, from scripts/torchvision_golden.py), runs
// it in ONNX Runtime on the golden input and compares the features with torchvision's: a
// reference independent of scl's model description. The smaller encoders only (ResNet-18 with
// every stem, EfficientNet-B0), to keep the test short: models and models/torchnet check every
// encoder against the same file, and TestExportMatchesLibtorch ties the export to libtorch for
// all of them.
func TestExportMatchesTorchvision(t *testing.T) {
	requireORT(t)
	g, err := archtest.Load()
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range g.Nets {
		if n.Arch != string(models.ResNet18) && n.Arch != string(models.EfficientNetB0) {
			continue
		}
		t.Run(n.Name(), func(t *testing.T) {
			cfg := n.Config()
			size := n.InputShape[2]
			c, err := checkpoint.New(cfg, rgb(size), uint64(i+1))
			if err != nil {
				t.Fatal(err)
			}
			enc, _, err := models.Networks(cfg)
			if err != nil {
				t.Fatal(err)
			}
			maps.Copy(c.Target, archtest.Weights(enc, models.EncoderPrefix))
			dir := filepath.Join(t.TempDir(), "ckpt")
			if err := checkpoint.Save(dir, c); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "model.onnx")
			if _, err := Export(dir, out, Options{}); err != nil {
				t.Fatal(err)
			}
			pre, err := ReadPreprocessing(out)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := ort.NewDynamicAdvancedSession(out, []string{pre.InputName}, []string{pre.OutputName}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Destroy()
			shape := []int64{int64(n.InputShape[0]), int64(n.InputShape[1]), int64(size), int64(size)}
			y, err := runORT(sess, n.InputValues(), shape, n.InputShape[0], []int{pre.FeatureDim})
			if err != nil {
				t.Fatal(err)
			}
			rel, err := n.Compare(y[0])
			if err != nil {
				t.Fatal(err)
			}
			// BatchNorm folded into the convolutions: float32 rounding differs from torch's.
			if rel > 1e-5 {
				t.Errorf("ONNX Runtime features differ from torchvision's by %.3g relative to the largest, want ≤ 1e-5", rel)
			}
			t.Logf("relative difference to torchvision %.3g", rel)
		})
	}
}
