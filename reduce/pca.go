package reduce

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// PCA projects the n = len(x)/dim rows of x onto their top k principal components (centred),
// returning n×k values row-major and the fraction of variance each component explains. Signs
// are fixed so that each component's largest loading is positive.
func PCA(x []float32, dim, k int) ([]float64, []float64, error) {
	if dim <= 0 || len(x)%dim != 0 || len(x) == 0 {
		return nil, nil, fmt.Errorf("reduce: %d values is not a non-empty set of %d-d rows", len(x), dim)
	}
	if k < 1 || k > dim {
		return nil, nil, fmt.Errorf("reduce: %d components of %d-d data, want 1…%d", k, dim, dim)
	}
	n := len(x) / dim
	mean := make([]float64, dim)
	for i := range n {
		for j := range dim {
			mean[j] += float64(x[i*dim+j])
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	c := mat.NewDense(n, dim, nil)
	for i := range n {
		for j := range dim {
			c.Set(i, j, float64(x[i*dim+j])-mean[j])
		}
	}
	var cov mat.SymDense
	cov.SymOuterK(1/float64(max(n-1, 1)), c.T())
	var eig mat.EigenSym
	if !eig.Factorize(&cov, true) {
		return nil, nil, fmt.Errorf("reduce: PCA: eigen-decomposition did not converge")
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	var total float64
	for _, v := range vals {
		total += max(v, 0)
	}
	comps := mat.NewDense(dim, k, nil)
	explained := make([]float64, k)
	for c := range k {
		col := dim - 1 - c
		big, sign := 0.0, 1.0
		for j := range dim {
			if v := vecs.At(j, col); v*v > big {
				big = v * v
				sign = 1
				if v < 0 {
					sign = -1
				}
			}
		}
		for j := range dim {
			comps.Set(j, c, sign*vecs.At(j, col))
		}
		if total > 0 {
			explained[c] = max(vals[col], 0) / total
		}
	}
	var out mat.Dense
	out.Mul(c, comps)
	return out.RawMatrix().Data, explained, nil
}
