package probe

import (
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// BenchmarkLossGrad times one loss-and-gradient evaluation (8192 × 784, 10
// classes) and, in the same run, the baseline it replaced: the two products
// Z = X Wᵀ and G = Zᵀ X as whole-matrix gonum Dgemm calls (without even the
// softmax). It reports the ratio fused/dgemm (below 1: the fused pass wins).
func BenchmarkLossGrad(b *testing.B) {
	const n, d, k = 8192, 784, 10
	r := rand.New(rand.NewPCG(1, 2))
	ds := &Dataset{X: make([]float64, n*d), Rows: n, Dim: d, Labels: make([]int64, n)}
	for i := range ds.X {
		if r.Float64() < 0.5 { // about half the pixels of Fashion-MNIST are 0
			ds.X[i] = r.Float64()
		}
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % k
	}
	theta := make([]float64, k*(d+1))
	for i := range theta {
		theta[i] = 0.01 * r.NormFloat64()
	}
	grad := make([]float64, len(theta))
	z := make([]float64, n*k)
	obj := newObjective(ds, y, k, 1, true, 0)
	impl := blas64.Implementation()
	b.ReportAllocs()
	var fused, dgemm time.Duration
	for b.Loop() {
		t := time.Now()
		obj.lossGrad(theta, grad)
		fused += time.Since(t)
		t = time.Now()
		impl.Dgemm(blas.NoTrans, blas.Trans, n, k, d, 1, ds.X, d, theta, d+1, 0, z, k)
		impl.Dgemm(blas.Trans, blas.NoTrans, k, d, n, 1, z, k, ds.X, d, 0, grad, d+1)
		dgemm += time.Since(t)
	}
	b.ReportMetric(float64(fused)/float64(dgemm), "fused/dgemm")
}
