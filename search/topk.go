package search

import "sort"

// Hit is one search result: the row of the indexed vector and its cosine similarity.
type Hit struct {
	Row   int
	Score float32
}

// topK keeps the k best hits seen so far in a min-heap on score (ties: the larger row is
// worse, so results are deterministic).
type topK struct {
	k    int
	hits []Hit
}

func newTopK(k int) *topK { return &topK{k: k, hits: make([]Hit, 0, k)} }

// worse reports whether a ranks below b.
func worse(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.Row > b.Row
}

// full reports whether k hits are held; then min is the threshold to beat.
func (t *topK) full() bool { return len(t.hits) == t.k }
func (t *topK) min() Hit   { return t.hits[0] }

func (t *topK) push(h Hit) {
	if t.k <= 0 {
		return
	}
	if len(t.hits) < t.k {
		t.hits = append(t.hits, h)
		i := len(t.hits) - 1
		for i > 0 {
			p := (i - 1) / 2
			if !worse(t.hits[i], t.hits[p]) {
				break
			}
			t.hits[i], t.hits[p] = t.hits[p], t.hits[i]
			i = p
		}
		return
	}
	if !worse(t.hits[0], h) {
		return
	}
	t.hits[0] = h
	n, i := len(t.hits), 0
	for {
		l, m := 2*i+1, i
		if l < n && worse(t.hits[l], t.hits[m]) {
			m = l
		}
		if r := l + 1; r < n && worse(t.hits[r], t.hits[m]) {
			m = r
		}
		if m == i {
			return
		}
		t.hits[i], t.hits[m] = t.hits[m], t.hits[i]
		i = m
	}
}

// sorted returns the hits best first.
func (t *topK) sorted() []Hit {
	out := append([]Hit(nil), t.hits...)
	sortHits(out)
	return out
}

func sortHits(h []Hit) { sort.Slice(h, func(i, j int) bool { return worse(h[j], h[i]) }) }
