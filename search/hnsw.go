package search

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// HNSWConfig configures BuildHNSW. Zero values mean the defaults.
type HNSWConfig struct {
	// M is the number of links per node on the upper layers (default 16); layer 0 keeps 2·M.
	M int
	// EfConstruction is the search width while inserting (default 128).
	EfConstruction int
	// EfSearch is the default search width (default 64; a search uses at least k).
	EfSearch int
	// Seed draws the node levels (default 1).
	Seed uint64
	// Workers insert nodes in parallel (default GOMAXPROCS).
	Workers int
	// Progress, when set, is called now and then with the nodes inserted and the total.
	Progress func(done, total int)
}

// HNSW is a hierarchical navigable small-world graph over unit vectors. Build it with
// BuildHNSW or read it with ReadHNSW; it is safe for concurrent searches.
type HNSW struct {
	x      []float32 // n × dim unit rows; shared, read-only
	n, dim int
	m, m0  int
	efC    int
	// EfSearch is the default search width.
	EfSearch int

	levels []uint8
	layer0 []uint32   // n × (m0+1): count, then links
	upper  [][]uint32 // node → levels[node] × (m+1): count, then links, for layers 1..level
	locks  []sync.Mutex

	entryMu  sync.Mutex
	entry    int
	maxLevel int

	visited sync.Pool
}

type visitSet struct {
	marks []uint32
	gen   uint32
}

func (v *visitSet) next() {
	v.gen++
	if v.gen == 0 {
		clear(v.marks)
		v.gen = 1
	}
}

// BuildHNSW builds the graph over the rows of x (n × dim), which it L2-normalises in place and
// keeps (the caller must not modify x afterwards).
func BuildHNSW(x []float32, dim int, cfg HNSWConfig) (*HNSW, error) {
	if _, err := checkVectors(x, dim); err != nil {
		return nil, err
	}
	Normalize(x, dim)
	return buildHNSW(x, dim, cfg)
}

func newHNSW(x []float32, dim int, cfg HNSWConfig) *HNSW {
	if cfg.M <= 0 {
		cfg.M = 16
	}
	if cfg.EfConstruction <= 0 {
		cfg.EfConstruction = 128
	}
	if cfg.EfSearch <= 0 {
		cfg.EfSearch = 64
	}
	n := len(x) / dim
	h := &HNSW{x: x, n: n, dim: dim, m: cfg.M, m0: 2 * cfg.M, efC: cfg.EfConstruction, EfSearch: cfg.EfSearch,
		levels: make([]uint8, n), layer0: make([]uint32, n*(2*cfg.M+1)), upper: make([][]uint32, n),
		locks: make([]sync.Mutex, n), entry: -1}
	h.visited.New = func() any { return &visitSet{marks: make([]uint32, n)} }
	return h
}

// buildHNSW builds over x, whose rows are already unit length.
func buildHNSW(x []float32, dim int, cfg HNSWConfig) (*HNSW, error) {
	h := newHNSW(x, dim, cfg)
	if h.n == 0 {
		return h, nil
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = 1
	}
	rng := rand.New(rand.NewPCG(seed, 0x5c1))
	ml := 1 / math.Log(float64(h.m))
	for i := range h.levels {
		l := int(-math.Log(1-rng.Float64()) * ml)
		l = min(l, 32)
		h.levels[i] = uint8(l)
		if l > 0 {
			h.upper[i] = make([]uint32, l*(h.m+1))
		}
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	h.insert(0, newScratch())
	var next, done atomic.Int64
	next.Store(1)
	done.Store(1)
	var wg sync.WaitGroup
	var progressMu sync.Mutex
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newScratch()
			for {
				i := int(next.Add(1)) - 1
				if i >= h.n {
					return
				}
				h.insert(i, s)
				if d := done.Add(1); cfg.Progress != nil && (d%10000 == 0 || int(d) == h.n) {
					progressMu.Lock()
					cfg.Progress(int(d), h.n)
					progressMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return h, nil
}

// scratch holds one goroutine's reusable buffers.
type scratch struct {
	cands, results candHeap
	links          []uint32
	sel            []cand
}

func newScratch() *scratch {
	return &scratch{cands: candHeap{max: true}, results: candHeap{max: false}}
}

// Len is the number of nodes.
func (h *HNSW) Len() int { return h.n }

func (h *HNSW) vec(i uint32) []float32 { return h.x[int(i)*h.dim : (int(i)+1)*h.dim] }

// linksTo copies the links of node i on layer lev into buf, under the node's lock.
func (h *HNSW) linksTo(buf []uint32, i uint32, lev int) []uint32 {
	h.locks[i].Lock()
	l := h.list(i, lev)
	buf = append(buf[:0], l[1:1+l[0]]...)
	h.locks[i].Unlock()
	return buf
}

// list is the raw storage of node i on layer lev: count, then capacity links.
func (h *HNSW) list(i uint32, lev int) []uint32 {
	if lev == 0 {
		return h.layer0[int(i)*(h.m0+1) : (int(i)+1)*(h.m0+1)]
	}
	return h.upper[i][(lev-1)*(h.m+1) : lev*(h.m+1)]
}

func (h *HNSW) maxLinks(lev int) int {
	if lev == 0 {
		return h.m0
	}
	return h.m
}

// greedy walks layer lev from cur towards q, returning the local best.
func (h *HNSW) greedy(q []float32, cur cand, lev int, s *scratch) cand {
	for changed := true; changed; {
		changed = false
		s.links = h.linksTo(s.links, cur.id, lev)
		for _, nb := range s.links {
			if sc := dot(q, h.vec(nb)); sc > cur.score {
				cur, changed = cand{nb, sc}, true
			}
		}
	}
	return cur
}

// searchLayer is the best-first search of width ef on layer lev from ep; it leaves the ef best
// accepted nodes in s.results (a min-heap).
func (h *HNSW) searchLayer(q []float32, ep cand, ef, lev int, filter func(int) bool, s *scratch) {
	vs := h.visited.Get().(*visitSet)
	defer h.visited.Put(vs)
	vs.next()
	s.cands.reset()
	s.results.reset()
	vs.marks[ep.id] = vs.gen
	s.cands.push(ep)
	if filter == nil || filter(int(ep.id)) {
		s.results.push(ep)
	}
	for s.cands.len() > 0 {
		c := s.cands.pop()
		if s.results.len() >= ef && c.score < s.results.top().score {
			break
		}
		s.links = h.linksTo(s.links, c.id, lev)
		for _, nb := range s.links {
			if vs.marks[nb] == vs.gen {
				continue
			}
			vs.marks[nb] = vs.gen
			sc := dot(q, h.vec(nb))
			if s.results.len() < ef || sc > s.results.top().score {
				s.cands.push(cand{nb, sc})
				if filter == nil || filter(int(nb)) {
					s.results.push(cand{nb, sc})
					if s.results.len() > ef {
						s.results.pop()
					}
				}
			}
		}
	}
}

// selectNeighbors applies the paper's heuristic (Algorithm 4) to cs sorted best first: a
// candidate is kept when it is closer to the base than to every candidate kept before it.
func (h *HNSW) selectNeighbors(cs []cand, m int, out []cand) []cand {
	out = out[:0]
	for _, c := range cs {
		if len(out) >= m {
			break
		}
		ok := true
		v := h.vec(c.id)
		for _, r := range out {
			if dot(v, h.vec(r.id)) > c.score {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}

func sortBest(cs []cand) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].score != cs[j].score {
			return cs[i].score > cs[j].score
		}
		return cs[i].id < cs[j].id
	})
}

// insert links node i into the graph.
func (h *HNSW) insert(i int, s *scratch) {
	id := uint32(i)
	q := h.vec(id)
	level := int(h.levels[i])
	h.entryMu.Lock()
	entry, top := h.entry, h.maxLevel
	if entry < 0 {
		h.entry, h.maxLevel = i, level
		h.entryMu.Unlock()
		return
	}
	h.entryMu.Unlock()
	cur := cand{uint32(entry), dot(q, h.vec(uint32(entry)))}
	for lev := top; lev > level; lev-- {
		cur = h.greedy(q, cur, lev, s)
	}
	for lev := min(top, level); lev >= 0; lev-- {
		h.searchLayer(q, cur, h.efC, lev, nil, s)
		found := append([]cand(nil), s.results.c...)
		sortBest(found)
		s.sel = h.selectNeighbors(found, h.m, s.sel)
		h.locks[id].Lock()
		l := h.list(id, lev)
		l[0] = uint32(len(s.sel))
		for j, c := range s.sel {
			l[1+j] = c.id
		}
		h.locks[id].Unlock()
		for _, c := range s.sel {
			h.link(c.id, id, c.score, lev)
		}
		cur = found[0]
	}
	if level > top {
		h.entryMu.Lock()
		if level > h.maxLevel {
			h.entry, h.maxLevel = i, level
		}
		h.entryMu.Unlock()
	}
}

// link adds the back link nb → id on layer lev, pruning nb's list with the heuristic when full.
func (h *HNSW) link(nb, id uint32, score float32, lev int) {
	h.locks[nb].Lock()
	defer h.locks[nb].Unlock()
	l := h.list(nb, lev)
	n := int(l[0])
	for _, e := range l[1 : 1+n] {
		if e == id {
			return
		}
	}
	if max := h.maxLinks(lev); n < max {
		l[1+n] = id
		l[0]++
		return
	}
	v := h.vec(nb)
	cs := make([]cand, 0, n+1)
	cs = append(cs, cand{id, score})
	for _, e := range l[1 : 1+n] {
		cs = append(cs, cand{e, dot(v, h.vec(e))})
	}
	sortBest(cs)
	kept := h.selectNeighbors(cs, h.maxLinks(lev), nil)
	l[0] = uint32(len(kept))
	for j, c := range kept {
		l[1+j] = c.id
	}
}

// Search returns the k nearest rows of each of the len(q)/dim queries, best first, searching
// with width max(ef, k) (ef ≤ 0: EfSearch). Queries are normalised on a copy; they run in
// parallel. filter, when not nil, keeps only the rows it accepts.
func (h *HNSW) Search(q []float32, k, ef int, filter func(row int) bool) ([][]Hit, error) {
	nq, err := checkVectors(q, h.dim)
	if err != nil {
		return nil, fmt.Errorf("search: queries: %w", err)
	}
	if k <= 0 {
		return nil, fmt.Errorf("search: k = %d, want > 0", k)
	}
	if ef <= 0 {
		ef = h.EfSearch
	}
	ef = max(ef, k)
	q = append([]float32(nil), q...)
	Normalize(q, h.dim)
	out := make([][]Hit, nq)
	if h.n == 0 {
		return out, nil
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nq) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newScratch()
			for {
				i := int(next.Add(1)) - 1
				if i >= nq {
					return
				}
				out[i] = h.searchOne(q[i*h.dim:(i+1)*h.dim], k, ef, filter, s)
			}
		}()
	}
	wg.Wait()
	return out, nil
}

func (h *HNSW) searchOne(q []float32, k, ef int, filter func(int) bool, s *scratch) []Hit {
	cur := cand{uint32(h.entry), dot(q, h.vec(uint32(h.entry)))}
	for lev := h.maxLevel; lev > 0; lev-- {
		cur = h.greedy(q, cur, lev, s)
	}
	h.searchLayer(q, cur, ef, 0, filter, s)
	hits := make([]Hit, 0, s.results.len())
	for _, c := range s.results.c {
		hits = append(hits, Hit{Row: int(c.id), Score: c.score})
	}
	sortHits(hits)
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}
