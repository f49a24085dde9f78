package probe

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Defaults of KNNConfig, as in Wu et al. (2018).
const (
	DefaultK           = 200
	DefaultTemperature = 0.07
)

// knnBlock is the most test rows whose similarities are computed at once (a
// block×N_train matrix per goroutine), and knnBlockElems bounds that matrix
// (32 MiB of float64) for large training splits.
const (
	knnBlock      = 64
	knnBlockElems = 4 << 20
)

// KNNConfig configures KNN. The zero value means the defaults.
type KNNConfig struct {
	// K is the number of neighbours (default 200; capped at the train size).
	K int
	// Temperature T of the vote weights exp(s/T) (default 0.07).
	Temperature float64
	// Threads bounds the goroutines (default GOMAXPROCS).
	Threads int
}

func (c KNNConfig) withDefaults() (KNNConfig, error) {
	if c.K == 0 {
		c.K = DefaultK
	}
	if c.Temperature == 0 {
		c.Temperature = DefaultTemperature
	}
	if c.Threads <= 0 {
		c.Threads = runtime.GOMAXPROCS(0)
	}
	if c.K < 0 {
		return c, fmt.Errorf("probe: knn k = %d, want a positive number", c.K)
	}
	if !(c.Temperature > 0) || math.IsInf(c.Temperature, 0) {
		return c, fmt.Errorf("probe: knn temperature = %v, want a finite positive number", c.Temperature)
	}
	return c, nil
}

// KNNResult holds the class votes of a kNN classification.
type KNNResult struct {
	// Classes are the K labels, sorted; Scores columns follow this order.
	Classes []int64
	// Scores holds test.Rows × len(Classes) summed vote weights.
	Scores []float64
}

// KNN scores every test row by its k most cosine-similar training rows:
//
//	score(c) = Σ_{j ∈ top-k} exp(sⱼ/T) · [yⱼ = c],   sⱼ = cos(x, xⱼ).
//
// Rows are L2-normalised internally (the inputs are not modified); a row of
// zeros has similarity 0 to everything. Ties in similarity are broken by the
// lower training index. Cost: N_test·N_train·D multiply-adds (gonum BLAS)
// plus N_test·N_train·log k for the selection.
func KNN(ctx context.Context, train, test *Dataset, cfg KNNConfig) (*KNNResult, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := train.validate("knn train"); err != nil {
		return nil, err
	}
	if err := test.validate("knn test"); err != nil {
		return nil, err
	}
	if train.Dim != test.Dim {
		return nil, fmt.Errorf("probe: knn: train features have %d columns, test %d, want equal", train.Dim, test.Dim)
	}
	classes := train.Classes()
	y, _ := classIndex("train", train.Labels, classes)
	k := min(cfg.K, train.Rows)
	nc := len(classes)
	d := train.Dim
	trainN := normalizedCopy(train)
	testN := normalizedCopy(test)
	res := &KNNResult{Classes: classes, Scores: make([]float64, test.Rows*nc)}

	block := max(1, min(knnBlock, knnBlockElems/train.Rows))
	blocks := (test.Rows + block - 1) / block
	jobs := make(chan int)
	var wg sync.WaitGroup
	for t := 0; t < min(cfg.Threads, blocks); t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sims := make([]float64, block*train.Rows)
			h := &neighbourHeap{}
			for b := range jobs {
				lo, hi := b*block, min((b+1)*block, test.Rows)
				rows := hi - lo
				// sims = testBlock · trainᵀ, single-threaded here: the goroutines
				// already cover the cores.
				blas64.Implementation().Dgemm(blas.NoTrans, blas.Trans, rows, train.Rows, d, 1,
					testN[lo*d:hi*d], d, trainN, d, 0, sims, train.Rows)
				for r := 0; r < rows; r++ {
					s := sims[r*train.Rows : (r+1)*train.Rows]
					topK(h, s, k)
					score := res.Scores[(lo+r)*nc : (lo+r+1)*nc]
					for _, nb := range h.items {
						score[y[nb.index]] += math.Exp(nb.sim / cfg.Temperature)
					}
				}
			}
		}()
	}
	var cancelled error
	for b := 0; b < blocks; b++ {
		if err := ctx.Err(); err != nil {
			cancelled = err
			break
		}
		jobs <- b
	}
	close(jobs)
	wg.Wait()
	if cancelled != nil {
		return nil, fmt.Errorf("probe: knn: %w", cancelled)
	}
	return res, nil
}

func normalizedCopy(ds *Dataset) []float64 {
	out := make([]float64, len(ds.X))
	copy(out, ds.X)
	for i := 0; i < ds.Rows; i++ {
		normalizeRow(out[i*ds.Dim : (i+1)*ds.Dim])
	}
	return out
}

type neighbour struct {
	sim   float64
	index int
}

// worse orders neighbours: lower similarity, then higher index, is worse.
func worse(a, b neighbour) bool {
	if a.sim != b.sim {
		return a.sim < b.sim
	}
	return a.index > b.index
}

// neighbourHeap is a min-heap on quality: its root is the worst kept neighbour.
type neighbourHeap struct{ items []neighbour }

func (h *neighbourHeap) Len() int           { return len(h.items) }
func (h *neighbourHeap) Less(i, j int) bool { return worse(h.items[i], h.items[j]) }
func (h *neighbourHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *neighbourHeap) Push(x any)         { h.items = append(h.items, x.(neighbour)) }
func (h *neighbourHeap) Pop() any {
	n := len(h.items) - 1
	it := h.items[n]
	h.items = h.items[:n]
	return it
}

// topK leaves in h the k best entries of sims (in heap order).
func topK(h *neighbourHeap, sims []float64, k int) {
	h.items = h.items[:0]
	for j, s := range sims {
		nb := neighbour{sim: s, index: j}
		if len(h.items) < k {
			heap.Push(h, nb)
			continue
		}
		if worse(h.items[0], nb) {
			h.items[0] = nb
			heap.Fix(h, 0)
		}
	}
}
