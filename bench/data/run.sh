#!/usr/bin/env bash
# Multi-crop (2 global + 4 local) views per second on ONE core: scl's Go pipeline against
# torchvision's PIL pipeline with the same parameters (SPEC §6), on the same images, in the same
# run. Prints both and the ratio (target: Go ≥ 5×).
#
#   bench/data/run.sh [seconds per measurement, default 5]
#
# Needs /usr/bin/python3 with torch, torchvision, numpy (scripts/setup.sh --bench) and the
# Fashion-MNIST package (scripts/setup.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
go build -o "$tmp/bench" ./bench/data
"$tmp/bench" -fashion "$tmp/fmnist.raw" -n 2048
"$tmp/bench" -gen "$tmp/colour.raw" -n 256 -side 96

pyver() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["views_per_s"])'; }
row() { # name file n h w c size
  local go tv
  go=$("$tmp/bench" -images "$2" -n "$3" -h "$4" -w "$5" -c "$6" -size "$7" -seconds "$secs" | pyver)
  tv=$(OMP_NUM_THREADS=1 /usr/bin/python3 bench/data/tv_views.py "$2" "$3" "$4" "$5" "$6" "$7" 2 4 "$secs" | pyver)
  /usr/bin/python3 -c "import sys; g,t=float(sys.argv[2]),float(sys.argv[3]); print(f'{sys.argv[1]:<34} {g:>10.0f} {t:>12.0f} {g/t:>7.2f}x')" "$1" "$go" "$tv"
}
echo "multi-crop views/s on one core (2 global + 4 local, SPEC §6 parameters)"
printf '%-34s %10s %12s %8s\n' "images" "scl (Go)" "torchvision" "ratio"
row "fashion_mnist 28x28 grey, s=28" "$tmp/fmnist.raw" 2048 28 28 1 28
row "synthetic 96x96 colour, s=96" "$tmp/colour.raw" 256 96 96 3 96
