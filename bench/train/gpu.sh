#!/usr/bin/env bash
# The trainer's GPU comparison, for a GPU host with a Python PyTorch 2.x (CUDA) install:
#   1. builds against that libtorch (scripts/torch-flags.sh, -tags customtorch);
#   2. runs the trainer's CUDA test (fp32, bf16, fp16 + loss scaler steps against the CPU step)
#      and the golden loss tests;
#   3. runs bench/train on cuda:0 — scl train against the same step in PyTorch (torch_step.py,
#      run by that same Python), alternating rounds — in fp32, bf16 and fp16, widths 64 and 16.
# Not run yet: no GPU was available to the session that wrote it.
#
#   PYTHON=/path/to/python3 bench/train/gpu.sh [timed steps per measurement, default 20]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
py=${PYTHON:-python3}
steps=${1:-20}
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu.sh: no NVIDIA GPU here (nvidia-smi missing or sees none): this comparison needs CUDA; bench/train/run.sh is the CPU one" >&2
  exit 2
fi
if ! "$py" -c 'import sys, torch, torchvision; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "gpu.sh: $py has no CUDA-enabled torch + torchvision (set PYTHON=...)" >&2
  exit 2
fi
status=0
flags=$(PYTHON="$py" scripts/torch-flags.sh) || exit 1
eval "$flags"
export GOFLAGS="-tags=customtorch"
nvidia-smi --query-gpu=name,memory.total --format=csv
go test -count=1 -v -run 'CUDA|Golden' ./train/ ./train/loss/ 2>&1 | grep -E '^(--- |ok|FAIL|\s+\S+_test.go)' || status=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/train-bench" ./bench/train || exit 1
"$tmp/train-bench" -device cuda:0 -python "$py" -precisions fp32,bf16,fp16 -widths 64,16 -scaling=false \
  -steps "$steps" -warmup 5 -rounds 3 || status=1
exit $status
