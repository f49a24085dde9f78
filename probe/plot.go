package probe

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// ConfusionPNG renders a confusion matrix (rows: true class, columns:
// predicted class) as a PNG heat map. Cells are shaded by the row-normalised
// fraction (recall per class on the diagonal); counts are written in the
// cells and class labels on the axes when they fit.
func ConfusionPNG(m *Metrics, title string) ([]byte, error) {
	k := len(m.Classes)
	if k == 0 || len(m.Confusion) != k {
		return nil, fmt.Errorf("probe: confusion plot: %d classes, %d matrix rows", k, len(m.Confusion))
	}
	cell := 44
	switch {
	case k > 100:
		cell = max(1, 1000/k)
	case k > 20:
		cell = max(8, 900/k)
	}
	face := basicfont.Face7x13
	margin := 16
	// Rows are labelled "label name" when the data set names its classes, columns by number.
	rowLabel := func(c int64) string {
		s := strconv.FormatInt(c, 10)
		if name := m.ClassName(c); name != "" {
			s += " " + name
		}
		return s
	}
	labelW, colW := 0, 0
	if cell >= 14 {
		for _, c := range m.Classes {
			labelW = max(labelW, 7*len([]rune(rowLabel(c))))
			colW = max(colW, 7*len(strconv.FormatInt(c, 10)))
		}
		labelW += 8
		colW += 8
	}
	top := margin + 26 + colW
	left := margin + 20 + labelW
	w := left + k*cell + margin
	h := top + k*cell + margin + 20
	img := image.NewRGBA(image.Rect(0, 0, max(w, 7*len(title)+2*margin), h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	text := func(x, y int, s string, col color.Color) {
		d := font.Drawer{Dst: img, Src: image.NewUniform(col), Face: face, Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	text(margin, margin+10, title, color.Black)
	text(left, h-margin, "predicted", color.Black)
	text(margin, top-6, "true", color.Black)

	for t := 0; t < k; t++ {
		var total int
		for _, v := range m.Confusion[t] {
			total += v
		}
		for p := 0; p < k; p++ {
			frac := 0.0
			if total > 0 {
				frac = float64(m.Confusion[t][p]) / float64(total)
			}
			// White → dark blue.
			col := color.RGBA{
				R: uint8(255 - frac*(255-8)),
				G: uint8(255 - frac*(255-48)),
				B: uint8(255 - frac*(255-107)),
				A: 255,
			}
			r := image.Rect(left+p*cell, top+t*cell, left+(p+1)*cell, top+(t+1)*cell)
			draw.Draw(img, r, image.NewUniform(col), image.Point{}, draw.Src)
			if cell >= 28 {
				s := strconv.Itoa(m.Confusion[t][p])
				tc := color.Color(color.Black)
				if frac > 0.5 {
					tc = color.White
				}
				if 7*len(s) <= cell-2 {
					text(r.Min.X+(cell-7*len(s))/2, r.Min.Y+cell/2+4, s, tc)
				}
			}
		}
	}
	if labelW > 0 {
		for i, c := range m.Classes {
			s := strconv.FormatInt(c, 10)
			text(left-labelW+2, top+i*cell+cell/2+4, rowLabel(c), color.Black)
			// Column labels, written horizontally above each column.
			text(left+i*cell+(cell-7*len(s))/2, top-4, s, color.Black)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("probe: encoding confusion plot: %w", err)
	}
	return buf.Bytes(), nil
}
