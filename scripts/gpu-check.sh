#!/usr/bin/env bash
# One prepared check for a GPU host: builds package torch against the host's PyTorch libtorch
# (CUDA), runs the CUDA tests and prints the training-step benchmark against Python PyTorch.
#
#   PYTHON=/path/to/python3 scripts/gpu-check.sh        # a Python with torch (2.x, CUDA) and torchvision
#
# What it runs:
#   1. scripts/torch-flags.sh → CGO_CXXFLAGS/CGO_LDFLAGS (libtorch_cuda linked with --no-as-needed);
#   2. go test -tags customtorch ./torch/... ./models/torchnet/ — includes TestCUDA (device moves,
#      fp16/bf16 autocast) and TestCUDAMixedPrecisionSteps (conv net, fp16 + loss scaler, bf16);
#      CPU tests run too, against the 2.x libtorch;
#   3. bench/torch on cuda:0 in float32, fp16 (+ scaler) and bf16: a ResNet-18 (CIFAR stem),
#      batch 64, training step, Go vs Python in the same run, with the ratio.
# Output goes to stdout and to ${OUT:-.}/gpu-check.log. Exit status is non-zero if any step fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-.}
log="$out/gpu-check.log"
mkdir -p "$out"
exec > >(tee "$log") 2>&1
py=${PYTHON:-python3}
status=0
step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }

step "host"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "nvidia-smi not found"
go version
"$py" -c 'import torch, torchvision; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), "torchvision", torchvision.__version__)' || {
  echo "gpu-check: $py cannot import torch and torchvision; set PYTHON"; exit 1; }

step "cgo flags"
flags=$(PYTHON="$py" scripts/torch-flags.sh) || exit 1
echo "$flags"
eval "$flags"
export GOFLAGS="-tags=customtorch"

step "build"
go build ./torch/... ./models/... ./bench/torch/ || exit 1

step "tests (CUDA tests included)"
go test -count=1 -v -run 'CUDA' ./torch/... || status=1
go test -count=1 ./torch/... ./models/torchnet/ || status=1

step "benchmark"
threads=$(nproc)
for amp in "" fp16 bf16; do
  go run ./bench/torch -device cuda:0 -python "$py" -steps 50 -warmup 10 -rounds 3 -threads "$threads" -amp "$amp" || status=1
done

step "done, status $status"
exit $status
