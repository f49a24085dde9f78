#!/usr/bin/env bash
# The whole workflow on Fashion-MNIST, on the CPU, in about 15 minutes on 2 cores:
#
#   pretrain (scl train) → ONNX (scl export --verify) → features (scl embed, ONNX Runtime)
#   → linear probe + kNN (scl probe) → results table (scl report)
#
# for the pretrained target encoder and, as the baseline, the same network at its random
# initialisation (the run's step-0 checkpoint), plus the raw-pixel baseline.
#
#   scripts/demo.sh                              # out/demo, 10 minutes of pretraining
#   scripts/demo.sh --budget 2h --width 64       # scaled up: full-width ResNet-18, longer
#   scripts/demo.sh --recipe reference           # the reference's settings instead of scl's recipe
#   scripts/demo.sh --out DIR --batch 128 --lr 1e-3 --device cuda
#   scripts/demo.sh --budget 60m --checkpoint-at 5m,10m   # also keep the states at 5 and 10 minutes
#   scripts/demo.sh --budget 60m --lr-decay 0.2  # learning rate to 0 over the budget's last 20 %
#
# --recipe scl (the default) is the recipe tuned for this demo (docs/recipe.md: why each setting,
# with the ablations); --recipe reference is the reference's settings (width 64, Adam 3e-4,
# batch 64, γ 1, α 1, SPEC §6 views). --width, --batch and --lr change either. The kNN monitor
# during pretraining scores the last 10,000 training images (a validation split); the test split
# is only used for the final table. --no-pictures skips the retrieval grids and maps. --lr-decay F
# ends the budget with a linear decay of the learning rate to 0 over its last fraction F (wsd,
# timed against the training clock; β keeps its own schedule), for long budgets: the recipe's
# constant rate is what the short ones want (docs/recipe.md).
#
# Everything lands in one folder: run/ (checkpoints, metrics.jsonl, curves.png), pretrained/ and
# random/ (model.onnx, train/ and test/ features, report.json, confusion.png), pixels/, and
# results.md (the table printed at the end). Ctrl-C stops cleanly; rerunning with the same --out
# resumes the pretraining from its last checkpoint.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

out=out/demo budget=10m recipe=scl device=cpu seed=42 pictures=1
overrides=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --recipe) recipe=$2; shift 2 ;;
    --width) overrides+=(--width "$2"); shift 2 ;;
    --batch) overrides+=(--batch-size "$2"); shift 2 ;;
    --lr) overrides+=(--lr "$2"); shift 2 ;;
    --device) device=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --checkpoint-at) overrides+=(--checkpoint-at "$2"); shift 2 ;;
    --lr-decay) overrides+=(--lr-schedule wsd --lr-decay-fraction "$2" --schedule-horizon time --beta-horizon epochs); shift 2 ;;
    --no-pictures) pictures=0; shift ;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "$0"; exit 0 ;;
    *) echo "demo: unknown argument $1 (see scripts/demo.sh --help)" >&2; exit 2 ;;
  esac
done

# The recipes (flags of scl train). Later flags win, so --width/--batch/--lr override them.
case "$recipe" in
  scl) recipe_flags=(--width 16 --batch-size 128 --optimizer adam --lr 2e-3 --beta 0.99 --gamma 1 --alpha 1
    --num-global-views 2 --num-local-views 0 --global-crop-scale 0.2,1 --jitter-strength 1.25 --blur-prob 0 --solarize-prob 0
    --proj-hidden-dim 256 --image-size 20 --eval-image-size 28) ;;
  reference) recipe_flags=(--width 64 --batch-size 64 --optimizer adam --lr 3e-4 --beta 0.99 --gamma 1 --alpha 1
    --num-global-views 2 --num-local-views 4) ;;
  *) echo "demo: --recipe $recipe: want scl or reference" >&2; exit 2 ;;
esac
train_flags=("${recipe_flags[@]}" "${overrides[@]}")
width=16
for ((i = 0; i < ${#train_flags[@]} - 1; i++)); do
  [ "${train_flags[$i]}" = --width ] && width=${train_flags[$((i + 1))]}
done

scripts/setup.sh
export SCL_ORT_LIB=${SCL_ORT_LIB:-$root/.deps/lib/libonnxruntime.so.1}
mkdir -p "$out" bin
go build -o bin/scl ./cmd/scl
scl=$root/bin/scl
step() { printf '\n== %s\n' "$*"; }

step "1/4 pretraining ResNet-18 (CIFAR stem, width $width, recipe $recipe) on Fashion-MNIST for $budget on $device"
resume=()
if compgen -G "$out/run/checkpoints/step-*" >/dev/null; then resume=(--resume auto); fi
# --checkpoint-every is large so that only the step-0 checkpoint (the random-init baseline)
# and the final one are written; --keep-checkpoints 0 keeps both.
if ! $scl train --dataset fashion_mnist --encoder resnet18 --stem cifar "${train_flags[@]}" \
  --epochs 100 --max-time "$budget" --checkpoint-every 100000000 --keep-checkpoints 0 \
  --seed "$seed" --device "$device" --eval-dataset fashion_mnist --eval-holdout 10000 --eval-limit 10000 \
  --eval-every 1000 --out "$out/run" "${resume[@]}"; then
  if [ ${#resume[@]} -gt 0 ]; then
    echo "demo: $out/run holds an earlier run, which this one resumes; if scl train refused it for changed settings (a demo of an older recipe), move $out aside or pass --out DIR" >&2
  fi
  exit 1
fi

ckpts=("$out"/run/checkpoints/step-*)
random_ckpt=${ckpts[0]}
final_ckpt=${ckpts[${#ckpts[@]}-1]}

# ONNX Runtime's device: the CPU library that setup.sh installs has no CUDA provider, so only ask
# for CUDA (with fallback) when training asked for it too.
embed_device=cpu
[ "$device" = cpu ] || embed_device=auto

features() { # name checkpoint
  scripts/probe-checkpoint.sh "$2" "$out/$1" "$embed_device"
}

step "2/4 pretrained encoder"
features pretrained "$final_ckpt"
step "3/4 random-init encoder (same network, step 0)"
features random "$random_ckpt"
step "4/4 raw-pixel baseline"
if [ ! -s "$out/pixels/report.json" ]; then
  go run ./bench/train/rawpixels -out "$out/pixels"
  $scl probe --train "$out/pixels/train" --test "$out/pixels/test" --report "$out/pixels/report.json" \
    --confusion "$out/pixels/confusion.png" -q
fi

step "results: Fashion-MNIST, probes fitted on train, scored on test"
$scl report --markdown "scl pretrained ($(basename "$final_ckpt"))=$out/pretrained/report.json" \
  "random-init encoder=$out/random/report.json" "raw pixels=$out/pixels/report.json" | tee "$out/results.md"

if [ "$pictures" = 0 ]; then exit 0; fi
step "pictures: what each encoder learned (test queries, nearest train images; t-SNE of the test set)"
for m in pretrained random; do
  $scl neighbors --features "$out/$m/train" --query-features "$out/$m/test" -n 8 -k 8 --seed 1 \
    --title "$m encoder: test queries and their 8 nearest train images" --out "$out/$m/neighbors.png"
  $scl plot embeddings --features "$out/$m/test" --method tsne --max-points 3000 --title "$m" \
    --out "$out/$m/map.png"
done
$scl plot join --out "$out/neighbors.png" "$out/pretrained/neighbors.png" "$out/random/neighbors.png"
$scl plot join --out "$out/maps.png" "$out/pretrained/map.png" "$out/random/map.png"
# The run page of `scl serve --runs $out/run` shows the newest neighbors*.png of the run folder.
cp "$out/pretrained/neighbors.png" "$out/run/neighbors.png"

echo
echo "outputs in $out: neighbors.png and maps.png (pretrained | random-init), run/curves.png (training curves), pretrained/confusion.png, pretrained/model.onnx, results.md"
