//go:build !notorch

package export

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/models"
)

// BenchmarkORTvsLibtorch times eval-mode inference of the same ResNet-18 (CIFAR stem, 32×32,
// batch 32) in ONNX Runtime (the exported model, BN folded) and in libtorch (the checkpoint,
// the verify reference), and reports libtorch-time/ORT-time as "libtorch/ort" (> 1: ORT faster).
// ns/op is ORT's.
func BenchmarkORTvsLibtorch(b *testing.B) {
	if err := InitORT(""); err != nil {
		b.Skipf("ONNX Runtime unavailable (%v): set SCL_ORT_LIB", err)
	}
	const batch, size = 32, 32
	tc := testCase{"resnet18_cifar", models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR}, size, rgb(size)}
	c, err := checkpoint.New(tc.cfg, tc.data, 1)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "ckpt")
	if err := checkpoint.Save(dir, c); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "m.onnx")
	if _, err := Export(dir, out, Options{}); err != nil {
		b.Fatal(err)
	}
	sess, err := ort.NewDynamicAdvancedSession(out, []string{InputName}, []string{FeaturesName}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Destroy()
	ref, err := LibtorchReference(&c.Config, c.Target, false)
	if err != nil {
		b.Fatal(err)
	}
	defer ref.Close()
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, batch*3*size*size)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	shape := []int64{batch, 3, size, size}
	// Warm both engines up outside the timer.
	if _, err := runORT(sess, x, shape, batch, []int{512}); err != nil {
		b.Fatal(err)
	}
	if _, _, err := ref.Forward(x, batch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if _, err := runORT(sess, x, shape, batch, []int{512}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.StopTimer()
	ortTime := b.Elapsed()
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, _, err := ref.Forward(x, batch); err != nil {
			b.Fatal(err)
		}
	}
	torchTime := time.Since(start)
	b.ReportMetric(float64(torchTime)/float64(ortTime), "libtorch/ort")
	b.ReportMetric(float64(batch*n)/ortTime.Seconds(), "ort_images/s")
	b.ReportMetric(float64(batch*n)/torchTime.Seconds(), "libtorch_images/s")
}
