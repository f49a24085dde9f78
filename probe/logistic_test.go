package probe

import (
	"context"
	_ "embed"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
)

// randomDataset returns n rows of d features drawn around k random centres.
func randomDataset(seed uint64, n, d, k int, spread float64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 7))
	centres := make([]float64, k*d)
	for i := range centres {
		centres[i] = spread * r.NormFloat64()
	}
	ds := &Dataset{X: make([]float64, n*d), Rows: n, Dim: d, Labels: make([]int64, n)}
	for i := 0; i < n; i++ {
		c := i % k
		ds.Labels[i] = int64(10 * c) // labels need not be 0..K-1
		for j := 0; j < d; j++ {
			ds.X[i*d+j] = centres[c*d+j] + r.NormFloat64()
		}
	}
	return ds
}

func classesOf(t *testing.T, ds *Dataset) ([]int64, []int) {
	t.Helper()
	classes := ds.Classes()
	y, err := classIndex("test", ds.Labels, classes)
	if err != nil {
		t.Fatal(err)
	}
	return classes, y
}

// TestGradientFiniteDifferences compares the analytic gradient with central
// differences, in the original and in the preconditioned variables.
func TestGradientFiniteDifferences(t *testing.T) {
	tests := []struct {
		name         string
		c            float64
		fitIntercept bool
		precond      bool
	}{
		{"C=1", 1, true, false},
		{"C=0.05 no intercept", 0.05, false, false},
		{"C=1 preconditioned", 1, true, true},
		{"C=3 no intercept preconditioned", 3, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := randomDataset(3, 60, 4, 3, 1)
			classes, y := classesOf(t, ds)
			k := len(classes)
			obj := newObjective(ds, y, k, tc.c, tc.fitIntercept, 2)
			var pre *preconditioner
			if tc.precond {
				if pre = newPreconditioner(ds, k, tc.c, tc.fitIntercept); pre == nil {
					t.Fatal("preconditioner: not positive definite")
				}
			}
			f := func(v, grad []float64) float64 {
				theta := append([]float64(nil), v...)
				if pre != nil {
					pre.toOriginal(theta, k)
				}
				g := make([]float64, len(v))
				loss := obj.lossGrad(theta, g)
				if pre != nil {
					pre.gradToPreconditioned(g, k)
				}
				copy(grad, g)
				return loss
			}
			r := rand.New(rand.NewPCG(5, 5))
			v := make([]float64, obj.dim())
			for i := range v {
				v[i] = 0.5 * r.NormFloat64()
			}
			grad := make([]float64, len(v))
			f(v, grad)
			scratch := make([]float64, len(v))
			// h = 1e-5: the truncation error h²·f'''/6 and the rounding error
			// ε·|f|/h are both ~1e-9 for |f| ~ 100, far below the tolerance.
			const h, tol = 1e-5, 1e-6
			for i := range v {
				if !tc.fitIntercept && i%(ds.Dim+1) == ds.Dim {
					if grad[i] != 0 && pre == nil {
						t.Errorf("intercept gradient %d: got %v, want 0 without intercept", i, grad[i])
					}
					continue
				}
				old := v[i]
				v[i] = old + h
				fp := f(v, scratch)
				v[i] = old - h
				fm := f(v, scratch)
				v[i] = old
				fd := (fp - fm) / (2 * h)
				if math.Abs(fd-grad[i]) > tol*max(1, math.Abs(fd)) {
					t.Errorf("∂f/∂θ[%d]: got %v, want %v (central difference)", i, grad[i], fd)
				}
			}
		})
	}
}

// TestSeparable fits well separated clusters: the probe classifies train and
// test perfectly.
func TestSeparable(t *testing.T) {
	// The same seed gives the same centres; the last 100 rows are held out.
	all := randomDataset(11, 400, 6, 4, 12)
	train := &Dataset{X: all.X[:300*6], Rows: 300, Dim: 6, Labels: all.Labels[:300]}
	test := &Dataset{X: all.X[300*6:], Rows: 100, Dim: 6, Labels: all.Labels[300:]}
	model, info, err := FitLogistic(context.Background(), train, LogisticConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name string
		ds   *Dataset
	}{{"train", train}, {"test", test}} {
		pred, err := model.Predict(s.ds)
		if err != nil {
			t.Fatal(err)
		}
		wrong := 0
		for i, p := range pred {
			if p != s.ds.Labels[i] {
				wrong++
			}
		}
		if wrong != 0 {
			t.Errorf("%s: got %d misclassified of %d, want 0 (fit: %+v)", s.name, wrong, s.ds.Rows, info)
		}
	}
}

//go:embed testdata/sklearn_reference.json
var sklearnReferenceJSON []byte

type sklearnCase struct {
	Name         string    `json:"name"`
	C            float64   `json:"C"`
	FitIntercept bool      `json:"fit_intercept"`
	Rows         int       `json:"rows"`
	Dim          int       `json:"dim"`
	Classes      int       `json:"classes"`
	X            []float64 `json:"x"`
	Y            []int64   `json:"y"`
	Coef         []float64 `json:"coef"`
	Intercept    []float64 `json:"intercept"`
	Loss         float64   `json:"loss"`
	GradMax      float64   `json:"grad_max"`
	SkCoef       []float64 `json:"sklearn_coef"`
}

func loadSklearnCases(t *testing.T) []sklearnCase {
	t.Helper()
	var ref struct {
		Cases []sklearnCase `json:"cases"`
	}
	if err := json.Unmarshal(sklearnReferenceJSON, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.Cases
}

// TestMatchesScikitLearn fits the cases of testdata/sklearn_reference.json
// (scikit-learn's optimum, polished by Newton steps) and checks the
// coefficients, the loss and the invariants at the optimum.
func TestMatchesScikitLearn(t *testing.T) {
	for _, tc := range loadSklearnCases(t) {
		for _, precond := range []bool{true, false} {
			name := tc.Name
			if !precond {
				name += ", not preconditioned"
			}
			t.Run(name, func(t *testing.T) {
				ds := &Dataset{X: tc.X, Rows: tc.Rows, Dim: tc.Dim, Labels: tc.Y}
				cfg := LogisticConfig{C: tc.C, NoIntercept: !tc.FitIntercept, NoPrecondition: !precond, Tol: 1e-9, relTol: -1}
				model, info, err := FitLogistic(context.Background(), ds, cfg)
				if err != nil {
					t.Fatal(err)
				}
				// The objective is strongly convex in W with modulus ≥ 1/C, so
				// ‖Δθ‖∞ ≤ ‖Δθ‖₂ ≤ C·‖∇f‖₂ ≤ C·√dim·max|∇f|: with max|∇f| ≤ 1e-6
				// and dim ≤ 36 the coefficients agree to 6e-6·C; the intercepts
				// are pinned by the data term's curvature, comparable here. 1e-6
				// is where the line search meets rounding: f ~ 100 changes by
				// ε·f ~ 2e-14 ~ |∇f|²·C, so smaller gradients cannot be resolved.
				if info.Precond != precond {
					t.Errorf("preconditioned: got %v, want %v", info.Precond, precond)
				}
				if info.GradMax > 1e-6 {
					t.Errorf("max |gradient| at the solution: got %g, want ≤ 1e-6 (%s)", info.GradMax, info.Reason)
				}
				coefTol := 1e-5 * max(1, tc.C)
				for i, want := range tc.Coef {
					if got := model.W[i]; math.Abs(got-want) > coefTol {
						t.Errorf("coef[%d]: got %.9f, want %.9f (±%g)", i, got, want, coefTol)
					}
				}
				for i, want := range tc.Intercept {
					if got := model.B[i]; math.Abs(got-want) > coefTol {
						t.Errorf("intercept[%d]: got %.9f, want %.9f (±%g)", i, got, want, coefTol)
					}
				}
				// The loss is quadratic near the optimum: a 1e-5 error in θ moves
				// it by ~1e-10 relative.
				if math.Abs(info.Loss-tc.Loss) > 1e-9*tc.Loss {
					t.Errorf("loss: got %.12f, want %.12f", info.Loss, tc.Loss)
				}
				checkReturnedLoss(t, ds, model, tc.C, info)
			})
		}
	}
}

// checkReturnedLoss recomputes f at the returned model: it must equal the
// reported loss, and its gradient the reported GradMax.
func checkReturnedLoss(t *testing.T, ds *Dataset, m *LogisticModel, c float64, info FitInfo) {
	t.Helper()
	_, y := classesOf(t, ds)
	k, d := len(m.Classes), m.Dim
	obj := newObjective(ds, y, k, c, true, 1)
	theta := make([]float64, k*(d+1))
	for i := 0; i < k; i++ {
		copy(theta[i*(d+1):], m.W[i*d:(i+1)*d])
		theta[i*(d+1)+d] = m.B[i]
	}
	grad := make([]float64, len(theta))
	loss := obj.lossGrad(theta, grad)
	// Same operations, possibly another summation order (threads): 1e-12.
	if math.Abs(loss-info.Loss) > 1e-12*math.Abs(loss) {
		t.Errorf("returned loss: got %.15g, want loss(w) = %.15g", info.Loss, loss)
	}
	allZeroB := floats.Norm(m.B, math.Inf(1)) == 0
	if allZeroB {
		// No intercept: its gradient is not part of the problem.
		for i := 0; i < k; i++ {
			grad[i*(d+1)+d] = 0
		}
	}
	if g := floats.Norm(grad, math.Inf(1)); math.Abs(g-info.GradMax) > 1e-9*max(1, g) {
		t.Errorf("returned max |gradient|: got %g, want %g", info.GradMax, g)
	}
}

// TestDefaultStoppingMatchesReference fits with the default, SciPy-like
// stopping rules: the solution stops near the optimum, and predictions agree.
func TestDefaultStoppingMatchesReference(t *testing.T) {
	for _, tc := range loadSklearnCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			ds := &Dataset{X: tc.X, Rows: tc.Rows, Dim: tc.Dim, Labels: tc.Y}
			model, info, err := FitLogistic(context.Background(), ds, LogisticConfig{C: tc.C, NoIntercept: !tc.FitIntercept})
			if err != nil {
				t.Fatal(err)
			}
			if !info.Converged {
				t.Errorf("converged: got false (%s), want true", info.Reason)
			}
			// Stopped by a 2.2e-9 relative reduction or a 1e-4 gradient: the loss
			// is within ~1e-7 relative of the optimum.
			if info.Loss < tc.Loss-1e-9*tc.Loss || info.Loss > tc.Loss*(1+1e-6) {
				t.Errorf("loss: got %.10f, want within 1e-6 above the optimum %.10f", info.Loss, tc.Loss)
			}
			ref := &LogisticModel{Classes: model.Classes, Dim: tc.Dim, W: tc.Coef, B: tc.Intercept}
			pr, _ := ref.Predict(ds)
			pm, _ := model.Predict(ds)
			diff := 0
			for i := range pr {
				if pr[i] != pm[i] {
					diff++
				}
			}
			if diff > 1 {
				t.Errorf("predictions differing from the optimum's: got %d of %d, want ≤ 1", diff, len(pr))
			}
		})
	}
}

// TestDeterministic: the fit does not depend on the number of goroutines.
func TestDeterministic(t *testing.T) {
	ds := randomDataset(21, 2500, 7, 5, 1)
	var ref *LogisticModel
	for _, threads := range []int{1, 2, 3} {
		m, _, err := FitLogistic(context.Background(), ds, LogisticConfig{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = m
			continue
		}
		if !floats.Equal(m.W, ref.W) || !floats.Equal(m.B, ref.B) {
			t.Errorf("threads=%d: coefficients differ from threads=1", threads)
		}
	}
}

// TestMaxIter: MaxIter counts iterations after the starting point, as
// SciPy's L-BFGS-B (scikit-learn's n_iter_).
func TestMaxIter(t *testing.T) {
	ds := randomDataset(8, 400, 6, 3, 0.5)
	for _, n := range []int{1, 5} {
		var seen []int
		_, info, err := FitLogistic(context.Background(), ds, LogisticConfig{MaxIter: n, Tol: 1e-12, relTol: -1,
			Progress: func(it Iteration) { seen = append(seen, it.Iter) }})
		if err != nil {
			t.Fatal(err)
		}
		if info.Iterations != n || info.Converged || len(seen) != n || seen[len(seen)-1] != n {
			t.Errorf("MaxIter %d: got %d iterations (progress %v), converged %v (%s), want %d, false", n, info.Iterations, seen, info.Converged, info.Reason, n)
		}
	}
}

func TestFitCancelled(t *testing.T) {
	ds := randomDataset(4, 500, 5, 3, 1)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	cfg := LogisticConfig{Progress: func(Iteration) {
		calls++
		cancel()
	}, relTol: -1, Tol: 1e-12}
	_, _, err := FitLogistic(ctx, ds, cfg)
	if err == nil || ctx.Err() == nil {
		t.Fatalf("got err %v, want context.Canceled", err)
	}
	if calls != 1 {
		t.Errorf("progress calls: got %d, want 1 (stopped after the cancelling iteration)", calls)
	}
}

func TestFitErrors(t *testing.T) {
	one := &Dataset{X: []float64{1, 2, 3, 4}, Rows: 2, Dim: 2, Labels: []int64{5, 5}}
	nan := &Dataset{X: []float64{1, math.NaN(), 3, 4}, Rows: 2, Dim: 2, Labels: []int64{0, 1}}
	short := &Dataset{X: []float64{1, 2, 3}, Rows: 2, Dim: 2, Labels: []int64{0, 1}}
	good := &Dataset{X: []float64{1, 2, 3, 4}, Rows: 2, Dim: 2, Labels: []int64{0, 1}}
	tests := []struct {
		name string
		ds   *Dataset
		cfg  LogisticConfig
		want string
	}{
		{"single class", one, LogisticConfig{}, "single class"},
		{"nan", nan, LogisticConfig{}, "non-finite"},
		{"short", short, LogisticConfig{}, "feature values"},
		{"negative C", good, LogisticConfig{C: -1}, "C = -1"},
		{"negative max_iter", good, LogisticConfig{MaxIter: -3}, "max_iter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := FitLogistic(context.Background(), tc.ds, tc.cfg)
			assertErrContains(t, err, tc.want)
		})
	}
}

func TestPreconditionPays(t *testing.T) {
	tests := []struct {
		n, d, k int
		want    bool
	}{
		{60000, 784, 10, true},  // Fashion-MNIST pixels: 1.5 evaluations once
		{50000, 2048, 10, true}, // CIFAR-10, ResNet-50 features
		{5000, 2048, 10, false}, // STL-10, ResNet-50 features: 56 evaluations once
		{300, 5, 3, true},       // the reference cases
		{100, 1000, 2, false},   // wider than tall
	}
	for _, tc := range tests {
		if got := preconditionPays(tc.n, tc.d, tc.k); got != tc.want {
			t.Errorf("preconditionPays(%d, %d, %d): got %v, want %v", tc.n, tc.d, tc.k, got, tc.want)
		}
	}
}
