package metrics

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/scl-dev/scl/internal/atomicfile"
)

// curve is one panel of the figure: a title and how to read its value from a step record.
type curve struct {
	title string
	value func(Record) float64
}

var stepCurves = []curve{
	{"loss", func(r Record) float64 { return r.Loss }},
	{"KL", func(r Record) float64 { return r.KL }},
	{"γ (confidence penalty)", func(r Record) float64 { return r.Gamma }},
	{"β (EMA)", func(r Record) float64 { return r.Beta }},
	{"scale exp(τ)", func(r Record) float64 { return r.Scale }},
	{"bias b", func(r Record) float64 { return r.Bias }},
	{"learning rate", func(r Record) float64 { return r.LR }},
	{"images/s", func(r Record) float64 { return r.ImagesPerSec }},
}

// WritePNG renders the curves of recs (one panel per quantity against the optimizer step,
// plus one panel per evaluation metric) as a PNG image of the given width and height in
// points to w.
func WritePNG(w io.Writer, recs []Record, width, height vg.Length) error {
	var steps []Record
	evalNames := []string{}
	seen := map[string]bool{}
	for _, r := range recs {
		switch r.Kind {
		case KindStep:
			steps = append(steps, r)
		case KindEval:
			for name := range r.Eval {
				if !seen[name] {
					seen[name] = true
					evalNames = append(evalNames, name)
				}
			}
		}
	}
	if len(steps) == 0 {
		return errors.New("metrics: plot: no step records to draw")
	}
	sort.Strings(evalNames)

	var panels []*plot.Plot
	for _, c := range stepCurves {
		xys := make(plotter.XYs, len(steps))
		for i, r := range steps {
			xys[i] = plotter.XY{X: float64(r.Step), Y: c.value(r)}
		}
		p, err := linePanel(c.title, xys, color.RGBA{R: 31, G: 119, B: 180, A: 255})
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	for _, name := range evalNames {
		var xys plotter.XYs
		for _, r := range recs {
			if v, ok := r.Eval[name]; ok && r.Kind == KindEval {
				xys = append(xys, plotter.XY{X: float64(r.Step), Y: v})
			}
		}
		p, err := linePanel("eval "+name, xys, color.RGBA{R: 214, G: 39, B: 40, A: 255})
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}

	const cols = 3
	rows := (len(panels) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, p := range panels {
		grid[i/cols][i%cols] = p
	}
	img := vgimg.New(width, height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(grid, tiles, dc)
	for i := range grid {
		for j, p := range grid[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("metrics: plot: encode png: %w", err)
	}
	return nil
}

func linePanel(title string, xys plotter.XYs, c color.Color) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "step"
	if len(xys) == 0 {
		return p, nil
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return nil, fmt.Errorf("metrics: plot %s: %w", title, err)
	}
	line.Color = c
	p.Add(line)
	p.Y.Tick.Marker = preciseTicks{}
	// A flat series (constant γ or learning rate) gets a small range around its value rather
	// than gonum's default, which would label a constant 3e-4 as 0.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, xy := range xys {
		lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
	}
	if span := hi - lo; span <= 1e-9*math.Max(math.Abs(hi), math.Abs(lo)) || span == 0 {
		pad := math.Max(0.1*math.Abs(hi), 1e-12)
		p.Y.Min, p.Y.Max = lo-pad, hi+pad
	}
	if len(xys) == 1 {
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("metrics: plot %s: %w", title, err)
		}
		p.Add(sc)
	}
	return p, nil
}

// preciseTicks labels gonum's default tick positions with up to 6 significant digits, so that
// close values (β = 0.99 … 0.990002, b = −5.05 … −5.10) get distinct labels.
type preciseTicks struct{}

func (preciseTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 6, 64)
		}
	}
	return ticks
}

// PlotFile reads the metrics file at in and writes the PNG figure to out (created with its
// directory; written to a temporary file and renamed, so a reader never sees half an image).
func PlotFile(in, out string) error {
	recs, err := Read(in)
	if err != nil {
		return err
	}
	err = atomicfile.Write(out, func(w io.Writer) error {
		return WritePNG(w, recs, 30*vg.Centimeter, 24*vg.Centimeter)
	})
	if err != nil {
		return fmt.Errorf("metrics: plot %s from %s: %w", out, in, err)
	}
	return nil
}
