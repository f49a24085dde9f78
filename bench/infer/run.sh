#!/usr/bin/env bash
# scl embed end to end (Fashion-MNIST test images → decode/preprocess workers → ONNX Runtime →
# features.npy) against the bare ONNX Runtime session on tensors prepared before the clock,
# same model, same batches, same process, alternating rounds. Prints images/s (wall) and
# images per CPU-second for both and the ratios (target ≥ 0.9).
#
#   bench/infer/run.sh [extra flags, e.g. -n 2000 -rounds 7 -threads 0 -model model.onnx]
#
# Needs scripts/setup.sh (ONNX Runtime in .deps/lib, dataset-fashion-mnist).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export SCL_ORT_LIB=${SCL_ORT_LIB:-$root/.deps/lib/libonnxruntime.so.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bench" ./bench/infer
"$tmp/bench" -n 640 "$@"
