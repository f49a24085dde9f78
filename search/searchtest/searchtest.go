// Package searchtest generates vectors shaped like real embeddings for the search package's tests
// and for bench/search: class-like clusters with a low intrinsic dimension.
package searchtest

import "math/rand/v2"

// EmbeddingLike returns n × dim vectors: a mixture of c Gaussian clusters in a 16-d latent
// space mapped to dim dimensions by a fixed random matrix (seed), plus a little isotropic noise.
// Different stream values give different points of the same distribution.
func EmbeddingLike(n, dim, c int, noise float32, seed, stream uint64) []float32 {
	const latent = 16
	rng := rand.New(rand.NewPCG(seed, 7))
	centres := make([]float32, c*latent)
	for i := range centres {
		centres[i] = float32(rng.NormFloat64())
	}
	proj := make([]float32, latent*dim)
	for i := range proj {
		proj[i] = float32(rng.NormFloat64())
	}
	pts := rand.New(rand.NewPCG(seed, stream))
	x := make([]float32, n*dim)
	z := make([]float32, latent)
	for i := range n {
		ci := pts.IntN(c)
		for j := range z {
			z[j] = centres[ci*latent+j] + noise*float32(pts.NormFloat64())
		}
		row := x[i*dim : (i+1)*dim]
		for j := range row {
			row[j] = 0.05 * float32(pts.NormFloat64())
		}
		for l, zl := range z {
			for j := range row {
				row[j] += zl * proj[l*dim+j]
			}
		}
	}
	return x
}
