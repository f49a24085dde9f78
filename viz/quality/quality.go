// Package quality draws representation quality against the pretraining budget: linear-probe and
// kNN top-1 accuracy after each budget, one line per recipe, with fixed baselines (raw pixels,
// a random-init encoder) as horizontal lines. scripts/quality.sh writes its table; `scl plot
// quality` renders it.
package quality

import (
	"bufio"
	"fmt"
	"image/color"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Point is one measurement: a series (a recipe, or a baseline), its pretraining budget in
// minutes (0 for a baseline, drawn as a horizontal line) and its top-1 accuracies as fractions
// (NaN: not measured).
type Point struct {
	Series      string
	Minutes     float64
	Linear, KNN float64
}

// Header is the first line of a quality table.
const Header = "series\tminutes\tlinear\tknn"

// Read parses a quality table: Header, then one tab-separated line per point; minutes 0 marks
// a baseline and an empty or "-" accuracy one that was not measured. Errors name the line.
func Read(r io.Reader, name string) ([]Point, error) {
	sc := bufio.NewScanner(r)
	var out []Point
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			if text != Header {
				return nil, fmt.Errorf("quality: %s:1: header %q, want %q", name, text, Header)
			}
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("quality: %s:%d: %d tab-separated fields, want 4 (%s)", name, line, len(f), Header)
		}
		p := Point{Series: strings.TrimSpace(f[0])}
		if p.Series == "" {
			return nil, fmt.Errorf("quality: %s:%d: empty series name", name, line)
		}
		var err error
		if p.Minutes, err = strconv.ParseFloat(strings.TrimSpace(f[1]), 64); err != nil || p.Minutes < 0 || math.IsInf(p.Minutes, 0) {
			return nil, fmt.Errorf("quality: %s:%d: minutes %q, want a number ≥ 0 (0: a baseline)", name, line, f[1])
		}
		for i, dst := range []*float64{&p.Linear, &p.KNN} {
			s := strings.TrimSpace(f[2+i])
			if s == "" || s == "-" {
				*dst = math.NaN()
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("quality: %s:%d: %s accuracy %q, want a fraction in [0, 1] or -", name, line, []string{"linear", "knn"}[i], s)
			}
			*dst = v
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("quality: %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("quality: %s: no points", name)
	}
	return out, nil
}

// palette colours the series in order of first appearance.
var palette = []color.RGBA{
	{R: 31, G: 119, B: 180, A: 255}, {R: 214, G: 39, B: 40, A: 255}, {R: 44, G: 160, B: 44, A: 255},
	{R: 148, G: 103, B: 189, A: 255}, {R: 255, G: 127, B: 14, A: 255}, {R: 127, G: 127, B: 127, A: 255},
	{R: 140, G: 86, B: 75, A: 255}, {R: 23, G: 190, B: 207, A: 255},
}

// WritePNG draws two panels, linear probe and kNN top-1 (%) against minutes of pretraining, to
// w as a PNG of width × height points.
func WritePNG(w io.Writer, points []Point, title string, width, height vg.Length) error {
	var names []string
	seen := map[string]int{}
	maxMin := 0.0
	for _, p := range points {
		if _, ok := seen[p.Series]; !ok {
			seen[p.Series] = len(names)
			names = append(names, p.Series)
		}
		maxMin = math.Max(maxMin, p.Minutes)
	}
	if maxMin == 0 {
		maxMin = 1
	}
	var panels []*plot.Plot
	for _, metric := range []struct {
		name  string
		value func(Point) float64
	}{{"linear probe", func(p Point) float64 { return p.Linear }}, {"kNN", func(p Point) float64 { return p.KNN }}} {
		pl := plot.New()
		pl.Title.Text = title + " — " + metric.name + " top-1 (%)"
		pl.X.Label.Text = "minutes of pretraining"
		pl.Y.Label.Text = "top-1 %"
		pl.Legend.Top, pl.Legend.Left = false, false
		pl.X.Min = 0
		for _, name := range names {
			var xys plotter.XYs
			baseline := false
			for _, p := range points {
				if p.Series != name || math.IsNaN(metric.value(p)) {
					continue
				}
				if p.Minutes == 0 {
					baseline = true
					xys = append(xys, plotter.XY{X: 0, Y: 100 * metric.value(p)}, plotter.XY{X: maxMin, Y: 100 * metric.value(p)})
					continue
				}
				xys = append(xys, plotter.XY{X: p.Minutes, Y: 100 * metric.value(p)})
			}
			if len(xys) == 0 {
				continue
			}
			sort.SliceStable(xys, func(i, j int) bool { return xys[i].X < xys[j].X })
			c := palette[seen[name]%len(palette)]
			line, err := plotter.NewLine(xys)
			if err != nil {
				return fmt.Errorf("quality: %s: %w", name, err)
			}
			line.Color, line.Width = c, vg.Points(1.5)
			if baseline {
				line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
				pl.Add(line)
				pl.Legend.Add(name, line)
				continue
			}
			marks, err := plotter.NewScatter(xys)
			if err != nil {
				return fmt.Errorf("quality: %s: %w", name, err)
			}
			marks.Color = c
			pl.Add(line, marks)
			pl.Legend.Add(name, line, marks)
		}
		panels = append(panels, pl)
	}
	img := vgimg.New(width, height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Millimeter * 6, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{panels}, tiles, dc)
	for j, pl := range panels {
		pl.Draw(canvases[0][j])
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("quality: encode png: %w", err)
	}
	return nil
}
