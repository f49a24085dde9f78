//go:build !notorch

package main

import (
	"slices"
	"testing"
)

// TestMedianAndRoundRatios checks the statistics bench/train reports: medians, per-round ratios
// and one side's summary, against values worked out by hand.
func TestMedianAndRoundRatios(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{1.06, 1.17, 1.02}, 1.06}} {
		in := slices.Clone(tc.v)
		if got := median(tc.v); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.v, got, tc.want)
		}
		if !slices.Equal(tc.v, in) {
			t.Errorf("median reordered its input: %v, was %v", tc.v, in)
		}
	}
	scl := []measurement{{ImagesPerSec: 12, CPUPerImage: 0.1}, {ImagesPerSec: 10, CPUPerImage: 0.2}, {ImagesPerSec: 30, CPUPerImage: 0.1}}
	py := []measurement{{ImagesPerSec: 10, CPUPerImage: 0.2}, {ImagesPerSec: 10, CPUPerImage: 0.2}, {ImagesPerSec: 20, CPUPerImage: 0.3}}
	c := compareRounds(scl, py)
	if want := []float64{1.2, 1, 1.5}; !slices.Equal(c.speed, want) {
		t.Errorf("speed ratios %v, want %v", c.speed, want)
	}
	if want := []float64{2, 1, 3}; !slices.EqualFunc(c.cpu, want, func(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }) {
		t.Errorf("CPU ratios %v, want %v", c.cpu, want)
	}
	if got := c.rounds(); got != "1.20, 1.00, 1.50" {
		t.Errorf("rounds() = %q, want %q", got, "1.20, 1.00, 1.50")
	}
	if c.py.ImagesPerSec != 10 {
		t.Errorf("PyTorch's typical rate %v, want the median 10", c.py.ImagesPerSec)
	}
	// typical: median rate, median CPU time, worst RSS.
	scl[0].PeakRSSMB, scl[1].PeakRSSMB, scl[2].PeakRSSMB = 100, 300, 200
	got := typical(scl)
	if got.ImagesPerSec != 12 || got.CPUPerImage != 0.1 || got.PeakRSSMB != 300 {
		t.Errorf("typical = %.1f images/s, %.1f CPU-s/image, %.0f MB; want 12, 0.1, 300", got.ImagesPerSec, got.CPUPerImage, got.PeakRSSMB)
	}
}

// TestTopKeys checks the operator rows -ops picks: the n largest values, largest first, ties
// by name, and every key when n exceeds them.
func TestTopKeys(t *testing.T) {
	m := map[string]float64{"aten::mm": 5, "aten::add": 1, "ConvolutionBackward0": 9, "aten::mul": 1}
	for _, tc := range []struct {
		n    int
		want []string
	}{
		{0, []string{}},
		{1, []string{"ConvolutionBackward0"}},
		{3, []string{"ConvolutionBackward0", "aten::mm", "aten::add"}},
		{9, []string{"ConvolutionBackward0", "aten::mm", "aten::add", "aten::mul"}},
	} {
		if got := topKeys(m, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("topKeys(n=%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}
