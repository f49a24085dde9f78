#!/usr/bin/env bash
# The trainer's GPU check, for a GPU host with a Python PyTorch 2.x (CUDA) install:
#   1. builds against that libtorch (scripts/torch-flags.sh, -tags customtorch);
#   2. runs the trainer's CUDA test (fp32, bf16, fp16 + loss scaler steps against the CPU step)
#      and the golden loss tests;
#   3. runs bench/train on cuda:0 in fp32, bf16 and fp16: full SSL step (ResNet-18 CIFAR stem,
#      28×28 Fashion-MNIST, 2+4 views, batch 64) against the bare model compute, same process,
#      with the ratio (target ≥ 0.95).
#
#   PYTHON=/path/to/python3 bench/train/gpu.sh [steps per round, default 50]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
py=${PYTHON:-python3}
steps=${1:-50}
status=0
flags=$(PYTHON="$py" scripts/torch-flags.sh) || exit 1
eval "$flags"
export GOFLAGS="-tags=customtorch"
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null || true
go test -count=1 -v -run 'CUDA|Golden' ./train/ ./train/loss/ 2>&1 | grep -E '^(--- |ok|FAIL|\s+\S+_test.go)' || status=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/train-bench" ./bench/train || exit 1
for p in fp32 bf16 fp16; do
  "$tmp/train-bench" -device cuda:0 -precision "$p" -steps "$steps" -rounds 3 || status=1
done
exit $status
