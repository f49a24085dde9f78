#!/usr/bin/env bash
# Representation quality on Fashion-MNIST within a bounded CPU budget (issue 7, SPEC §7): the
# demo's workflow (scripts/demo.sh) with the quality run's defaults — pretrain a ResNet-18 (CIFAR
# stem, width $WIDTH) for $BUDGET, then linear-probe the pretrained target encoder, the same
# network at its random initialisation, and the raw pixels (train 60,000 → test 10,000).
#
#   scripts/quality.sh [OUT_DIR]                 # default out/quality, 15 minutes
#   BUDGET=30m WIDTH=32 scripts/quality.sh
#
# Knobs: BUDGET (15m), WIDTH (16), BATCH (64), LR (1e-3), SEED (42). The table is printed and
# kept in OUT_DIR/results.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec "$root/scripts/demo.sh" --out "${1:-out/quality}" --budget "${BUDGET:-15m}" --width "${WIDTH:-16}" \
  --batch "${BATCH:-64}" --lr "${LR:-1e-3}" --seed "${SEED:-42}" --device cpu
