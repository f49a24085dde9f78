#!/usr/bin/env bash
# The NCCL path on a GPU host (never run on the CPU development machine, which has no GPU):
# builds against a CUDA libtorch with -tags customtorch,nccl, runs the NCCL tests of torch/dist,
# then the scaling benchmark with one process per GPU — on a single-GPU host, one process
# through an NCCL group of one (every collective checked once, see selfCheck in main.go).
#
#   bench/dist/gpu.sh [global batch per GPU, default 64]
#
# Needs CGO_CXXFLAGS/CGO_LDFLAGS for the libtorch inside a PyTorch 2.x install, from
# scripts/torch-flags.sh when present.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
per=${1:-64}
cd "$root"
if [[ -x scripts/torch-flags.sh ]]; then
	eval "$(scripts/torch-flags.sh)"
fi
if [[ -z "${CGO_LDFLAGS:-}" ]]; then
	echo "bench/dist/gpu.sh: set CGO_CXXFLAGS and CGO_LDFLAGS for a CUDA libtorch (see torch/doc.go)" >&2
	exit 2
fi
n=$(nvidia-smi -L | wc -l)
if [[ "$n" -lt 1 ]]; then
	echo "bench/dist/gpu.sh: no GPU found by nvidia-smi" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -tags customtorch,nccl -count=1 -run 'NCCL' -v ./torch/dist/
go build -tags customtorch,nccl -o "$tmp/benchdist" ./bench/dist
"$tmp/benchdist" -cuda -world "$n" -batch $((per * n)) -steps 10 -rounds 3
