package search

import (
	"math/rand/v2"
	"sort"
)

// clustered returns n×dim vectors shaped like embeddings: a mixture of c Gaussian clusters in a
// 16-d latent space, mapped to dim dimensions by a fixed random matrix, plus a little isotropic
// noise (real embeddings cluster by class and have a low intrinsic dimension). The same seed
// gives the same centres and map, so two calls give training and held-out points.
func clustered(n, dim, c int, noise float32, seed uint64) []float32 {
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
	pts := rand.New(rand.NewPCG(seed, uint64(n)))
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

// bruteForce is the reference: float64 cosine similarity of every pair, sorted.
func bruteForce(x, q []float32, dim, k int, filter func(int) bool) [][]Hit {
	norm := func(v []float32) []float64 {
		var s float64
		for _, a := range v {
			s += float64(a) * float64(a)
		}
		out := make([]float64, len(v))
		for i, a := range v {
			out[i] = float64(a)
			if s > 0 {
				out[i] /= sqrt(s)
			}
		}
		return out
	}
	n := len(x) / dim
	xs := make([][]float64, n)
	for i := range n {
		xs[i] = norm(x[i*dim : (i+1)*dim])
	}
	var out [][]Hit
	for qi := 0; qi < len(q)/dim; qi++ {
		qv := norm(q[qi*dim : (qi+1)*dim])
		type pair struct {
			row int
			s   float64
		}
		var all []pair
		for i := range n {
			if filter != nil && !filter(i) {
				continue
			}
			var s float64
			for j := range dim {
				s += qv[j] * xs[i][j]
			}
			all = append(all, pair{i, s})
		}
		sort.Slice(all, func(a, b int) bool {
			if all[a].s != all[b].s {
				return all[a].s > all[b].s
			}
			return all[a].row < all[b].row
		})
		var hits []Hit
		for _, p := range all[:min(k, len(all))] {
			hits = append(hits, Hit{Row: p.row, Score: float32(p.s)})
		}
		out = append(out, hits)
	}
	return out
}
