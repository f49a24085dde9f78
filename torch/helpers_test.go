//go:build !notorch

package torch_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/scl-dev/scl/torch"
)

// values64 reads a float64 tensor, failing the test on error.
func values64(t *testing.T, x *torch.Tensor) []float64 {
	t.Helper()
	v, err := x.Float64s()
	if err != nil {
		t.Fatalf("Float64s: %v", err)
	}
	return v
}

// closeTo compares element-wise with an absolute+relative tolerance.
func closeTo(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", name, len(got), len(want))
	}
	for i := range got {
		if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d]: got %v, want %v (tolerance %g)\n got  %v\n want %v", name, i, got[i], want[i], tol, got, want)
		}
	}
}

// checkLive fails the test if the live-handle counter does not return to its value at the
// start of the test.
func checkLive(t *testing.T) {
	t.Helper()
	start := torch.LiveTensors()
	t.Cleanup(func() {
		if got := torch.LiveTensors(); got != start {
			t.Errorf("LiveTensors after test: got %d, want %d", got, start)
		}
	})
}

// lcg is a tiny deterministic generator for test inputs, independent of libtorch.
type lcg uint64

func (g *lcg) next() float64 {
	*g = *g*6364136223846793005 + 1442695040888963407
	return float64(uint64(*g)>>11) / float64(1<<53)
}

// uniform returns n values uniform on [lo, hi).
func (g *lcg) uniform(n int, lo, hi float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + (hi-lo)*g.next()
	}
	return out
}

func numel(shape []int64) int {
	n := 1
	for _, d := range shape {
		n *= int(d)
	}
	return n
}

func sprint(v any) string { return fmt.Sprint(v) }
