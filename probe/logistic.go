package probe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// Defaults of LogisticConfig, as scikit-learn's LogisticRegression except
// MaxIter (scikit-learn: 100, which leaves most probes unconverged; the
// reference's benchmarks use 1000).
const (
	DefaultC       = 1.0
	DefaultTol     = 1e-4
	DefaultMaxIter = 1000
)

// relativeReductionTol is SciPy's L-BFGS-B default factr·ε = 1e7 · 2⁻⁵²: the
// fit stops when (f_prev − f)/max(|f_prev|, |f|, 1) ≤ this.
const relativeReductionTol = 1e7 * 0x1p-52

// lbfgsStore is the number of correction pairs, SciPy's maxcor default.
const lbfgsStore = 10

// LogisticConfig configures FitLogistic. The zero value means the defaults.
type LogisticConfig struct {
	// C is the inverse regularisation strength (default 1).
	C float64
	// Tol stops the fit when max |∂f/∂θⱼ| ≤ Tol (default 1e-4).
	Tol float64
	// MaxIter bounds the L-BFGS iterations (default 1000).
	MaxIter int
	// NoIntercept fits no intercept (scikit-learn's fit_intercept=False).
	NoIntercept bool
	// NoPrecondition runs L-BFGS on the original variables, exactly as
	// scikit-learn does (slower; for comparisons). The preconditioner is also
	// skipped when its cost would not pay off (few rows, wide features);
	// FitInfo.Precond says whether it was used.
	NoPrecondition bool
	// Threads is the number of goroutines for the softmax (default GOMAXPROCS;
	// gonum's BLAS uses GOMAXPROCS).
	Threads int
	// Progress, when set, is called after every iteration.
	Progress func(Iteration)

	// relTol replaces SciPy's relative-reduction tolerance when positive, and
	// disables that test when negative (tests only).
	relTol float64
}

// Iteration is the state reported after one L-BFGS iteration.
type Iteration struct {
	Iter    int
	Loss    float64
	GradMax float64 // max |∂f/∂θⱼ| in the original variables
}

func (c LogisticConfig) withDefaults() (LogisticConfig, error) {
	if c.C == 0 {
		c.C = DefaultC
	}
	if c.Tol == 0 {
		c.Tol = DefaultTol
	}
	if c.MaxIter == 0 {
		c.MaxIter = DefaultMaxIter
	}
	switch {
	case !(c.C > 0) || math.IsInf(c.C, 0):
		return c, fmt.Errorf("probe: C = %v, want a finite positive number", c.C)
	case !(c.Tol > 0):
		return c, fmt.Errorf("probe: tol = %v, want a positive number", c.Tol)
	case c.MaxIter < 0:
		return c, fmt.Errorf("probe: max_iter = %d, want a positive number", c.MaxIter)
	}
	return c, nil
}

// LogisticModel is a fitted multinomial logistic regression.
type LogisticModel struct {
	// Classes are the labels of the K classes, sorted.
	Classes []int64
	// Dim is the number of features D.
	Dim int
	// W holds the K×D coefficients, row-major (scikit-learn's coef_).
	W []float64
	// B holds the K intercepts (scikit-learn's intercept_).
	B []float64
}

// FitInfo describes how a fit ended.
type FitInfo struct {
	Iterations  int     `json:"iterations"`
	Evaluations int     `json:"evaluations"`
	Loss        float64 `json:"loss"`
	GradMax     float64 `json:"grad_max"`
	// Converged is true when a tolerance (gradient or relative reduction)
	// stopped the fit, false when MaxIter or a line-search failure did.
	Converged bool    `json:"converged"`
	Reason    string  `json:"reason"`
	Seconds   float64 `json:"seconds"`
	Precond   bool    `json:"preconditioned"`
}

var (
	statusRelReduction = optimize.NewStatus("RelativeReductionOfF", false, nil)
	statusGradTol      = optimize.NewStatus("GradientTolerance", false, nil)
)

// FitLogistic fits a multinomial logistic regression with L2 penalty to the
// training split, minimising scikit-learn 1.2's objective (see the package
// documentation) from θ = 0. It needs at least two classes. Cancelling ctx
// stops the fit with ctx's error.
func FitLogistic(ctx context.Context, train *Dataset, cfg LogisticConfig) (*LogisticModel, FitInfo, error) {
	start := time.Now()
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, FitInfo{}, err
	}
	if err := train.validate("train"); err != nil {
		return nil, FitInfo{}, err
	}
	classes := train.Classes()
	if len(classes) < 2 {
		return nil, FitInfo{}, fmt.Errorf("probe: train split has a single class (%d), want at least two", classes[0])
	}
	y, _ := classIndex("train", train.Labels, classes)
	k, d := len(classes), train.Dim
	ld := d + 1
	obj := newObjective(train, y, k, cfg.C, !cfg.NoIntercept, cfg.Threads)
	var pre *preconditioner
	if !cfg.NoPrecondition && preconditionPays(train.Rows, d, k) {
		pre = newPreconditioner(train, k, cfg.C, !cfg.NoIntercept)
	}

	// Evaluations are cached: gonum asks for F and ∇F separately at the same x.
	dim := obj.dim()
	cache := struct {
		v, theta, grad, gradV []float64
		f                     float64
		valid                 bool
	}{v: make([]float64, dim), theta: make([]float64, dim), grad: make([]float64, dim), gradV: make([]float64, dim)}
	evals := 0
	eval := func(v []float64) {
		if cache.valid && floats.Equal(v, cache.v) {
			return
		}
		copy(cache.v, v)
		copy(cache.theta, v)
		if pre != nil {
			pre.toOriginal(cache.theta, k)
		}
		cache.f = obj.lossGrad(cache.theta, cache.grad)
		copy(cache.gradV, cache.grad)
		if pre != nil {
			pre.gradToPreconditioned(cache.gradV, k)
		}
		cache.valid = true
		evals++
	}
	gradMax := func() float64 { return floats.Norm(cache.grad, math.Inf(1)) }

	relTol := relativeReductionTol
	if cfg.relTol != 0 {
		relTol = cfg.relTol
	}
	conv := &stopRule{tol: cfg.Tol, relTol: relTol, progress: cfg.Progress, at: func(v []float64) (float64, float64) {
		eval(v)
		return cache.f, gradMax()
	}}
	problem := optimize.Problem{
		Func: func(v []float64) float64 { eval(v); return cache.f },
		Grad: func(g, v []float64) { eval(v); copy(g, cache.gradV) },
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		Converger: conv,
		// gonum counts the starting point as a major iteration; SciPy does not.
		MajorIterations: cfg.MaxIter + 1,
		// SciPy's maxfun default.
		FuncEvaluations: 15000,
	}
	method := &optimize.LBFGS{Store: lbfgsStore, GradStopThreshold: math.NaN()}
	res, optErr := optimize.Minimize(problem, make([]float64, dim), settings, method)
	if err := ctx.Err(); err != nil {
		return nil, FitInfo{}, fmt.Errorf("probe: logistic fit: %w", err)
	}
	info := FitInfo{Precond: pre != nil}
	if res == nil {
		return nil, FitInfo{}, fmt.Errorf("probe: logistic fit: %w", optErr)
	}
	// The best point seen; re-evaluate so that Loss and GradMax describe it.
	eval(res.X)
	if math.IsNaN(cache.f) || math.IsInf(cache.f, 0) {
		return nil, FitInfo{}, fmt.Errorf("probe: logistic fit diverged (loss %v)", cache.f)
	}
	info.Iterations = conv.iter
	info.Evaluations = evals
	info.Loss = cache.f
	info.GradMax = gradMax()
	switch {
	case res.Status == statusGradTol || res.Status == optimize.GradientThreshold:
		info.Converged, info.Reason = true, fmt.Sprintf("max |gradient| ≤ tol %g", cfg.Tol)
	case res.Status == statusRelReduction:
		info.Converged, info.Reason = true, "relative reduction of f ≤ factr·eps (2.2e-9)"
	case res.Status == optimize.IterationLimit:
		info.Reason = fmt.Sprintf("iteration limit %d reached", cfg.MaxIter)
	case optErr != nil:
		// SciPy reports an abnormal line-search termination and scikit-learn
		// keeps the point; so do we, flagged as not converged.
		info.Reason = "line search stopped: " + optErr.Error()
	default:
		info.Reason = res.Status.String()
	}
	if optErr != nil && !info.Converged && !isLinesearchErr(optErr) {
		return nil, FitInfo{}, fmt.Errorf("probe: logistic fit: %w", optErr)
	}
	m := &LogisticModel{Classes: classes, Dim: d, W: make([]float64, k*d), B: make([]float64, k)}
	for c := 0; c < k; c++ {
		copy(m.W[c*d:(c+1)*d], cache.theta[c*ld:c*ld+d])
		m.B[c] = cache.theta[c*ld+d]
	}
	info.Seconds = time.Since(start).Seconds()
	return m, info, nil
}

// isLinesearchErr reports whether err is a line-search failure, after which
// the best point so far is kept (as SciPy's ABNORMAL_TERMINATION_IN_LNSRCH).
func isLinesearchErr(err error) bool {
	return errors.Is(err, optimize.ErrNoProgress) || errors.Is(err, optimize.ErrLinesearcherBound) ||
		errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNonDescentDirection)
}

// stopRule applies SciPy L-BFGS-B's stopping tests after every iteration, on
// the objective in the original variables.
type stopRule struct {
	tol      float64
	relTol   float64 // negative: no relative-reduction test
	at       func(v []float64) (f, gradMax float64)
	progress func(Iteration)
	iter     int
	prevF    float64
	started  bool
}

func (s *stopRule) Init(int) { s.iter, s.started = 0, false }

func (s *stopRule) Converged(loc *optimize.Location) optimize.Status {
	f, g := s.at(loc.X)
	if !s.started {
		// The starting point: only the gradient test, as L-BFGS-B.
		s.started, s.prevF = true, f
		if g <= s.tol {
			return statusGradTol
		}
		return optimize.NotTerminated
	}
	s.iter++
	if s.progress != nil {
		s.progress(Iteration{Iter: s.iter, Loss: f, GradMax: g})
	}
	if g <= s.tol {
		return statusGradTol
	}
	if s.relTol >= 0 && s.prevF-f <= s.relTol*max(math.Abs(s.prevF), math.Abs(f), 1) {
		return statusRelReduction
	}
	s.prevF = f
	return optimize.NotTerminated
}

// Scores writes the K logits W x + b of every row of x into a new N×K slice.
func (m *LogisticModel) Scores(x *Dataset) ([]float64, error) {
	if x.Dim != m.Dim {
		return nil, fmt.Errorf("probe: features have %d columns, the model wants %d", x.Dim, m.Dim)
	}
	k := len(m.Classes)
	out := make([]float64, x.Rows*k)
	for i := 0; i < x.Rows; i++ {
		r := x.Row(i)
		for c := 0; c < k; c++ {
			out[i*k+c] = floats.Dot(r, m.W[c*m.Dim:(c+1)*m.Dim]) + m.B[c]
		}
	}
	return out, nil
}

// Predict returns the predicted label of every row of x.
func (m *LogisticModel) Predict(x *Dataset) ([]int64, error) {
	s, err := m.Scores(x)
	if err != nil {
		return nil, err
	}
	k := len(m.Classes)
	out := make([]int64, x.Rows)
	for i := range out {
		row := s[i*k : (i+1)*k]
		out[i] = m.Classes[slices.Index(row, slices.Max(row))]
	}
	return out, nil
}
