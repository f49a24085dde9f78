"""Writes sklearn_reference.json, the independent optimum used by probe's tests.

Produced once with Debian 12's scikit-learn 1.2.1 / SciPy 1.10.1:
    cd probe/testdata && /usr/bin/python3 make_sklearn_reference.py
The tests read the JSON and do not need Python.

Each case: overlapping Gaussian blobs (not separable, so the optimum is
finite), fitted by LogisticRegression(solver="lbfgs", multinomial) with a
tolerance far below the default, then polished by Newton steps on the same
objective (sum of cross-entropies + ||W||^2/(2C), intercept unpenalised) so
that the stored coefficients are the optimum to ~1e-12, whatever L-BFGS-B's
relative-reduction test did. grad_max records the largest gradient component
at the stored solution.
"""
import json

import numpy as np
from sklearn.linear_model import LogisticRegression


def objective(W, b, X, y, C, fit_intercept):
    Z = X @ W.T + b
    m = Z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(Z - m).sum(axis=1)) + m[:, 0]
    loss = (lse - Z[np.arange(len(y)), y]).sum() + 0.5 / C * (W ** 2).sum()
    P = np.exp(Z - lse[:, None])
    R = P.copy()
    R[np.arange(len(y)), y] -= 1
    gW = R.T @ X + W / C
    gb = R.sum(axis=0) if fit_intercept else np.zeros_like(b)
    return loss, gW, gb, P


def newton_polish(W, b, X, y, C, fit_intercept, steps=20):
    K, D = W.shape
    Xa = np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X
    Da = Xa.shape[1]
    for _ in range(steps):
        loss, gW, gb, P = objective(W, b, X, y, C, fit_intercept)
        g = np.hstack([gW, gb[:, None]]) if fit_intercept else gW
        H = np.zeros((K * Da, K * Da))
        for k in range(K):
            for l in range(K):
                w = P[:, k] * ((k == l) - P[:, l])
                H[k * Da:(k + 1) * Da, l * Da:(l + 1) * Da] = (Xa * w[:, None]).T @ Xa
        reg = np.ones(Da) / C
        if fit_intercept:
            reg[-1] = 0
        H += np.diag(np.tile(reg, K))
        # The Hessian is singular along adding a constant to all intercepts;
        # lstsq takes the minimum-norm step, which keeps sum_k b_k fixed.
        step = np.linalg.lstsq(H, g.ravel(), rcond=None)[0].reshape(K, Da)
        W = W - step[:, :D]
        if fit_intercept:
            b = b - step[:, D]
    loss, gW, gb, _ = objective(W, b, X, y, C, fit_intercept)
    return W, b, loss, max(np.abs(gW).max(), np.abs(gb).max())


def case(name, seed, n, d, k, C, fit_intercept, spread):
    rng = np.random.RandomState(seed)
    centres = rng.randn(k, d) * spread
    y = rng.randint(0, k, size=n)
    X = centres[y] + rng.randn(n, d)
    m = LogisticRegression(C=C, fit_intercept=fit_intercept, tol=1e-12, max_iter=10000)
    m.fit(X, y)
    b0 = m.intercept_ if fit_intercept else np.zeros(k)
    W, b, loss, gmax = newton_polish(m.coef_.copy(), np.array(b0, dtype=float), X, y, C, fit_intercept)
    return {
        "name": name, "C": C, "fit_intercept": fit_intercept,
        "rows": n, "dim": d, "classes": k,
        "x": X.ravel().tolist(), "y": y.tolist(),
        "sklearn_coef": m.coef_.ravel().tolist(),
        "sklearn_intercept": list(np.ravel(b0)),
        "sklearn_n_iter": int(m.n_iter_[0]),
        "coef": W.ravel().tolist(), "intercept": b.tolist(),
        "loss": loss, "grad_max": gmax,
    }


cases = [
    case("3 classes, 5 features, C=1", 1, 300, 5, 3, 1.0, True, 1.0),
    case("4 classes, 8 features, C=0.1", 2, 400, 8, 4, 0.1, True, 1.5),
    case("3 classes, 6 features, C=10, no intercept", 3, 250, 6, 3, 10.0, False, 1.0),
]
with open("sklearn_reference.json", "w") as f:
    json.dump({"produced_by": "probe/testdata/make_sklearn_reference.py, scikit-learn 1.2.1",
               "cases": cases}, f)
for c in cases:
    print(c["name"], "loss", c["loss"], "grad_max", c["grad_max"], "n_iter", c["sklearn_n_iter"],
          "max|coef - sklearn|", np.abs(np.array(c["coef"]) - np.array(c["sklearn_coef"])).max())
