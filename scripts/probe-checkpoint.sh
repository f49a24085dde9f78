#!/usr/bin/env bash
# Scores one checkpoint's target encoder on Fashion-MNIST with the SPEC §7 protocol, through the
# product's own stages: export to ONNX (verified against libtorch), features of the 60,000
# training and 10,000 test images with ONNX Runtime, then the linear probe and kNN fitted on
# train and scored on test.
#
#   scripts/probe-checkpoint.sh CHECKPOINT_DIR OUT_DIR [EMBED_DEVICE]
#
# Writes OUT_DIR/model.onnx, OUT_DIR/train/ and OUT_DIR/test/ (features), OUT_DIR/report.json
# and OUT_DIR/confusion.png. EMBED_DEVICE is scl embed's --device (cpu by default). Expects
# bin/scl built and SCL_ORT_LIB set (scripts/demo.sh and scripts/quality.sh do both).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: scripts/probe-checkpoint.sh CHECKPOINT_DIR OUT_DIR [EMBED_DEVICE]" >&2
  exit 2
fi
ckpt=$1 dir=$2 device=${3:-cpu}
root=$(cd "$(dirname "$0")/.." && pwd)
scl=$root/bin/scl
if [ ! -d "$ckpt" ]; then
  echo "probe-checkpoint: checkpoint $ckpt: not a directory" >&2
  exit 2
fi
step() { printf '\n== %s\n' "$*"; }
name=$(basename "$dir")

step "export $name ($(basename "$ckpt")) to ONNX, verified against libtorch"
mkdir -p "$dir"
$scl export --checkpoint "$ckpt" --out "$dir/model.onnx" --verify
for split in train test; do
  step "embed Fashion-MNIST $split with ONNX Runtime ($name)"
  $scl embed --model "$dir/model.onnx" --dataset fashion_mnist --split "$split" \
    --out "$dir/$split" --device "$device" --batch-size 256
done
step "probe $name: logistic regression and kNN, train 60,000 → test 10,000"
$scl probe --train "$dir/train" --test "$dir/test" --report "$dir/report.json" \
  --confusion "$dir/confusion.png" -q
