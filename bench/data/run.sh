#!/usr/bin/env bash
# Multi-crop (2 global + 4 local) views per second on ONE core: scl's Go pipeline against
# torchvision's PIL pipeline with the same parameters (SPEC §6), on the same images, in the same
# run. Prints both and the ratio (target: Go ≥ 5×). Both run single-threaded and are measured in
# views per CPU-second of their process (user + system time, all threads), which stays fair when
# other work shares the machine; wall-clock views/s are printed too.
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
"$tmp/bench" -gen "$tmp/c32.raw" -n 1024 -side 32

row() { # name file n h w c size
  local go tv
  go=$("$tmp/bench" -images "$2" -n "$3" -h "$4" -w "$5" -c "$6" -size "$7" -seconds "$secs")
  tv=$(OMP_NUM_THREADS=1 /usr/bin/python3 bench/data/tv_views.py "$2" "$3" "$4" "$5" "$6" "$7" 2 4 "$secs")
  /usr/bin/python3 -c '
import json, sys
g, t = json.loads(sys.argv[2]), json.loads(sys.argv[3])
gc, tc = g["views_per_cpu_s"], t["views_per_cpu_s"]
gw, tw = g["views_per_s"], t["views_per_s"]
print(f"{sys.argv[1]:<32} {gc:>9.0f} {tc:>12.0f} {gc/tc:>7.2f}x   (wall-clock: {gw:.0f} vs {tw:.0f} views/s)")
ok = gc / tc >= 5
verdict = "PASS" if ok else "FAIL"
print(f"RESULT|data|views per CPU-second, {sys.argv[1]}|{gc:.0f} views/CPU-s|{tc:.0f} views/CPU-s (torchvision)|{gc/tc:.3f}|≥ 5|{verdict}")
sys.exit(0 if ok else 1)
' "$1" "$go" "$tv"
}
echo "multi-crop views per CPU-second, one thread each (2 global + 4 local, SPEC §6 parameters)"
printf '%-32s %9s %12s %8s\n' "images" "scl (Go)" "torchvision" "ratio"
fail=0
row "fashion_mnist 28x28 grey, s=28" "$tmp/fmnist.raw" 2048 28 28 1 28 || fail=1
row "synthetic 32x32 colour, s=32" "$tmp/c32.raw" 1024 32 32 3 32 || fail=1
row "synthetic 96x96 colour, s=96" "$tmp/colour.raw" 256 96 96 3 96 || fail=1
if [ "$fail" != 0 ]; then
  echo "bench/data: target missed (Go ≥ 5× torchvision)" >&2
  exit 1
fi
