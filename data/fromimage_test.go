package data

import (
	"image"
	"image/color"
	"image/color/palette"
	"math/rand/v2"
	"testing"
)

// genericFrom is the per-pixel reference: every pixel through At and color.NRGBAModel.
func genericFrom(img image.Image) Image {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	out := Image{W: w, H: h, C: 3, Pix: make([]uint8, w*h*3)}
	for y := range h {
		for x := range w {
			c := color.NRGBAModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA)
			out.Pix[(y*w+x)*3], out.Pix[(y*w+x)*3+1], out.Pix[(y*w+x)*3+2] = c.R, c.G, c.B
		}
	}
	return out
}

func testImages(w, h int, seed uint64) map[string]image.Image {
	rng := rand.New(rand.NewPCG(seed, 1))
	rgba := image.NewRGBA(image.Rect(3, 2, 3+w, 2+h)) // non-zero origin
	for i := 0; i < len(rgba.Pix); i += 4 {
		a := uint8(rng.IntN(256))
		if rng.IntN(3) == 0 {
			a = 255
		}
		for c := 0; c < 3; c++ { // premultiplied: channel ≤ alpha
			rgba.Pix[i+c] = uint8(rng.IntN(int(a) + 1))
		}
		rgba.Pix[i+3] = a
	}
	pal := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9[:200])
	pal.Palette = append(pal.Palette, color.NRGBA{10, 20, 30, 40}, color.RGBA{5, 6, 7, 8})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(rng.IntN(len(pal.Palette)))
	}
	return map[string]image.Image{"rgba": rgba, "paletted": pal, "rgba sub-image": rgba.SubImage(image.Rect(5, 3, 3+w-1, 2+h))}
}

// TestFromImageFastPaths: the RGBA and paletted fast paths give exactly the per-pixel
// conversion's result.
func TestFromImageFastPaths(t *testing.T) {
	for name, img := range testImages(37, 23, 4) {
		got, want := FromImage(img), genericFrom(img)
		if got.W != want.W || got.H != want.H || got.C != 3 {
			t.Fatalf("%s: got %dx%dx%d, want %dx%dx3", name, got.W, got.H, got.C, want.W, want.H)
		}
		for i := range want.Pix {
			if got.Pix[i] != want.Pix[i] {
				t.Fatalf("%s: byte %d: got %d, want %d", name, i, got.Pix[i], want.Pix[i])
			}
		}
	}
}

// BenchmarkFromImage compares the fast paths with the per-pixel conversion they replace
// (sub-benchmarks fast/… and generic/…, same images, one run): the ratio of their ns/op is
// the speed-up.
func BenchmarkFromImage(b *testing.B) {
	imgs := testImages(512, 512, 9)
	for _, name := range []string{"rgba", "paletted"} {
		img := imgs[name]
		b.Run("fast/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				FromImage(img)
			}
		})
		b.Run("generic/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				genericFrom(img)
			}
		})
	}
}
