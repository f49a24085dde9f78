//go:build !notorch

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/scl-dev/scl/torch"
)

func TestOpTable(t *testing.T) {
	stats := []torch.OpStat{
		{Name: "ConvolutionBackward0", Calls: 40, Total: 800 * time.Millisecond, Self: 600 * time.Millisecond},
		{Name: "aten::convolution", Calls: 40, Total: 300 * time.Millisecond, Self: 300 * time.Millisecond},
		{Name: "aten::add_", Calls: 100, Total: 100 * time.Millisecond, Self: 100 * time.Millisecond,
			Paths: []torch.OpPath{
				{Path: "Optimizer > aten::add_", Calls: 60, Self: 70 * time.Millisecond},
				{Path: "", Calls: 38, Self: 28 * time.Millisecond},
				{Path: "AddBackward0", Calls: 2, Self: 2 * time.Millisecond},
			}},
	}
	cases := []struct {
		name     string
		top      int
		want     []string // substrings, in order
		wantNone []string
	}{
		{
			name: "all rows, per step over steps 2-5",
			top:  10,
			want: []string{"the 3 largest of 3", "steps 2-5",
				"ConvolutionBackward0", "150.00", "200.00", "10.0", "60.0%",
				"aten::convolution", "75.00", "30.0%",
				"aten::add_", "25.00", "25.0", "10.0%",
				"all operators", "250.00", "100.0%",
				"where they ran", "aten::add_", "17.50 ms", "70.0%", "Optimizer > aten::add_",
				"7.00 ms", "28.0%", "(called by scl)"},
			wantNone: []string{"AddBackward0"}, // 2 % of aten::add_: below the listing's floor
		},
		{
			name:     "top 1",
			top:      1,
			want:     []string{"the 1 largest of 3", "ConvolutionBackward0", "all operators", "250.00"},
			wantNone: []string{"aten::convolution", "aten::add_", "where they ran"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := opTable(stats, 2, 5, c.top)
			rest := got
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("table lacks %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range c.wantNone {
				if strings.Contains(got, w) {
					t.Errorf("table has %q:\n%s", w, got)
				}
			}
		})
	}
}
