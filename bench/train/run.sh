#!/usr/bin/env bash
# scl train's self-supervised step against the same step in PyTorch (bench/train/torch_step.py,
# Debian's python3-torch on the same libtorch), alternating rounds in one run: ResNet-18 with the
# CIFAR stem on 28×28 Fashion-MNIST, 2 global + 4 local views, batch 64, Adam. Prints images/s,
# CPU-seconds per image and peak RSS for both sides with their ratios, the scaling table, and
# exits 1 when a target is missed (see main.go).
#
#   bench/train/run.sh                                   # everything (long on a busy machine)
#   bench/train/run.sh -widths 16 -scaling=false         # the demo's width only
#   bench/train/run.sh -steps 3 -rounds 1                # shorter
#
# Needs libtorch and Fashion-MNIST (scripts/setup.sh) and the Python side (scripts/setup.sh --bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/train-bench" ./bench/train
"$tmp/train-bench" "$@"
