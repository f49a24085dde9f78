#!/usr/bin/env bash
# Is bf16 on the CPU as good as fp32 for scl's training? Three 300-step runs of the demo's recipe
# from scripts/demo.sh (--recipe scl): fp32 and bf16 with seed 42, and fp32 with seed 43 as the
# run-to-run noise; each ends with the linear probe and kNN on the validation split (the last
# 10,000 training images). Prints the 20-step moving-average loss differences (bf16 against fp32
# with the same seed, and fp32 seed 42 against seed 43) and the probe figures.
#
#   bench/train/bf16-quality.sh [OUT_DIR]      # default out/bf16-quality; about 10 minutes on 2 cores
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${1:-out/bf16-quality}
mkdir -p "$out" bin
go build -o bin/scl ./cmd/scl
for run in "fp32 42" "bf16 42" "fp32 43"; do
  set -- $run
  dir=$out/$1-$2
  rm -rf "$dir"
  bin/scl train --dataset fashion_mnist --encoder resnet18 --stem cifar --width 16 --batch-size 128 --lr 2e-3 \
    --beta 0.99 --num-global-views 2 --num-local-views 0 --global-crop-scale 0.3,1 --blur-prob 0 --solarize-prob 0 \
    --max-steps 300 --precision "$1" --seed "$2" --device cpu --log-every 1 --checkpoint-every 0 --no-progress \
    --plot=false --eval-dataset fashion_mnist --eval-holdout 10000 --eval-limit 0 --probe-at-end --out "$dir" >"$dir.log" 2>&1
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def load(name):
    loss, ev = {}, {}
    for line in open(f"{out}/{name}/metrics.jsonl"):
        r = json.loads(line)
        if r.get("kind") == "step":
            loss[r["step"]] = r["loss"]
        elif r.get("kind") == "eval":
            ev = r["eval"]
    return loss, ev
def smooth(loss, w=20):
    ks = sorted(loss)
    return {k: sum(loss[j] for j in ks[max(0, i - w + 1):i + 1]) / len(ks[max(0, i - w + 1):i + 1]) for i, k in enumerate(ks)}
(a, ea), (b, eb), (c, ec) = load("fp32-42"), load("bf16-42"), load("fp32-43")
A, B, C = smooth(a), smooth(b), smooth(c)
ks = [k for k in sorted(A) if k in B and k in C and k >= 20]
d_prec = [abs(A[k] - B[k]) for k in ks]
d_seed = [abs(A[k] - C[k]) for k in ks]
print(f"loss, 20-step moving average over steps 20-{ks[-1]}:")
print(f"  |bf16 - fp32| (same seed):  mean {sum(d_prec)/len(d_prec):.4f}  max {max(d_prec):.4f}")
print(f"  |fp32 seed 42 - seed 43|:   mean {sum(d_seed)/len(d_seed):.4f}  max {max(d_seed):.4f}")
for name, e in [("fp32 seed 42", ea), ("bf16 seed 42", eb), ("fp32 seed 43", ec)]:
    print(f"  {name}: linear {100*e['probe_top1']:.2f} %  kNN {100*e['knn_top1']:.2f} %")
print(f"linear probe bf16 - fp32 (same seed): {100*(eb['probe_top1']-ea['probe_top1']):+.2f} points (target: within 0.5)")
PY
