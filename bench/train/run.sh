#!/usr/bin/env bash
# Full self-supervised training step of scl train (data pipeline included) against the bare model
# compute of the same step (data pipeline removed), same process, alternating rounds: ResNet-18
# with the CIFAR stem on 28×28 Fashion-MNIST, 2 global + 4 local views, batch 64. Prints both
# images/s and the ratio (target ≥ 0.95).
#
#   bench/train/run.sh                     # CPU
#   bench/train/run.sh -steps 3 -rounds 2  # shorter
#   bench/train/run.sh -device cuda -precision bf16 -steps 50 -rounds 3   # GPU host
#
# Needs libtorch (scripts/setup.sh) and the Fashion-MNIST package.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/train-bench" ./bench/train
"$tmp/train-bench" "$@"
