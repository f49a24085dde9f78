package probe

import (
	"context"
	"math"
	"slices"
	"testing"
)

// bruteKNN is the reference: every cosine similarity computed pairwise, all
// training rows sorted (similarity descending, index ascending), the first k
// voting with exp(s/T).
func bruteKNN(train, test *Dataset, k int, temp float64) []float64 {
	classes := train.Classes()
	cos := func(a, b []float64) float64 {
		var ab, aa, bb float64
		for i := range a {
			ab += a[i] * b[i]
			aa += a[i] * a[i]
			bb += b[i] * b[i]
		}
		if aa == 0 || bb == 0 {
			return 0
		}
		return ab / (math.Sqrt(aa) * math.Sqrt(bb))
	}
	out := make([]float64, test.Rows*len(classes))
	for i := 0; i < test.Rows; i++ {
		type nb struct {
			s float64
			j int
		}
		all := make([]nb, train.Rows)
		for j := range all {
			all[j] = nb{cos(test.Row(i), train.Row(j)), j}
		}
		slices.SortFunc(all, func(a, b nb) int {
			if a.s != b.s {
				if a.s > b.s {
					return -1
				}
				return 1
			}
			return a.j - b.j
		})
		for _, n := range all[:min(k, len(all))] {
			c, _ := slices.BinarySearch(classes, train.Labels[n.j])
			out[i*len(classes)+c] += math.Exp(n.s / temp)
		}
	}
	return out
}

func TestKNNMatchesBruteForce(t *testing.T) {
	train := randomDataset(31, 333, 9, 4, 0.7)
	test := randomDataset(32, 150, 9, 4, 0.7)
	// Exact duplicates with different labels make ties in similarity: the
	// lower training index must win in both implementations.
	copy(train.Row(7), train.Row(3))
	train.Labels[7] = train.Labels[3] + 10
	copy(test.Row(0), train.Row(3))
	// A zero row has similarity 0 to everything.
	clear(test.Row(1))
	tests := []struct {
		name string
		cfg  KNNConfig
	}{
		{"defaults k=200 T=0.07", KNNConfig{}},
		{"k=1", KNNConfig{K: 1, Temperature: 0.5}},
		{"k=5 one thread", KNNConfig{K: 5, Temperature: 0.1, Threads: 1}},
		{"k beyond train size", KNNConfig{K: 1000, Temperature: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := KNN(context.Background(), train, test, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _ := tc.cfg.withDefaults()
			want := bruteKNN(train, test, cfg.K, cfg.Temperature)
			if len(res.Scores) != len(want) {
				t.Fatalf("scores: got %d, want %d", len(res.Scores), len(want))
			}
			for i := range want {
				// Similarities differ by rounding (BLAS vs pairwise, ~1e-16);
				// exp(s/T) amplifies that by 1/T ≤ 15: 1e-12 relative.
				if math.Abs(res.Scores[i]-want[i]) > 1e-12*max(1, math.Abs(want[i])) {
					t.Errorf("score[%d]: got %v, want %v", i, res.Scores[i], want[i])
				}
			}
		})
	}
}

func TestKNNErrors(t *testing.T) {
	a := randomDataset(1, 10, 3, 2, 1)
	b := randomDataset(2, 10, 4, 2, 1)
	_, err := KNN(context.Background(), a, b, KNNConfig{})
	assertErrContains(t, err, "columns")
	_, err = KNN(context.Background(), a, a, KNNConfig{K: -1})
	assertErrContains(t, err, "k = -1")
	_, err = KNN(context.Background(), a, a, KNNConfig{Temperature: -2})
	assertErrContains(t, err, "temperature")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = KNN(ctx, a, a, KNNConfig{})
	assertErrContains(t, err, "context canceled")
}
