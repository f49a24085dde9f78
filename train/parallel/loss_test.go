//go:build !notorch

package parallel_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/train/loss"
	"github.com/scl-dev/scl/train/parallel"
)

// leaf returns a float64 leaf that requires grad.
func leaf(t *testing.T, s *torch.Scope, vals []float64, shape ...int64) *torch.Tensor {
	t.Helper()
	x := s.FromFloat64s(vals, shape...)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if err := x.SetRequiresGrad(true); err != nil {
		t.Fatal(err)
	}
	return x
}

func randn(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = r.NormFloat64()
	}
	return out
}

func grad64(t *testing.T, s *torch.Scope, x *torch.Tensor) []float64 {
	t.Helper()
	g := s.Grad(x)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if g == nil {
		t.Fatalf("%v has no gradient", x)
	}
	v, err := g.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func item(t *testing.T, x *torch.Tensor) float64 {
	t.Helper()
	v, err := x.Item()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPairLossEqualsGlobalLoss simulates world ranks in one process: rank r's objective,
// back-propagated, must give the single-process loss value of the global batch, and its
// gradients averaged over ranks (online rows: each rank's own block; τ and b: every rank)
// must equal the single-process gradients. float64 throughout, so the tolerance is rounding.
func TestPairLossEqualsGlobalLoss(t *testing.T) {
	cases := []struct {
		world, n, d int
		cfg         loss.Config
	}{
		{1, 6, 4, loss.Config{Alpha: 1, Gamma: 1}},
		{2, 4, 5, loss.Config{Alpha: 1, Gamma: 1}},
		{3, 3, 4, loss.Config{Alpha: 0.5, Gamma: 0}},
		{4, 2, 3, loss.Config{Alpha: 1, Gamma: 2.5}},
		{2, 5, 4, loss.Config{Alpha: 1, Gamma: 1, Filter: true, FilterThreshold: 0.05}},
		{2, 3, 4, loss.Config{Alpha: 1, Gamma: 1, MaxScale: 100}}, // τ gets gradient (scale below the clamp)
	}
	for ci, c := range cases {
		t.Run(fmt.Sprintf("world%d_n%d_%d", c.world, c.n, ci), func(t *testing.T) {
			live := torch.LiveTensors()
			defer func() {
				if d := torch.LiveTensors() - live; d != 0 {
					t.Errorf("%d tensor handles leaked, want 0", d)
				}
			}()
			r := rand.New(rand.NewSource(int64(ci) + 1))
			N := c.world * c.n
			xv, tv := randn(r, N*c.d), randn(r, N*c.d)
			tau0, b0 := math.Log(5)-0.3*float64(ci%2), -5+r.Float64()
			if c.cfg.MaxScale == 100 {
				tau0 = math.Log(3)
			}

			// Single-process reference on the global batch.
			s := torch.NewScope()
			defer s.Close()
			x := leaf(t, s, xv, int64(N), int64(c.d))
			tau, bias := scalarLeaf(t, s, tau0), scalarLeaf(t, s, b0)
			xt := s.FromFloat64s(tv, int64(N), int64(c.d))
			ref, refKL := loss.Pair(s, x, xt, tau, bias, c.cfg)
			if err := s.Backward(ref); err != nil {
				t.Fatal(err)
			}
			wantLoss, wantKL := item(t, ref), item(t, refKL)
			wantX := grad64(t, s, x)
			wantTau, wantBias := grad64(t, s, tau)[0], grad64(t, s, bias)[0]

			// Distributed: rank r holds rows [r·n, (r+1)·n).
			sumTau, sumBias := 0.0, 0.0
			gotX := make([]float64, 0, N*c.d)
			for rank := 0; rank < c.world; rank++ {
				rs := torch.NewScope()
				xr := leaf(t, rs, xv[rank*c.n*c.d:(rank+1)*c.n*c.d], int64(c.n), int64(c.d))
				taur, biasr := scalarLeaf(t, rs, tau0), scalarLeaf(t, rs, b0)
				all := rs.FromFloat64s(xv, int64(N), int64(c.d))
				tgt := rs.FromFloat64s(tv, int64(N), int64(c.d))
				res := parallel.PairLoss(rs, rank, c.world, xr, all, tgt, taur, biasr, c.cfg)
				if err := rs.Err(); err != nil {
					t.Fatal(err)
				}
				if err := rs.Backward(res.Objective); err != nil {
					t.Fatal(err)
				}
				// Tolerances: float64 rounding of O(N²) sums of O(10) terms.
				for name, got := range map[string]float64{"loss": item(t, res.Loss), "objective": item(t, res.Objective)} {
					if math.Abs(got-wantLoss) > 1e-12*math.Max(1, math.Abs(wantLoss)) {
						t.Errorf("rank %d %s: got %.15g, want %.15g", rank, name, got, wantLoss)
					}
				}
				if got := item(t, res.KL); math.Abs(got-wantKL) > 1e-12 {
					t.Errorf("rank %d KL: got %.15g, want %.15g", rank, got, wantKL)
				}
				// SyncGrads averages: divide by world.
				for _, g := range grad64(t, rs, xr) {
					gotX = append(gotX, g/float64(c.world))
				}
				sumTau += grad64(t, rs, taur)[0]
				sumBias += grad64(t, rs, biasr)[0]
				rs.Close()
			}
			for i := range wantX {
				if math.Abs(gotX[i]-wantX[i]) > 1e-12 {
					t.Fatalf("∂loss/∂online[%d]: got %.15g, want %.15g", i, gotX[i], wantX[i])
				}
			}
			if got := sumTau / float64(c.world); math.Abs(got-wantTau) > 1e-12 {
				t.Errorf("averaged ∂loss/∂τ: got %.15g, want %.15g", got, wantTau)
			}
			if got := sumBias / float64(c.world); math.Abs(got-wantBias) > 1e-12 {
				t.Errorf("averaged ∂loss/∂b: got %.15g, want %.15g", got, wantBias)
			}
		})
	}
}

// scalarLeaf returns a 0-dimensional float64 leaf that requires grad.
func scalarLeaf(t *testing.T, s *torch.Scope, v float64) *torch.Tensor {
	t.Helper()
	x := s.Scalar(torch.Opts{DType: torch.Float64}, v)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if err := x.SetRequiresGrad(true); err != nil {
		t.Fatal(err)
	}
	return x
}
