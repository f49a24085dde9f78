//go:build !notorch

package main

import "testing"

func TestRatioStatistics(t *testing.T) {
	v := []float64{1.3, 0.9, 1.0, 5.0, 1.1, 1.2, 0.1, 1.05}
	// Sorted: 0.1 0.9 1.0 1.05 1.1 1.2 1.3 5.0.
	tests := []struct {
		name      string
		got, want float64
	}{
		{"median (nearest rank of 8: the 5th of 0-based 3.5 rounded up)", median(v), 1.1},
		{"lower quartile", quantile(v, 0.25), 1.0},
		{"upper quartile", quantile(v, 0.75), 1.2},
		{"interquartile mean: 1.0, 1.05, 1.1, 1.2", iqMean(v), 1.0875},
		{"one value", median([]float64{2}), 2},
	}
	for _, tc := range tests {
		if d := tc.got - tc.want; d > 1e-12 || d < -1e-12 {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
