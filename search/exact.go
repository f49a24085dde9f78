package search

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Exact searches by scoring every vector: S = Q·Xᵀ in blocks of BlockRows rows of X (float32
// GEMM), keeping a size-k heap per query. Safe for concurrent use.
type Exact struct {
	x   []float32 // n × dim, unit rows; owned
	n   int
	dim int
	// BlockRows is the number of indexed vectors scored per GEMM (default 4096); Workers the
	// goroutines scoring blocks (default GOMAXPROCS).
	BlockRows, Workers int
}

// NewExact returns an exact searcher over the rows of x (n × dim), which it L2-normalises in
// place and keeps (the caller must not modify x afterwards).
func NewExact(x []float32, dim int) (*Exact, error) {
	n, err := checkVectors(x, dim)
	if err != nil {
		return nil, err
	}
	Normalize(x, dim)
	return &Exact{x: x, n: n, dim: dim}, nil
}

// Len is the number of indexed vectors; Dim their dimension.
func (e *Exact) Len() int { return e.n }

// Dim is the dimension of the vectors.
func (e *Exact) Dim() int { return e.dim }

// Vector returns row i (unit length; read-only).
func (e *Exact) Vector(i int) []float32 { return e.x[i*e.dim : (i+1)*e.dim] }

// queryGroup bounds the queries scored together, so a score block stays ≤ 64 MiB.
const queryGroup = 256

// Search returns, for each of the len(q)/Dim queries, its k best rows by cosine similarity,
// best first (ties by smaller row). Queries are normalised on a copy. filter, when not nil,
// keeps only the rows it accepts (fewer than k hits come back when fewer pass).
func (e *Exact) Search(q []float32, k int, filter func(row int) bool) ([][]Hit, error) {
	nq, err := checkVectors(q, e.dim)
	if err != nil {
		return nil, fmt.Errorf("search: queries: %w", err)
	}
	if k <= 0 {
		return nil, fmt.Errorf("search: k = %d, want > 0", k)
	}
	q = append([]float32(nil), q...)
	Normalize(q, e.dim)
	out := make([][]Hit, 0, nq)
	for lo := 0; lo < nq; lo += queryGroup {
		hi := min(lo+queryGroup, nq)
		out = append(out, e.searchGroup(q[lo*e.dim:hi*e.dim], hi-lo, k, filter)...)
	}
	return out, nil
}

func (e *Exact) searchGroup(q []float32, nq, k int, filter func(int) bool) [][]Hit {
	block := e.BlockRows
	if block <= 0 {
		block = 4096
	}
	workers := e.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nblocks := (e.n + block - 1) / block
	workers = max(1, min(workers, nblocks))
	heaps := make([][]*topK, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		hs := make([]*topK, nq)
		for i := range hs {
			hs[i] = newTopK(k)
		}
		heaps[w] = hs
		wg.Add(1)
		go func() {
			defer wg.Done()
			scores := make([]float32, nq*block)
			qm := blas32.General{Rows: nq, Cols: e.dim, Stride: e.dim, Data: q}
			for {
				b := int(next.Add(1)) - 1
				if b >= nblocks {
					return
				}
				lo := b * block
				rows := min(block, e.n-lo)
				xm := blas32.General{Rows: rows, Cols: e.dim, Stride: e.dim, Data: e.x[lo*e.dim : (lo+rows)*e.dim]}
				sm := blas32.General{Rows: nq, Cols: rows, Stride: rows, Data: scores[:nq*rows]}
				blas32.Gemm(blas.NoTrans, blas.Trans, 1, qm, xm, 0, sm)
				for i := range nq {
					h := hs[i]
					row := scores[i*rows : (i+1)*rows]
					for j, s := range row {
						if h.full() && s < h.min().Score {
							continue
						}
						if filter != nil && !filter(lo+j) {
							continue
						}
						h.push(Hit{Row: lo + j, Score: s})
					}
				}
			}
		}()
	}
	wg.Wait()
	out := make([][]Hit, nq)
	for i := range nq {
		h := heaps[0][i]
		for w := 1; w < workers; w++ {
			for _, hit := range heaps[w][i].hits {
				h.push(hit)
			}
		}
		out[i] = h.sorted()
	}
	return out
}
