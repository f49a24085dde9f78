// Command bench/search measures nearest-neighbour search on N × D embedding-like vectors
// (clusters in a 16-d latent space mapped to D dimensions, as in search's tests): exact search
// (gonum float32 GEMM) and HNSW, one query at a time (p50/p99 latency, queries/s) and batched
// (queries/s), against brute-force NumPy (matrix-vector product + argpartition) on the same data
// in the same run. HNSW's recall@k against exact search is printed too.
//
//	go run ./bench/search                   # 1M × 128, 1000 queries
//	go run ./bench/search -n 200000 -q 500  # quicker
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/scl-dev/scl/npy"
	"github.com/scl-dev/scl/search"
	"github.com/scl-dev/scl/search/searchtest"
)

func main() {
	n := flag.Int("n", 1_000_000, "indexed vectors")
	dim := flag.Int("dim", 128, "dimension")
	nq := flag.Int("q", 1000, "queries")
	k := flag.Int("k", 10, "neighbours per query")
	m := flag.Int("m", 12, "HNSW M")
	efc := flag.Int("ef-construction", 64, "HNSW ef_construction")
	ef := flag.Int("ef", 64, "HNSW ef_search")
	py := flag.String("python", "/usr/bin/python3", "Python with NumPy for the baseline")
	flag.Parse()
	if err := run(*n, *dim, *nq, *k, *m, *efc, *ef, *py); err != nil {
		fmt.Fprintln(os.Stderr, "bench/search:", err)
		os.Exit(1)
	}
}

type result struct {
	p50, p99, singleQPS, batchedQPS float64
}

func run(n, dim, nq, k, m, efc, ef int, py string) error {
	fmt.Printf("bench/search: %d × %d vectors, %d queries, k = %d, GOMAXPROCS %d\n", n, dim, nq, k, runtime.GOMAXPROCS(0))
	x := searchtest.EmbeddingLike(n, dim, 1000, 0.5, 1, 1)
	q := searchtest.EmbeddingLike(nq, dim, 1000, 0.5, 1, 2)
	tmp, err := os.MkdirTemp("", "bench-search-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	xf, qf := filepath.Join(tmp, "x.npy"), filepath.Join(tmp, "q.npy")
	if err := npy.WriteFloat32(xf, x, n, dim); err != nil {
		return err
	}
	if err := npy.WriteFloat32(qf, q, nq, dim); err != nil {
		return err
	}

	// NumPy first, while the Go side holds only the raw data.
	out, err := exec.Command(py, "bench/search/numpy_search.py", xf, qf, fmt.Sprint(k)).Output()
	if err != nil {
		return fmt.Errorf("numpy baseline: %w (install python3-numpy: scripts/setup.sh --bench)", err)
	}
	var np struct {
		P50          float64 `json:"p50_ms"`
		P99          float64 `json:"p99_ms"`
		Single       float64 `json:"single_qps"`
		Batched      float64 `json:"batched_qps"`
		First        []int   `json:"first"`
		NumPyVersion string  `json:"numpy"`
	}
	if err := json.Unmarshal(out, &np); err != nil {
		return fmt.Errorf("numpy baseline output %q: %w", out, err)
	}
	base := result{np.P50, np.P99, np.Single, np.Batched}

	exact, err := search.NewExact(x, dim)
	if err != nil {
		return err
	}
	ex, exactHits, err := measure(func(qv []float32) ([][]search.Hit, error) { return exact.Search(qv, k, nil) }, q, dim)
	if err != nil {
		return err
	}
	for j, h := range exactHits[0] {
		if j < len(np.First) && h.Row != np.First[j] {
			fmt.Printf("note: query 0 rank %d: exact row %d, NumPy row %d (ties or float32 rounding)\n", j, h.Row, np.First[j])
		}
	}

	start := time.Now()
	h, err := search.BuildHNSW(x, dim, search.HNSWConfig{M: m, EfConstruction: efc, EfSearch: ef})
	if err != nil {
		return err
	}
	build := time.Since(start)
	hn, hnswHits, err := measure(func(qv []float32) ([][]search.Hit, error) { return h.Search(qv, k, ef, nil) }, q, dim)
	if err != nil {
		return err
	}
	recall := search.Recall(hnswHits, exactHits)

	fmt.Printf("\nNumPy %s brute force (baseline), HNSW M %d ef_construction %d ef %d built in %.1f s (recall@%d %.4f)\n\n",
		np.NumPyVersion, m, efc, ef, build.Seconds(), k, recall)
	fmt.Println("| search | one query: p50 ms | p99 ms | queries/s | × NumPy | batched queries/s | × NumPy |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range []struct {
		name string
		r    result
	}{{"NumPy brute force", base}, {"scl exact (gonum GEMM)", ex}, {"scl HNSW", hn}} {
		fmt.Printf("| %s | %.3f | %.3f | %.0f | %.2f | %.0f | %.2f |\n", r.name, r.r.p50, r.r.p99, r.r.singleQPS, r.r.singleQPS/base.singleQPS, r.r.batchedQPS, r.r.batchedQPS/base.batchedQPS)
	}
	return nil
}

// measure times queries one at a time (latency percentiles) and all at once (throughput),
// returning the batched results.
func measure(search func([]float32) ([][]search.Hit, error), q []float32, dim int) (result, [][]search.Hit, error) {
	nq := len(q) / dim
	lat := make([]float64, nq)
	var total time.Duration
	for i := range nq {
		t := time.Now()
		if _, err := search(q[i*dim : (i+1)*dim]); err != nil {
			return result{}, nil, err
		}
		d := time.Since(t)
		lat[i] = d.Seconds() * 1e3
		total += d
	}
	t := time.Now()
	hits, err := search(q)
	if err != nil {
		return result{}, nil, err
	}
	batched := float64(nq) / time.Since(t).Seconds()
	slices.Sort(lat)
	pct := func(p float64) float64 { return lat[min(nq-1, int(p*float64(nq)))] }
	return result{pct(0.5), pct(0.99), float64(nq) / total.Seconds(), batched}, hits, nil
}
