package viz

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
)

// Palette is the class colour cycle of maps (Tableau's 10, then 10 lighter ones).
var Palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff}, {0xae, 0xc7, 0xe8, 0xff}, {0xff, 0xbb, 0x78, 0xff},
	{0x98, 0xdf, 0x8a, 0xff}, {0xff, 0x98, 0x96, 0xff}, {0xc5, 0xb0, 0xd5, 0xff}, {0xc4, 0x9c, 0x94, 0xff},
	{0xf7, 0xb6, 0xd2, 0xff}, {0xc7, 0xc7, 0xc7, 0xff}, {0xdb, 0xdb, 0x8d, 0xff}, {0x9e, 0xda, 0xe5, 0xff},
}

// MapConfig describes a 2-D map. Zero values mean the defaults.
type MapConfig struct {
	Title   string
	Classes []string // legend names by label (default "class N")
	Size    int      // plot area side in pixels (default 560)
	Dot     int      // dot side in pixels (default 3)
}

// Map draws n = len(pts)/2 points coloured by label (−1: grey), scaled to fill a square plot
// area, with a legend of the labels present.
func Map(pts []float64, labels []int64, cfg MapConfig) (*image.RGBA, error) {
	n := len(pts) / 2
	if len(pts)%2 != 0 || (labels != nil && len(labels) != n) {
		return nil, fmt.Errorf("viz: map of %d coordinates and %d labels, want 2 per point and one label each", len(pts), len(labels))
	}
	if cfg.Size <= 0 {
		cfg.Size = 560
	}
	if cfg.Dot <= 0 {
		cfg.Dot = 3
	}
	present := map[int64]int{}
	for _, l := range labels {
		present[l]++
	}
	var legend []int64
	for l := int64(-1); l < int64(max(len(cfg.Classes), 0))+256 && len(legend) < len(present); l++ {
		if present[l] > 0 {
			legend = append(legend, l)
		}
	}
	name := func(l int64) string {
		if l < 0 {
			return "unlabelled"
		}
		if int(l) < len(cfg.Classes) {
			return cfg.Classes[l]
		}
		return fmt.Sprintf("class %d", l)
	}
	legendW := 0
	for _, l := range legend {
		legendW = max(legendW, 22+charW*len([]rune(name(l))))
	}
	top := pad + lineH + 6
	w := pad + cfg.Size + 2*pad + legendW + pad
	h := max(top+cfg.Size+pad, top+len(legend)*lineH+pad)
	img := image.NewRGBA(image.Rect(0, 0, max(w, charW*len([]rune(cfg.Title))+2*pad), h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	Text(img, pad, pad+11, cfg.Title, color.Black)
	area := image.Rect(pad, top, pad+cfg.Size, top+cfg.Size)
	frame := color.RGBA{0xcc, 0xcc, 0xcc, 0xff}
	for x := area.Min.X; x < area.Max.X; x++ {
		img.Set(x, area.Min.Y, frame)
		img.Set(x, area.Max.Y-1, frame)
	}
	for y := area.Min.Y; y < area.Max.Y; y++ {
		img.Set(area.Min.X, y, frame)
		img.Set(area.Max.X-1, y, frame)
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := range n {
		minX, maxX = min(minX, pts[2*i]), max(maxX, pts[2*i])
		minY, maxY = min(minY, pts[2*i+1]), max(maxY, pts[2*i+1])
	}
	span := max(maxX-minX, maxY-minY, 1e-12)
	inner := float64(cfg.Size - 4*cfg.Dot)
	colorOf := func(l int64) color.RGBA {
		if l < 0 {
			return color.RGBA{0x9e, 0x9e, 0x9e, 0xff}
		}
		return Palette[int(l)%len(Palette)]
	}
	for i := range n {
		l := int64(-1)
		if labels != nil {
			l = labels[i]
		}
		// Centre the cloud; y grows upwards.
		x := area.Min.X + 2*cfg.Dot + int((pts[2*i]-minX+(span-(maxX-minX))/2)/span*inner)
		y := area.Max.Y - 2*cfg.Dot - int((pts[2*i+1]-minY+(span-(maxY-minY))/2)/span*inner)
		draw.Draw(img, image.Rect(x-cfg.Dot/2, y-cfg.Dot/2, x-cfg.Dot/2+cfg.Dot, y-cfg.Dot/2+cfg.Dot), image.NewUniform(colorOf(l)), image.Point{}, draw.Src)
	}
	lx := area.Max.X + 2*pad
	for i, l := range legend {
		y := top + i*lineH
		draw.Draw(img, image.Rect(lx, y+3, lx+12, y+13), image.NewUniform(colorOf(l)), image.Point{}, draw.Src)
		Text(img, lx+18, y+12, name(l), color.Black)
	}
	return img, nil
}

// SideBySide places images left to right on white, top-aligned.
func SideBySide(imgs ...*image.RGBA) *image.RGBA {
	w, h := 0, 0
	for _, m := range imgs {
		w += m.Bounds().Dx()
		h = max(h, m.Bounds().Dy())
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	x := 0
	for _, m := range imgs {
		draw.Draw(out, m.Bounds().Add(image.Pt(x, 0)), m, m.Bounds().Min, draw.Src)
		x += m.Bounds().Dx()
	}
	return out
}
