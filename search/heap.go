package search

// cand is a graph node with its similarity to the query.
type cand struct {
	id    uint32
	score float32
}

// candHeap is a binary heap of candidates: the best (highest score) on top when max is true,
// the worst on top otherwise.
type candHeap struct {
	c   []cand
	max bool
}

func (h *candHeap) less(a, b cand) bool {
	if h.max {
		return a.score > b.score
	}
	return a.score < b.score
}

func (h *candHeap) len() int  { return len(h.c) }
func (h *candHeap) top() cand { return h.c[0] }
func (h *candHeap) reset()    { h.c = h.c[:0] }
func (h *candHeap) push(x cand) {
	h.c = append(h.c, x)
	i := len(h.c) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.c[i], h.c[p]) {
			break
		}
		h.c[i], h.c[p] = h.c[p], h.c[i]
		i = p
	}
}

func (h *candHeap) pop() cand {
	top := h.c[0]
	n := len(h.c) - 1
	h.c[0] = h.c[n]
	h.c = h.c[:n]
	i := 0
	for {
		l, m := 2*i+1, i
		if l < n && h.less(h.c[l], h.c[m]) {
			m = l
		}
		if r := l + 1; r < n && h.less(h.c[r], h.c[m]) {
			m = r
		}
		if m == i {
			break
		}
		h.c[i], h.c[m] = h.c[m], h.c[i]
		i = m
	}
	return top
}
