#!/usr/bin/env bash
# Representation quality against the pretraining budget on Fashion-MNIST (issue 13, SPEC §7):
# for each recipe and each budget, the demo's whole workflow (scripts/demo.sh: pretrain on the
# CPU, export, embed, probe; the linear probe and kNN fitted on the 60,000 training images,
# scored once on the 10,000 test images), then one table and one picture of linear and kNN
# top-1 against minutes of pretraining, with the raw-pixel and random-init baselines.
#
#   scripts/quality.sh [OUT_DIR]                        # default out/quality, budgets 5 10 20 30 60
#   BUDGETS="10" RECIPES=scl scripts/quality.sh         # the demo's point only
#   BUDGET=60m scripts/quality.sh                       # one budget (the issue's 60-minute run)
#
# Knobs: BUDGETS (minutes, "5 10 20 30 60"; BUDGET=Nm is one budget), RECIPES ("scl reference":
# scripts/demo.sh --recipe), SEED (42). Each run keeps its folder (OUT_DIR/RECIPE-Nm) and is
# skipped when its results exist, so an interrupted curve resumes. Writes OUT_DIR/quality.tsv
# and OUT_DIR/quality.png (scl plot quality).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-out/quality}
budgets=${BUDGETS:-5 10 20 30 60}
if [ -n "${BUDGET:-}" ]; then budgets=${BUDGET%m}; fi
recipes=${RECIPES:-scl reference}
seed=${SEED:-42}
mkdir -p "$out"

labels=()
for recipe in $recipes; do
  for m in $budgets; do
    case $m in ''|*[!0-9]*) echo "quality: budget \"$m\": want whole minutes (e.g. BUDGETS=\"5 10 20\")" >&2; exit 2 ;; esac
    dir=$out/$recipe-${m}m
    if [ ! -s "$dir/pretrained/report.json" ]; then
      scripts/demo.sh --out "$dir" --recipe "$recipe" --budget "${m}m" --seed "$seed" --no-pictures
    fi
    labels+=("$recipe@$m=$dir/pretrained/report.json")
  done
  # The random-init baseline of this recipe's network (its step-0 checkpoint), once.
  labels+=("$recipe random init=$dir/random/report.json")
done
labels+=("raw pixels=$dir/pixels/report.json")
scl=$root/bin/scl
$scl report --tsv "${labels[@]}" > "$out/quality.tsv.tmp" && mv "$out/quality.tsv.tmp" "$out/quality.tsv"
$scl plot quality --title "Fashion-MNIST, 2-core CPU" --out "$out/quality.png" "$out/quality.tsv"
cat "$out/quality.tsv"
echo "table $out/quality.tsv, picture $out/quality.png"
