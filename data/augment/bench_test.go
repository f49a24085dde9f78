package augment

import (
	"testing"

	"github.com/scl-dev/scl/data"
)

// The Go benchmarks report ns per image (2 global + 4 local views); bench/data/run.sh
// compares the views/s with torchvision's pipeline measured in the same run.

func benchMultiCrop(b *testing.B, img data.Image, s int) {
	m, err := NewMultiCrop(s, 2, 4, 3)
	if err != nil {
		b.Fatal(err)
	}
	w := m.NewWorker()
	dst := make([][]float32, len(m.Views))
	for v, sh := range m.Shapes() {
		dst[v] = make([]float32, sh.Len())
	}
	rng := NewRNG(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		rng.Seed(SeedFor(0, 0, i))
		if err := w.Apply(img, rng, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMultiCropGrey28(b *testing.B) {
	img := data.Image{W: 28, H: 28, C: 1, Pix: make([]uint8, 28*28)}
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	benchMultiCrop(b, img, 28)
}

func BenchmarkMultiCropRGB32(b *testing.B) { benchMultiCrop(b, gradientImage(32), 32) }
func BenchmarkMultiCropRGB96(b *testing.B) { benchMultiCrop(b, gradientImage(96), 96) }
