"""Brute-force cosine top-k with NumPy: the baseline of bench/search (same data, same run).

Usage: numpy_search.py VECTORS.npy QUERIES.npy K
Prints one JSON line: single-query latencies (p50, p99 in ms, queries/s) and batched
throughput (queries/s), with the top-k rows of the first query for a cross-check.
"""
import json
import sys
import time

import numpy as np

x = np.load(sys.argv[1])
q = np.load(sys.argv[2])
k = int(sys.argv[3])
x /= np.linalg.norm(x, axis=1, keepdims=True)
q /= np.linalg.norm(q, axis=1, keepdims=True)


def topk(scores, k):
    idx = np.argpartition(-scores, k, axis=-1)[..., :k]
    part = np.take_along_axis(scores, idx, axis=-1)
    order = np.argsort(-part, axis=-1, kind="stable")
    return np.take_along_axis(idx, order, axis=-1)


lat = []
first = None
for i in range(len(q)):
    t = time.perf_counter()
    r = topk(x @ q[i], k)
    lat.append(time.perf_counter() - t)
    if first is None:
        first = r.tolist()
lat = np.array(lat) * 1e3

t = time.perf_counter()
for lo in range(0, len(q), 256):
    s = q[lo:lo + 256] @ x.T
    topk(s, k)
batched = len(q) / (time.perf_counter() - t)

print(json.dumps({
    "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
    "single_qps": float(len(q) / (lat.sum() / 1e3)), "batched_qps": float(batched),
    "first": first, "numpy": np.__version__,
}))
