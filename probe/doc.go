// Package probe measures representation quality on frozen features: a linear
// probe (multinomial logistic regression, as scikit-learn's
// LogisticRegression) and a weighted k-nearest-neighbour classifier, with
// metrics, a JSON report and a PNG confusion matrix (SPEC §7).
//
// # Inputs
//
// A split is a [Dataset]: an N×D float64 feature matrix and N integer labels.
// [LoadSplit] reads the float32 features.npy / int64 labels.npy files written
// by `scl embed`, one or several shards, joined in order. Features are
// L2-normalised per row by default ([L2Rows]), as the reference does;
// [Standardize] scales columns to zero mean and unit variance using the
// training split's statistics.
//
// # Linear probe
//
// [FitLogistic] minimises scikit-learn 1.2's objective for
// LogisticRegression(penalty="l2", C, fit_intercept=True, solver="lbfgs",
// multi_class="multinomial"):
//
//	f(W, b) = Σᵢ [ log Σₖ exp(zᵢₖ) − zᵢ,yᵢ ] + ‖W‖²/(2C),   zᵢ = W xᵢ + b,
//
// the intercept b not penalised. This is C·Σ cross-entropy + ½‖W‖² divided by
// C: the same minimiser; for the default C = 1 the same numbers. It stops
// with the rules of SciPy's L-BFGS-B as scikit-learn calls it: the largest
// gradient component at most Tol (default 1e-4), or a relative reduction of f
// in one iteration at most factr·ε = 2.22e-9, or MaxIter iterations.
//
// The optimiser is gonum's L-BFGS (Nocedal & Wright, Numerical Optimization,
// 2nd ed., §7.2) with a More–Thuente line search, run on preconditioned
// variables: each class's weights (w, b) = L⁻ᵀv, where L Lᵀ approximates the
// per-class Hessian q·X̃ᵀX̃ + diag(1/C, …, 1/C, 0) (X̃ the features with a column
// of ones, q = 1/K², estimated on at most 4096 rows). The change of variables
// leaves the objective and its minimiser unchanged; it cuts the number of
// iterations about threefold on ill-conditioned features such as raw pixels.
// It is used only when its cost, m·(D+1)²/2 + (D+1)³/3 once and 2·K·(D+1)²
// per evaluation, is small next to an evaluation (2·N·D·K): not for wide
// features on few rows, which are well conditioned anyway.
// Stopping is tested on the gradient in the original variables, as
// scikit-learn does.
//
// One evaluation of f and ∇f reads each row once: K dot products, a softmax
// and K axpy updates with gonum's vector kernels, 2·N·D·K multiply-adds in
// all, over blocks of 1024 rows spread across goroutines and summed in block
// order (results do not depend on the number of goroutines). Features are
// held as float64: N·D·8 bytes (376 MB for 60,000 × 784).
//
// # Periodic evaluation
//
// A trainer builds a train and a test [Dataset] (from [NewDataset] on its
// embeddings, or [LoadSplit] on files) and calls [Assess], which returns a
// [Report]; [Options] selects the linear probe, kNN or both.
//
// # kNN
//
// [KNN] classifies each test row by its k most cosine-similar training rows
// (default k = 200), each voting for its class with weight exp(s/T)
// (default T = 0.07), as in Wu et al., "Unsupervised Feature Learning via
// Non-Parametric Instance Discrimination", CVPR 2018.
//
// # Concurrency
//
// Functions are safe for concurrent use on distinct inputs; they do not
// modify their input datasets unless documented (the in-place preprocessing
// methods). Work is spread over Threads goroutines (0: GOMAXPROCS). Long runs
// take a context and stop with its error when it is cancelled; progress is
// reported through optional callbacks, never printed.
package probe
