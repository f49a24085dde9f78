package augment

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/scl-dev/scl/data"
)

// PreviewConfig configures Preview.
type PreviewConfig struct {
	Rows int    // independent draws of the views, one row each (default 4)
	Seed uint64 // row r uses the RNG seeded with SeedFor(Seed, 0, r)
	Zoom int    // each output pixel becomes a Zoom×Zoom block (default: global views ≥ 128 px)
	Gap  int    // pixels between cells (default 4)
}

// Preview draws a grid for checking augmentations by eye: each row shows the source image
// (resized to the first view's size) followed by every view of one draw of m, de-normalised,
// all at the same zoom so local views appear at their true relative size.
func Preview(img data.Image, m *MultiCrop, cfg PreviewConfig) (*image.NRGBA, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if cfg.Rows <= 0 {
		cfg.Rows = 4
	}
	if cfg.Gap <= 0 {
		cfg.Gap = 4
	}
	shapes := m.Shapes()
	big := 0
	for _, s := range shapes {
		big = max(big, s.H)
	}
	if cfg.Zoom <= 0 {
		cfg.Zoom = max(1, (128+big-1)/big)
	}
	if big*cfg.Zoom > 4096 || cfg.Rows > 256 {
		return nil, fmt.Errorf("augment: preview of %d rows with %d px cells, want ≤ 256 rows and ≤ 4096 px", cfg.Rows, big*cfg.Zoom)
	}
	cell := big*cfg.Zoom + cfg.Gap
	W := cell*(len(shapes)+1) + cfg.Gap
	H := cell*cfg.Rows + cfg.Gap
	out := image.NewNRGBA(image.Rect(0, 0, W, H))
	draw.Draw(out, out.Bounds(), &image.Uniform{color.NRGBA{40, 40, 40, 255}}, image.Point{}, draw.Src)

	src, err := resized(img, shapes[0], m)
	if err != nil {
		return nil, err
	}
	views := make([][]float32, len(shapes))
	for v, s := range shapes {
		views[v] = make([]float32, s.Len())
	}
	w := m.NewWorker()
	for r := range cfg.Rows {
		if err := w.Apply(img, NewRNG(SeedFor(cfg.Seed, 0, r)), views); err != nil {
			return nil, err
		}
		y0 := cfg.Gap + r*cell
		paint(out, cfg.Gap, y0, src, shapes[0], m, cfg.Zoom)
		for v, s := range shapes {
			paint(out, cfg.Gap+(v+1)*cell, y0, views[v], s, m, cfg.Zoom)
		}
	}
	return out, nil
}

// paint de-normalises a CHW view and draws it zoomed with its top-left corner at (x0, y0).
func paint(dst *image.NRGBA, x0, y0 int, v []float32, s Shape, m *MultiCrop, zoom int) {
	n := s.H * s.W
	for y := range s.H {
		for x := range s.W {
			var c [3]uint8
			for ch := range 3 {
				k := min(ch, s.C-1)
				f := v[k*n+y*s.W+x]*m.Std[k] + m.Mean[k]
				c[ch] = uint8(clamp01(f)*255 + 0.5)
			}
			col := color.NRGBA{c[0], c[1], c[2], 255}
			for dy := range zoom {
				for dx := range zoom {
					dst.SetNRGBA(x0+x*zoom+dx, y0+y*zoom+dy, col)
				}
			}
		}
	}
}

// resized is the whole image at the global view's shape, normalised as the views are.
func resized(img data.Image, s Shape, m *MultiCrop) ([]float32, error) {
	img, err := img.ToChannels(s.C)
	if err != nil {
		return nil, fmt.Errorf("augment: preview: %w", err)
	}
	out := make([]float32, s.Len())
	var rz Resizer
	rz.Resize(out, img, s.W, s.H)
	n := s.H * s.W
	for c := range s.C {
		normalizeTo(out[c*n:(c+1)*n], out[c*n:(c+1)*n], m.Mean[c], m.Std[c])
	}
	return out, nil
}
