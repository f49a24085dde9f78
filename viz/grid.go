package viz

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/scl-dev/scl/internal/atomicfile"
)

// Frame colours of a neighbour: same class as the query, another class, or unknown.
var (
	Same    = color.RGBA{0x1a, 0x9e, 0x3a, 0xff}
	Differ  = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	Unknown = color.RGBA{0x9e, 0x9e, 0x9e, 0xff}
	Query   = color.RGBA{0x1f, 0x4e, 0xb4, 0xff}
)

// Tile is one thumbnail of a grid.
type Tile struct {
	Image image.Image // nil draws a grey placeholder
	Frame color.Color // nil: no frame
	Lines []string    // captions under the thumbnail (cut to the tile's width)
}

// GridConfig sizes a grid. Zero values mean the defaults.
type GridConfig struct {
	Thumb  int    // thumbnail side in pixels (default 72)
	Border int    // frame width (default 3)
	Title  string // optional line above the grid
}

const (
	lineH = 14 // text line height of basicfont 7×13
	charW = 7
	pad   = 6
)

// Grid draws rows of tiles: each tile is the image scaled to a Thumb×Thumb square (aspect kept,
// nearest-neighbour when enlarging small images so pixels stay sharp), a frame, and the caption
// lines under it. The image is (cols·cell + pad) wide, cols being the longest row.
func Grid(rows [][]Tile, cfg GridConfig) *image.RGBA {
	if cfg.Thumb <= 0 {
		cfg.Thumb = 72
	}
	if cfg.Border <= 0 {
		cfg.Border = 3
	}
	lines, cols := 0, 0
	for _, r := range rows {
		cols = max(cols, len(r))
		for _, t := range r {
			lines = max(lines, len(t.Lines))
		}
	}
	cellW := cfg.Thumb + 2*cfg.Border + pad
	cellH := cfg.Thumb + 2*cfg.Border + lines*lineH + pad
	top := pad
	if cfg.Title != "" {
		top += lineH + 4
	}
	w, h := max(cols*cellW+pad, len(cfg.Title)*charW+2*pad), top+len(rows)*cellH
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	if cfg.Title != "" {
		Text(img, pad, pad+11, cfg.Title, color.Black)
	}
	for ri, r := range rows {
		for ci, t := range r {
			x0, y0 := pad+ci*cellW, top+ri*cellH
			if t.Frame != nil {
				draw.Draw(img, image.Rect(x0, y0, x0+cfg.Thumb+2*cfg.Border, y0+cfg.Thumb+2*cfg.Border), image.NewUniform(t.Frame), image.Point{}, draw.Src)
			}
			box := image.Rect(x0+cfg.Border, y0+cfg.Border, x0+cfg.Border+cfg.Thumb, y0+cfg.Border+cfg.Thumb)
			draw.Draw(img, box, image.NewUniform(color.RGBA{0xee, 0xee, 0xee, 0xff}), image.Point{}, draw.Src)
			if t.Image != nil {
				drawThumb(img, box, t.Image)
			}
			maxChars := (cfg.Thumb + 2*cfg.Border + pad - 2) / charW
			for li, s := range t.Lines {
				if len([]rune(s)) > maxChars {
					s = string([]rune(s)[:maxChars-1]) + "…"
				}
				Text(img, x0, y0+cfg.Thumb+2*cfg.Border+11+li*lineH, s, color.Black)
			}
		}
	}
	return img
}

// drawThumb scales src into box keeping its aspect ratio, centred.
func drawThumb(dst *image.RGBA, box image.Rectangle, src image.Image) {
	sb := src.Bounds()
	if sb.Dx() == 0 || sb.Dy() == 0 {
		return
	}
	side := box.Dx()
	w, h := side, side
	if sb.Dx() > sb.Dy() {
		h = max(1, side*sb.Dy()/sb.Dx())
	} else {
		w = max(1, side*sb.Dx()/sb.Dy())
	}
	r := image.Rect(0, 0, w, h).Add(box.Min).Add(image.Pt((side-w)/2, (side-h)/2))
	var s xdraw.Scaler = xdraw.CatmullRom
	if w >= sb.Dx() {
		s = xdraw.NearestNeighbor
	}
	s.Scale(dst, r, src, sb, xdraw.Src, nil)
}

// Text draws s with its baseline at (x, y).
func Text(dst draw.Image, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// WritePNG writes img to path atomically.
func WritePNG(path string, img image.Image) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	return nil
}
