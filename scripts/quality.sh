#!/usr/bin/env bash
# Representation quality on Fashion-MNIST within a bounded CPU budget (issue 7, SPEC §7).
#
# Pretrains a ResNet-18 (CIFAR stem, base width $WIDTH) with scl train on the 60,000 training
# images for $BUDGET of wall-clock time, then compares three linear probes on the same machine
# (multinomial logistic regression, C = 1, L2-normalised features; fitted on the 60,000 train
# images, scored on the 10,000 test images):
#   pretrained  the target encoder of the final checkpoint
#   random      the same architecture at step 0 (the run's own random initialisation)
#   pixels      the raw 784 pixels scaled to [0, 1]
# Features of the encoders go through the product's split workflow: scl export (ONNX, verified
# against libtorch) → scl embed (ONNX Runtime) → scl probe.
#
#   scripts/quality.sh [OUT_DIR]        # default out/quality
#   BUDGET=30m WIDTH=32 scripts/quality.sh
#
# Prints a table and writes OUT_DIR/quality.json; the run (checkpoints, metrics.jsonl,
# curves.png) stays in OUT_DIR/run, resumable with the printed command plus --resume auto.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-out/quality}
BUDGET=${BUDGET:-15m}
WIDTH=${WIDTH:-16}
BATCH=${BATCH:-64}
LR=${LR:-1e-3}
SEED=${SEED:-42}

scripts/setup.sh
export SCL_ORT_LIB=${SCL_ORT_LIB:-$root/.deps/lib/libonnxruntime.so.1}
mkdir -p "$out" bin
go build -o bin/scl ./cmd/scl
scl=bin/scl

# Only the step-0 checkpoint (random initialisation) and the final one are written and kept.
train_cmd=(train --dataset fashion_mnist --encoder resnet18 --stem cifar --width "$WIDTH"
  --batch-size "$BATCH" --lr "$LR" --beta 0.99 --gamma 1.0 --alpha 1.0
  --num-global-views 2 --num-local-views 4 --epochs 100 --max-time "$BUDGET"
  --checkpoint-every 100000000 --keep-checkpoints 0 --seed "$SEED" --device cpu --out "$out/run")
echo "quality: $scl ${train_cmd[*]}"
start=$(date +%s)
$scl "${train_cmd[@]}" --no-progress --log-every 50
train_s=$(( $(date +%s) - start ))

ckpts=("$out"/run/checkpoints/step-*)
random_ckpt=${ckpts[0]}
final_ckpt=${ckpts[${#ckpts[@]}-1]}
steps=$(basename "$final_ckpt" | sed 's/step-0*//')

probe() { # name checkpoint
  local dir="$out/$1"
  mkdir -p "$dir"
  $scl export --checkpoint "$2" --out "$dir/model.onnx" --verify
  for split in train test; do
    $scl embed --model "$dir/model.onnx" --dataset fashion_mnist --split "$split" --out "$dir/$split" --device cpu --batch-size 256
  done
  $scl probe --train "$dir/train" --test "$dir/test" --report "$dir/report.json" --confusion "$dir/confusion.png" --no-knn -q
}
probe pretrained "$final_ckpt"
probe random "$random_ckpt"
mkdir -p "$out/pixels"
go run ./bench/train/rawpixels -out "$out/pixels"
$scl probe --train "$out/pixels/train" --test "$out/pixels/test" --report "$out/pixels/report.json" --confusion "$out/pixels/confusion.png" --no-knn -q

/usr/bin/python3 - "$out" "$steps" "$train_s" "$BUDGET" "$WIDTH" "$BATCH" "${train_cmd[*]}" <<'PY'
import json, sys
out, steps, secs, budget, width, batch, cmd = sys.argv[1:8]
def top1(name):
    return json.load(open(f"{out}/{name}/report.json"))["linear"]["metrics"]["top1"]
rows = {n: top1(n) for n in ("pretrained", "random", "pixels")}
print(f"\nFashion-MNIST linear probe (train 60,000 → test 10,000), ResNet-18 CIFAR stem width {width}, "
      f"{steps} steps of batch {batch} in {int(secs)//60} min {int(secs)%60} s (budget {budget}) on this machine")
print(f"{'features':<28}{'top-1':>8}")
for n, label in (("pretrained", "scl pretrained (target enc.)"), ("random", "random-init encoder"), ("pixels", "raw pixels")):
    print(f"{label:<28}{100*rows[n]:>7.2f}%")
json.dump({"top1": rows, "steps": int(steps), "train_seconds": int(secs), "budget": budget,
           "command": "scl " + cmd}, open(f"{out}/quality.json", "w"), indent=2)
print(f"\ncommand: scl {cmd}")
PY
