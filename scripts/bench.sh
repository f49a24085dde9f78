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

# run_bench NAME: the benchmark's command.
run_bench() {
  case "$1" in
    # ResNet-18 (CIFAR stem) training step, batch 64: Go binding vs Python torch on the same libtorch.
    torch) go run ./bench/torch -model torchnet -threads 1 -rounds 5 ;;
    # Multi-crop views per core: Go pipeline vs torchvision.
    data) bench/data/run.sh ;;
    # Logistic regression on Fashion-MNIST pixels: scl probe vs scikit-learn.
    probe) go run ./bench/probe ;;
    # scl embed end to end vs the bare ONNX Runtime session (and libtorch's eval forward).
    infer) bench/infer/run.sh ;;
    # scl train vs the same step in PyTorch (torchvision DataLoader, Adam, EMA), fp32 and bf16.
    # BENCH_TRAIN_FLAGS narrows it, e.g. "-widths 64,16 -precisions fp32 -scaling=false".
    # shellcheck disable=SC2086 # a word list of flags
    train) bench/train/run.sh ${BENCH_TRAIN_FLAGS:-} ;;
    # 2-process data-parallel scaling with Gloo on loopback.
    dist) go run ./bench/dist ;;
    # Nearest-neighbour search, 1M × 128: exact (gonum GEMM) and HNSW vs brute-force NumPy.
    search) go run ./bench/search ;;
    *) echo "bench: unknown benchmark $1 (expected one of: ${all[*]})" >&2; return 2 ;;
  esac
}

# Each benchmark's figures (its RESULT lines) go to bench/results/NAME.md with the date, the
# machine and the command: README's figures are taken from those files.
machine() {
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
  echo "$(uname -sm), ${cpu:-unknown CPU}, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
}
write_results() { # NAME LOG STATUS
  local out="bench/results/$1.md" tmp
  mkdir -p bench/results
  tmp=$(mktemp "bench/results/.$1.XXXXXX")
  {
    echo "# bench $1"
    echo
    echo "Written by \`scripts/bench.sh $1\` (do not edit by hand; README.md quotes these figures)."
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "- machine: $(machine)"
    echo "- command: \`${BENCH_TRAIN_FLAGS:+BENCH_TRAIN_FLAGS=\"$BENCH_TRAIN_FLAGS\" }scripts/bench.sh $1\` (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
    echo "- exit status: $3"
    echo
    echo "| figure | scl | baseline (same run) | ratio | target | verdict |"
    echo "|---|---|---|---|---|---|"
    { grep '^RESULT|' "$2" || true; } | awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $3, $4, $5, $6, $7, $8 }'
  } >"$tmp"
  mv "$tmp" "$out"
}

failed=()
for b in "${sel[@]}"; do
  printf '\n===== bench %s (%s)\n' "$b" "$(date -u +%H:%M:%S)"
  log=$(mktemp)
  status=0
  run_bench "$b" 2>&1 | tee "$log" || status=$?
  if [ "$status" = 2 ] && ! grep -q '^RESULT|' "$log"; then
    rm -f "$log"
    exit 2
  fi
  write_results "$b" "$log" "$status"
  rm -f "$log"
  [ "$status" = 0 ] || failed+=("$b")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: target missed or benchmark failed: ${failed[*]} (see bench/results/)" >&2
  exit 1
fi
