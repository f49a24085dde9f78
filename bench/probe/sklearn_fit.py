"""Fits scikit-learn's LogisticRegression(C=1, solver="lbfgs", max_iter=N) on
features written by bench/probe (train_x.npy, train_y.npy, test_x.npy,
test_y.npy in DIR) and prints one JSON line: test accuracy, fit time,
iterations, and the objective and max |gradient| at the solution in
scikit-learn 1.2's convention (sum of cross-entropies + ||W||^2 / (2C)).

Usage: /usr/bin/python3 sklearn_fit.py DIR [MAX_ITER]
"""
import json
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression


def objective(model, X, y, C):
    Z = X @ model.coef_.T + model.intercept_
    Z -= Z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(Z).sum(axis=1))
    idx = np.searchsorted(model.classes_, y)
    loss = (lse - Z[np.arange(len(y)), idx]).sum() + 0.5 / C * (model.coef_ ** 2).sum()
    P = np.exp(Z - lse[:, None])
    P[np.arange(len(y)), idx] -= 1
    gW = P.T @ X + model.coef_ / C
    gb = P.sum(axis=0)
    return float(loss), float(max(np.abs(gW).max(), np.abs(gb).max()))


def main():
    d = sys.argv[1]
    max_iter = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    X = np.load(d + "/train_x.npy").astype(np.float64)
    y = np.load(d + "/train_y.npy")
    Xt = np.load(d + "/test_x.npy").astype(np.float64)
    yt = np.load(d + "/test_y.npy")
    m = LogisticRegression(C=1.0, solver="lbfgs", max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, c = time.perf_counter(), time.process_time()
        m.fit(X, y)
        fit, cpu = time.perf_counter() - t, time.process_time() - c
    loss, gmax = objective(m, X, y, 1.0)
    print(json.dumps({
        "accuracy": float((m.predict(Xt) == yt).mean()),
        "fit_seconds": fit,
        "fit_cpu_seconds": cpu,
        "n_iter": int(m.n_iter_[0]),
        "loss": loss,
        "grad_max": gmax,
        "sklearn": sklearn.__version__,
    }))


if __name__ == "__main__":
    main()
