package probe

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// preconditionRows bounds the rows used to estimate the preconditioner.
const preconditionRows = 4096

// preconditioner is a change of variables W̃ = V L⁻¹ (each class's weights
// w̃ₖ = L⁻ᵀvₖ) with L Lᵀ = A, the Cholesky factor of an approximation of the
// per-class Hessian of the objective:
//
//	A = q·(N/m)·X̃ₛᵀX̃ₛ + diag(1/C, …, 1/C, 0),   q = 1/K²,
//
// X̃ₛ being m ≤ 4096 evenly spaced rows with a column of ones appended (the
// intercept column, present only when the intercept is fitted; its
// regularisation is 0). At the start of a fit pᵢₖ = 1/K and the per-class
// curvature of the softmax is pₖ(1 − pₖ) ≈ 1/K; it falls as the fit sharpens
// the probabilities, and q = 1/K² sits between the two regimes. L-BFGS
// corrects what the approximation misses; in the variables V the problem is
// far better conditioned. Cost: m·(D+1)² for A and (D+1)³/3 for its
// factorisation, once per fit, and K·(D+1)² per evaluation.
type preconditioner struct {
	l  blas64.Triangular // lower Cholesky factor of A, (D+1)×(D+1)
	ld int
}

// preconditionPays reports whether the preconditioner is expected to save
// time: its one-off cost m·(D+1)²/2 + (D+1)³/3 must stay below 30
// evaluations of the objective (2·N·D·K each) and its per-evaluation cost,
// two triangular solves of K×(D+1)², below half of one. On raw pixels it
// saves 70–200 evaluations (6,000 or 60,000 rows × 784); wide features on
// few rows (5,000 × 2,048: 56 evaluations once) fail the test, and they are
// the well-conditioned cases, where the regulariser dominates and plain
// L-BFGS needs few iterations (50 there).
func preconditionPays(n, d, k int) bool {
	m := float64(min(n, preconditionRows))
	ld := float64(d + 1)
	eval := 2 * float64(n) * float64(d) * float64(k)
	once := m*ld*ld/2 + ld*ld*ld/3
	perEval := 2 * float64(k) * ld * ld
	return once <= 30*eval && perEval <= 0.5*eval
}

// newPreconditioner returns nil when A is not positive definite (then the
// fit runs on the original variables).
func newPreconditioner(ds *Dataset, k int, c float64, fitIntercept bool) *preconditioner {
	n, d := ds.Rows, ds.Dim
	ld := d + 1
	m := min(n, preconditionRows)
	xs := make([]float64, m*ld)
	for r := 0; r < m; r++ {
		i := int(int64(r) * int64(n) / int64(m))
		copy(xs[r*ld:r*ld+d], ds.Row(i))
		if fitIntercept {
			xs[r*ld+d] = 1
		}
	}
	q := 1 / float64(k*k)
	a := blas64.Symmetric{N: ld, Stride: ld, Data: make([]float64, ld*ld), Uplo: blas.Upper}
	blas64.Syrk(blas.Trans, q*float64(n)/float64(m), blas64.General{Rows: m, Cols: ld, Stride: ld, Data: xs}, 0, a)
	for j := 0; j < d; j++ {
		a.Data[j*ld+j] += 1 / c
	}
	if !fitIntercept {
		// The intercept is fixed at zero: give its unused variable unit curvature.
		a.Data[d*ld+d] = 1
	}
	var chol mat.Cholesky
	if ok := chol.Factorize(mat.NewSymDense(ld, a.Data)); !ok {
		return nil
	}
	var low mat.TriDense
	chol.LTo(&low)
	return &preconditioner{l: low.RawTriangular(), ld: ld}
}

// toOriginal computes W̃ = V L⁻¹ in place on the K×(D+1) matrix v.
func (p *preconditioner) toOriginal(v []float64, k int) {
	b := blas64.General{Rows: k, Cols: p.ld, Stride: p.ld, Data: v}
	blas64.Trsm(blas.Right, blas.NoTrans, 1, p.l, b)
}

// gradToPreconditioned computes ∇_V = ∇_W̃ L⁻ᵀ in place.
func (p *preconditioner) gradToPreconditioned(g []float64, k int) {
	b := blas64.General{Rows: k, Cols: p.ld, Stride: p.ld, Data: g}
	blas64.Trsm(blas.Right, blas.Trans, 1, p.l, b)
}
