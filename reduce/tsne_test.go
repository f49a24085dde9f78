package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

// blobs returns c well-separated Gaussian clusters of m points each in dim dimensions (centres
// 10 apart along random axes, unit noise), with their cluster labels.
func blobs(c, m, dim int, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, 0, c*m*dim)
	var labels []int
	centres := make([][]float64, c)
	for k := range centres {
		centres[k] = make([]float64, dim)
		for j := range dim {
			centres[k][j] = 10 * rng.NormFloat64()
		}
	}
	for k := range c {
		for range m {
			for j := range dim {
				x = append(x, float32(centres[k][j]+rng.NormFloat64()))
			}
			labels = append(labels, k)
		}
	}
	return x, labels
}

// separated checks that in the 2-D layout every point's nearest neighbour is in its own
// cluster and that each cluster's radius is smaller than the gap to the nearest other centroid.
func separated(t *testing.T, y []float64, labels []int, c int) {
	t.Helper()
	n := len(labels)
	wrong := 0
	for i := range n {
		best, bj := math.Inf(1), -1
		for j := range n {
			if j == i {
				continue
			}
			d := math.Hypot(y[2*i]-y[2*j], y[2*i+1]-y[2*j+1])
			if d < best {
				best, bj = d, j
			}
		}
		if labels[bj] != labels[i] {
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d points have their 2-D nearest neighbour in another cluster, want 0", wrong, n)
	}
	cx, cy, cnt := make([]float64, c), make([]float64, c), make([]float64, c)
	for i, l := range labels {
		cx[l] += y[2*i]
		cy[l] += y[2*i+1]
		cnt[l]++
	}
	radius := make([]float64, c)
	for k := range c {
		cx[k] /= cnt[k]
		cy[k] /= cnt[k]
	}
	for i, l := range labels {
		radius[l] = max(radius[l], math.Hypot(y[2*i]-cx[l], y[2*i+1]-cy[l]))
	}
	for a := range c {
		for b := a + 1; b < c; b++ {
			gap := math.Hypot(cx[a]-cx[b], cy[a]-cy[b])
			if gap <= radius[a]+radius[b] {
				t.Errorf("clusters %d and %d overlap: centroids %.2f apart, radii %.2f and %.2f", a, b, gap, radius[a], radius[b])
			}
		}
	}
}

func TestTSNESeparatesClusters(t *testing.T) {
	x, labels := blobs(4, 60, 20, 3)
	for _, method := range []string{MethodExact, MethodBarnesHut} {
		t.Run(method, func(t *testing.T) {
			y, err := TSNE(x, 20, TSNEConfig{Method: method, Iterations: 400, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(y) != 2*len(labels) {
				t.Fatalf("got %d values, want %d", len(y), 2*len(labels))
			}
			for _, v := range y {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatal("non-finite coordinate")
				}
			}
			separated(t, y, labels, 4)
		})
	}
}

func TestPCAKnownAxes(t *testing.T) {
	// Points spread 10× more along (1,1,0)/√2 than along (0,0,1), nothing along (1,−1,0).
	rng := rand.New(rand.NewPCG(5, 5))
	var x []float32
	for range 500 {
		a, b := 10*rng.NormFloat64(), rng.NormFloat64()
		x = append(x, float32(a/math.Sqrt2+3), float32(a/math.Sqrt2-1), float32(b+7))
	}
	y, explained, err := PCA(x, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	// The first component is ±(x0+x1)/√2 centred: compare with that projection.
	var num, d1, d2 float64
	for i := range 500 {
		want := (float64(x[3*i]) - 3 + float64(x[3*i+1]) + 1) / math.Sqrt2
		num += want * y[2*i]
		d1 += want * want
		d2 += y[2*i] * y[2*i]
	}
	// The sample covariance's top eigenvector deviates from the true axis by O(1/√500) of the
	// small/large spread ratio, so the correlation is ≈ 0.999, not 1.
	if corr := math.Abs(num) / math.Sqrt(d1*d2); corr < 0.995 {
		t.Errorf("first component's correlation with the known axis %.4f, want ≥ 0.995", corr)
	}
	if explained[0] < 0.95 || explained[0]+explained[1] < 0.999 {
		t.Errorf("explained variance %v, want ≈ [0.99 0.01]", explained)
	}
	if _, _, err := PCA(x, 3, 4); err == nil {
		t.Error("4 components of 3-d data: got no error")
	}
}
