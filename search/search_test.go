package search

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func sqrt(x float64) float64 { return math.Sqrt(x) }

func TestExactMatchesBruteForce(t *testing.T) {
	cases := []struct {
		name           string
		n, dim, nq, k  int
		block, workers int
		filter         func(int) bool
	}{
		{"one block", 300, 16, 7, 5, 0, 0, nil},
		{"many blocks, 3 workers", 2000, 33, 20, 10, 128, 3, nil},
		{"odd block size", 1001, 8, 5, 1, 77, 2, nil},
		{"k larger than n", 12, 4, 3, 50, 5, 2, nil},
		{"filter", 1500, 16, 9, 10, 200, 2, func(r int) bool { return r%7 == 3 }},
		{"more than one query group", 400, 8, queryGroup + 13, 3, 100, 2, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			x := make([]float32, c.n*c.dim)
			for j := range x {
				x[j] = float32(rng.NormFloat64())
			}
			q := make([]float32, c.nq*c.dim)
			for j := range q {
				q[j] = float32(rng.NormFloat64())
			}
			want := bruteForce(x, q, c.dim, c.k, c.filter)
			e, err := NewExact(append([]float32(nil), x...), c.dim)
			if err != nil {
				t.Fatal(err)
			}
			e.BlockRows, e.Workers = c.block, c.workers
			got, err := e.Search(q, c.k, c.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d result lists, want %d", len(got), len(want))
			}
			for qi := range want {
				if len(got[qi]) != len(want[qi]) {
					t.Fatalf("query %d: got %d hits, want %d", qi, len(got[qi]), len(want[qi]))
				}
				for j := range want[qi] {
					g, w := got[qi][j], want[qi][j]
					// float32 GEMM vs float64 reference: scores agree to ~1e-6; a swap of two
					// rows whose scores are that close is not an error.
					if math.Abs(float64(g.Score-w.Score)) > 1e-5 {
						t.Fatalf("query %d rank %d: got score %v, want %v", qi, j, g.Score, w.Score)
					}
					if g.Row != w.Row && math.Abs(float64(g.Score-w.Score)) > 1e-6 {
						t.Fatalf("query %d rank %d: got row %d, want %d", qi, j, g.Row, w.Row)
					}
					if c.filter != nil && !c.filter(g.Row) {
						t.Fatalf("query %d: row %d does not pass the filter", qi, g.Row)
					}
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	if _, err := NewExact([]float32{1, 2, 3}, 2); err == nil {
		t.Error("3 values as 2-d vectors: got no error")
	}
	if _, err := NewExact([]float32{1, float32(math.NaN())}, 2); err == nil {
		t.Error("NaN: got no error")
	}
	e, _ := NewExact([]float32{1, 0, 0, 1}, 2)
	if _, err := e.Search([]float32{1, 0}, 0, nil); err == nil {
		t.Error("k = 0: got no error")
	}
	if _, err := e.Search([]float32{1, 0, 1}, 1, nil); err == nil {
		t.Error("query of 3 values in 2-d: got no error")
	}
}

// TestHNSWRecall builds HNSW over 100k clustered 128-d vectors and checks recall@10 ≥ 0.95
// against exact search on 500 held-out queries from the same distribution.
func TestHNSWRecall(t *testing.T) {
	n, dim, k := 100_000, 128, 10
	if testing.Short() {
		n = 20_000
	}
	x := clustered(n, dim, 100, 0.5, 1)
	q := clustered(500, dim, 100, 0.5, 1) // same clusters, other points
	start := time.Now()
	h, err := BuildHNSW(append([]float32(nil), x...), dim, HNSWConfig{M: 8, EfConstruction: 40})
	if err != nil {
		t.Fatal(err)
	}
	build := time.Since(start)
	e, _ := NewExact(x, dim)
	want, _ := e.Search(q, k, nil)
	start = time.Now()
	got, err := h.Search(q, k, 64, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := Recall(got, want)
	t.Logf("HNSW %d×%d: build %v, recall@%d %.4f, %d queries in %v", n, dim, build, k, r, len(q)/dim, time.Since(start))
	if r < 0.95 {
		t.Errorf("recall@%d = %.4f, want ≥ 0.95", k, r)
	}
}
