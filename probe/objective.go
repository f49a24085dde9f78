package probe

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/floats"
)

// objectiveBlock is the number of rows whose gradient contributions are
// summed together. Blocks are reduced in order, so results do not depend on
// the number of goroutines or on scheduling.
const objectiveBlock = 1024

// objective evaluates scikit-learn 1.2's multinomial logistic loss
//
//	f(W, b) = Σᵢ [ log Σₖ exp(zᵢₖ) − zᵢ,yᵢ ] + ‖W‖²/(2C),   zᵢ = W xᵢ + b,
//
// and its gradient
//
//	∇_W f = Σᵢ (pᵢ − yᵢ) xᵢᵀ + W/C,   ∇_b f = Σᵢ (pᵢ − yᵢ),
//
// with pᵢ the softmax of zᵢ and yᵢ the one-hot label. Parameters are laid
// out per class as θ = [w₁ b₁ w₂ b₂ … w_K b_K], rows of length D+1 (the
// intercept last, kept at zero when fitIntercept is false): a K×(D+1)
// row-major matrix W̃.
//
// Each row is read once per call: its K logits (dot products), softmax and
// K gradient updates (axpy) are done while it is in cache, with gonum's
// vector kernels. Cost: 2·N·D·K multiply-adds, spread over goroutines by
// blocks of rows. Not safe for concurrent use.
type objective struct {
	x            []float64 // N×D
	n, d, k      int
	y            []int // class index per row
	invC         float64
	fitIntercept bool
	threads      int

	partial []float64 // per block: K×(D+1) gradient, then the loss
}

func newObjective(ds *Dataset, y []int, k int, c float64, fitIntercept bool, threads int) *objective {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	blocks := (ds.Rows + objectiveBlock - 1) / objectiveBlock
	return &objective{
		x: ds.X, n: ds.Rows, d: ds.Dim, k: k, y: y,
		invC: 1 / c, fitIntercept: fitIntercept, threads: threads,
		partial: make([]float64, blocks*(k*(ds.Dim+1)+1)),
	}
}

// dim returns the number of parameters, K×(D+1).
func (o *objective) dim() int { return o.k * (o.d + 1) }

// lossGrad returns f(θ) and writes ∇f(θ) into grad (length dim()).
func (o *objective) lossGrad(theta, grad []float64) float64 {
	d, k := o.d, o.k
	ld := d + 1
	stride := k*ld + 1
	blocks := (o.n + objectiveBlock - 1) / objectiveBlock
	var next atomic.Int64
	var wg sync.WaitGroup
	for t := 0; t < min(o.threads, blocks); t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			z := make([]float64, k)
			for {
				b := int(next.Add(1)) - 1
				if b >= blocks {
					return
				}
				lo, hi := b*objectiveBlock, min((b+1)*objectiveBlock, o.n)
				part := o.partial[b*stride : (b+1)*stride]
				clear(part)
				part[k*ld] = o.block(theta, part[:k*ld], z, lo, hi)
			}
		}()
	}
	wg.Wait()

	clear(grad)
	var loss float64
	for b := 0; b < blocks; b++ {
		part := o.partial[b*stride : (b+1)*stride]
		floats.Add(grad, part[:k*ld])
		loss += part[k*ld]
	}
	var reg float64
	for c := 0; c < k; c++ {
		w := theta[c*ld : c*ld+d]
		reg += floats.Dot(w, w)
		floats.AddScaled(grad[c*ld:c*ld+d], o.invC, w)
		if !o.fitIntercept {
			grad[c*ld+d] = 0
		}
	}
	return loss + 0.5*o.invC*reg
}

// block accumulates the data term of rows [lo, hi) into g and returns its loss.
func (o *objective) block(theta, g, z []float64, lo, hi int) float64 {
	d, k := o.d, o.k
	ld := d + 1
	var loss float64
	for i := lo; i < hi; i++ {
		x := o.x[i*d : (i+1)*d]
		m := math.Inf(-1)
		for c := 0; c < k; c++ {
			z[c] = floats.Dot(x, theta[c*ld:c*ld+d])
			if o.fitIntercept {
				z[c] += theta[c*ld+d]
			}
			m = max(m, z[c])
		}
		yi := o.y[i]
		zy := z[yi]
		var s float64
		for c, v := range z {
			e := math.Exp(v - m)
			z[c] = e
			s += e
		}
		// log Σₖ exp(zₖ) − z_y = log Σₖ exp(zₖ − m) + m − z_y.
		loss += math.Log(s) + m - zy
		inv := 1 / s
		for c := 0; c < k; c++ {
			r := z[c] * inv
			if c == yi {
				r--
			}
			if r != 0 {
				floats.AddScaled(g[c*ld:c*ld+d], r, x)
			}
			g[c*ld+d] += r
		}
	}
	return loss
}
