package search

import (
	"sort"

	"github.com/scl-dev/scl/search/searchtest"
)

// clustered returns n×dim embedding-like vectors (searchtest.EmbeddingLike); the same seed gives
// the same centres and map, so two calls give training and held-out points.
func clustered(n, dim, c int, noise float32, seed uint64) []float32 {
	return searchtest.EmbeddingLike(n, dim, c, noise, seed, uint64(n))
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
