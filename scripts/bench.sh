#!/usr/bin/env bash
# Runs every benchmark; each prints a ratio against a baseline measured in the same run.
#
#   scripts/bench.sh               # all of them (about 15 minutes on 2 cores)
#   scripts/bench.sh torch data    # a selection: torch data probe infer train dist search
#
# Comparison baselines in Python (torch, torchvision, scikit-learn) come from Debian's packages,
# installed by `scripts/setup.sh --bench` (make bench does it); they are never used by scl itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export SCL_ORT_LIB=${SCL_ORT_LIB:-$root/.deps/lib/libonnxruntime.so.1}

all=(torch data probe infer train dist search)
sel=("$@")
[ ${#sel[@]} -gt 0 ] || sel=("${all[@]}")

for b in "${sel[@]}"; do
  printf '\n===== bench %s (%s)\n' "$b" "$(date -u +%H:%M:%S)"
  case "$b" in
    # ResNet-18 (CIFAR stem) training step, batch 64: Go binding vs Python torch on the same libtorch.
    torch) go run ./bench/torch -model torchnet -threads 1 -rounds 5 ;;
    # Multi-crop views per core: Go pipeline vs torchvision.
    data) bench/data/run.sh ;;
    # Logistic regression on Fashion-MNIST pixels: scl probe vs scikit-learn.
    probe) go run ./bench/probe ;;
    # scl embed end to end vs the bare ONNX Runtime session (and libtorch's eval forward).
    infer) bench/infer/run.sh ;;
    # Full SSL step (data pipeline included) vs the bare model compute.
    train) bench/train/run.sh ;;
    # 2-process data-parallel scaling with Gloo on loopback.
    dist) go run ./bench/dist ;;
    # Nearest-neighbour search, 1M × 128: exact (gonum GEMM) and HNSW vs brute-force NumPy.
    search) go run ./bench/search ;;
    *) echo "bench: unknown benchmark $b (expected one of: ${all[*]})" >&2; exit 2 ;;
  esac
done
