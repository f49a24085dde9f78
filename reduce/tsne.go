package reduce

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
)

// ExactTSNEMax is the largest input TSNE handles exactly under MethodAuto.
const ExactTSNEMax = 5000

// t-SNE methods.
const (
	MethodAuto      = "auto" // exact up to ExactTSNEMax points, Barnes–Hut above
	MethodExact     = "exact"
	MethodBarnesHut = "barnes-hut"
)

// TSNEConfig configures TSNE. Zero values mean the defaults (those of scikit-learn's TSNE).
type TSNEConfig struct {
	Perplexity   float64 // effective number of neighbours (default 30)
	Iterations   int     // gradient steps (default 750, the first 250 with early exaggeration 12)
	LearningRate float64 // default max(N/12/4, 50)
	Theta        float64 // Barnes–Hut accuracy: a cell of width w at distance d is one point when w/d < θ (default 0.5)
	Method       string  // auto, exact or barnes-hut
	Seed         uint64  // initial layout (default 1)
	// PCADims reduces inputs of more dimensions to this many by PCA first (default 50).
	PCADims int
	// Progress, when set, is called every 50 iterations.
	Progress func(iter, total int)
}

// TSNE embeds the rows of x (n×dim) in two dimensions, returning n×2 values row-major.
func TSNE(x []float32, dim int, cfg TSNEConfig) ([]float64, error) {
	if dim <= 0 || len(x) == 0 || len(x)%dim != 0 {
		return nil, fmt.Errorf("reduce: %d values is not a non-empty set of %d-d rows", len(x), dim)
	}
	n := len(x) / dim
	if cfg.Perplexity <= 0 {
		cfg.Perplexity = 30
	}
	if cfg.Iterations <= 0 {
		cfg.Iterations = 750
	}
	if cfg.Theta <= 0 {
		cfg.Theta = 0.5
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.PCADims <= 0 {
		cfg.PCADims = 50
	}
	if cfg.LearningRate <= 0 {
		cfg.LearningRate = max(float64(n)/12/4, 50)
	}
	if n < 4 {
		return nil, fmt.Errorf("reduce: t-SNE of %d points, want at least 4", n)
	}
	cfg.Perplexity = min(cfg.Perplexity, float64(n-1)/3)
	var exact bool
	switch cfg.Method {
	case "", MethodAuto:
		exact = n <= ExactTSNEMax
	case MethodExact:
		exact = true
	case MethodBarnesHut:
	default:
		return nil, fmt.Errorf("reduce: t-SNE method %q, want auto, exact or barnes-hut", cfg.Method)
	}
	// Inputs in float64, reduced by PCA when wide.
	var in []float64
	d := dim
	if dim > cfg.PCADims {
		var err error
		if in, _, err = PCA(x, dim, cfg.PCADims); err != nil {
			return nil, err
		}
		d = cfg.PCADims
	} else {
		in = make([]float64, len(x))
		for i, v := range x {
			in[i] = float64(v)
		}
	}
	var p *sparse
	if exact {
		p = denseAffinities(in, n, d, cfg.Perplexity)
	} else {
		p = knnAffinities(in, n, d, cfg.Perplexity)
	}
	return optimize(p, n, cfg, exact), nil
}

// sparse is a symmetric affinity matrix in CSR form.
type sparse struct {
	start []int // n+1
	col   []int32
	val   []float64
}

// rowAffinities fills p (conditional p_j|i over the candidate distances d2) with the Gaussian
// bandwidth whose perplexity matches perp, by bisection on β = 1/(2σ²).
func rowAffinities(d2, p []float64, perp float64) {
	target := math.Log(perp)
	beta, lo, hi := 1.0, 0.0, math.Inf(1)
	minD := math.Inf(1)
	for _, v := range d2 {
		minD = min(minD, v)
	}
	for range 100 {
		var sum, dsum float64
		for j, v := range d2 {
			p[j] = math.Exp(-(v - minD) * beta)
			sum += p[j]
			dsum += (v - minD) * p[j]
		}
		h := math.Log(sum) + beta*dsum/sum // entropy in nats
		for j := range p {
			p[j] /= sum
		}
		if math.Abs(h-target) < 1e-5 {
			return
		}
		if h > target {
			lo = beta
			if math.IsInf(hi, 1) {
				beta *= 2
			} else {
				beta = (beta + hi) / 2
			}
		} else {
			hi = beta
			beta = (beta + lo) / 2
		}
	}
}

func sqDist(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		t := v - b[i]
		s += t * t
	}
	return s
}

// denseAffinities computes P over all pairs.
func denseAffinities(x []float64, n, d int, perp float64) *sparse {
	rows := make([][]float64, n)
	parallel(n, func(i int) {
		d2 := make([]float64, 0, n-1)
		for j := range n {
			if j != i {
				d2 = append(d2, sqDist(x[i*d:(i+1)*d], x[j*d:(j+1)*d]))
			}
		}
		p := make([]float64, n-1)
		rowAffinities(d2, p, perp)
		rows[i] = p
	})
	cols := make([][]int32, n)
	for i := range n {
		c := make([]int32, 0, n-1)
		for j := range n {
			if j != i {
				c = append(c, int32(j))
			}
		}
		cols[i] = c
	}
	return symmetrize(cols, rows, n)
}

// knnAffinities computes P over each point's ⌊3·perplexity⌋ nearest neighbours.
func knnAffinities(x []float64, n, d int, perp float64) *sparse {
	k := min(n-1, int(3*perp))
	cols := make([][]int32, n)
	rows := make([][]float64, n)
	parallel(n, func(i int) {
		type nb struct {
			j  int32
			d2 float64
		}
		best := make([]nb, 0, k+1)
		worst := math.Inf(1)
		xi := x[i*d : (i+1)*d]
		for j := range n {
			if j == i {
				continue
			}
			v := sqDist(xi, x[j*d:(j+1)*d])
			if len(best) == k && v >= worst {
				continue
			}
			pos := sort.Search(len(best), func(a int) bool { return best[a].d2 > v })
			best = append(best, nb{})
			copy(best[pos+1:], best[pos:])
			best[pos] = nb{int32(j), v}
			if len(best) > k {
				best = best[:k]
			}
			if len(best) == k {
				worst = best[k-1].d2
			}
		}
		d2 := make([]float64, len(best))
		c := make([]int32, len(best))
		for a, b := range best {
			d2[a], c[a] = b.d2, b.j
		}
		p := make([]float64, len(best))
		rowAffinities(d2, p, perp)
		cols[i], rows[i] = c, p
	})
	return symmetrize(cols, rows, n)
}

// symmetrize returns P = (P_cond + P_condᵀ) / (2n) in CSR form.
func symmetrize(cols [][]int32, rows [][]float64, n int) *sparse {
	m := make([]map[int32]float64, n)
	for i := range m {
		m[i] = map[int32]float64{}
	}
	for i := range n {
		for a, j := range cols[i] {
			v := rows[i][a] / float64(2*n)
			m[i][j] += v
			m[j][int32(i)] += v
		}
	}
	s := &sparse{start: make([]int, n+1)}
	for i := range n {
		keys := make([]int32, 0, len(m[i]))
		for j := range m[i] {
			keys = append(keys, j)
		}
		sort.Slice(keys, func(a, b int) bool { return keys[a] < keys[b] })
		for _, j := range keys {
			s.col = append(s.col, j)
			s.val = append(s.val, m[i][j])
		}
		s.start[i+1] = len(s.col)
	}
	return s
}

// parallel runs f(0…n−1) on GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for g := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += w {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// optimize runs gradient descent with momentum and per-coordinate gains (Jacobs 1988), early
// exaggeration 12 for the first 250 iterations, momentum 0.5 then 0.8.
func optimize(p *sparse, n int, cfg TSNEConfig, exact bool) []float64 {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x75e))
	y := make([]float64, 2*n)
	for i := range y {
		y[i] = 1e-4 * rng.NormFloat64()
	}
	upd := make([]float64, 2*n)
	gains := make([]float64, 2*n)
	for i := range gains {
		gains[i] = 1
	}
	grad := make([]float64, 2*n)
	rep := make([]float64, 2*n)
	zs := make([]float64, n)
	const exagIters = 250
	for it := range cfg.Iterations {
		exag, mom := 1.0, 0.8
		if it < exagIters {
			exag, mom = 12, 0.5
		}
		// Repulsive forces and Z.
		if exact {
			parallel(n, func(i int) {
				var fx, fy, z float64
				for j := range n {
					if j == i {
						continue
					}
					dx, dy := y[2*i]-y[2*j], y[2*i+1]-y[2*j+1]
					q := 1 / (1 + dx*dx + dy*dy)
					z += q
					fx += q * q * dx
					fy += q * q * dy
				}
				rep[2*i], rep[2*i+1], zs[i] = fx, fy, z
			})
		} else {
			t := buildQuadtree(y, n)
			parallel(n, func(i int) {
				var fx, fy, z float64
				t.forces(0, y[2*i], y[2*i+1], cfg.Theta*cfg.Theta, &fx, &fy, &z)
				rep[2*i], rep[2*i+1], zs[i] = fx, fy, z
			})
		}
		var z float64
		for _, v := range zs {
			z += v
		}
		// Attractive forces from the sparse P, then the update.
		parallel(n, func(i int) {
			var ax, ay float64
			for a := p.start[i]; a < p.start[i+1]; a++ {
				j := int(p.col[a])
				dx, dy := y[2*i]-y[2*j], y[2*i+1]-y[2*j+1]
				q := 1 / (1 + dx*dx + dy*dy)
				ax += p.val[a] * q * dx
				ay += p.val[a] * q * dy
			}
			grad[2*i] = 4 * (exag*ax - rep[2*i]/z)
			grad[2*i+1] = 4 * (exag*ay - rep[2*i+1]/z)
		})
		for i := range y {
			if (grad[i] > 0) != (upd[i] > 0) {
				gains[i] += 0.2
			} else {
				gains[i] = max(gains[i]*0.8, 0.01)
			}
			upd[i] = mom*upd[i] - cfg.LearningRate*gains[i]*grad[i]
			y[i] += upd[i]
		}
		if cfg.Progress != nil && (it+1)%50 == 0 {
			cfg.Progress(it+1, cfg.Iterations)
		}
	}
	return y
}
