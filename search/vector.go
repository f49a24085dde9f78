package search

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// Normalize scales each of the len(x)/dim rows of x to unit L2 norm in place. A zero row stays
// zero (it then scores 0 against everything).
func Normalize(x []float32, dim int) {
	for i := 0; i+dim <= len(x); i += dim {
		row := x[i : i+dim]
		var s float64
		for _, v := range row {
			s += float64(v) * float64(v)
		}
		if s == 0 {
			continue
		}
		inv := float32(1 / math.Sqrt(s))
		for j := range row {
			row[j] *= inv
		}
	}
}

// impl is gonum's float32 BLAS (assembly kernels on amd64).
var impl = blas32.Implementation()

// dot is the inner product of two equally long vectors (gonum's SDOT: about 2.5× a plain Go
// loop at 128-d).
func dot(a, b []float32) float32 { return impl.Sdot(len(a), a, 1, b[:len(a)], 1) }

// checkVectors validates a row-major matrix of n rows of dim values.
func checkVectors(x []float32, dim int) (int, error) {
	if dim <= 0 {
		return 0, fmt.Errorf("search: dimension %d, want > 0", dim)
	}
	if len(x)%dim != 0 {
		return 0, fmt.Errorf("search: %d values is not a whole number of %d-d vectors", len(x), dim)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return 0, fmt.Errorf("search: vector %d has a non-finite value %v at position %d", i/dim, v, i%dim)
		}
	}
	return len(x) / dim, nil
}
