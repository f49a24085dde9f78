#!/usr/bin/env bash
# Representation quality against the pretraining budget on Fashion-MNIST (issue 13, SPEC §7):
# for each recipe, one pretraining run of the demo (scripts/demo.sh) for the largest budget that
# also checkpoints at each smaller budget (scl train --checkpoint-at), then each of those states
# scored like the demo's (scripts/probe-checkpoint.sh: export, embed, linear probe and kNN fitted
# on the 60,000 training images, scored once on the 10,000 test images), then one table and one
# picture of linear and kNN top-1 against minutes of pretraining, with the raw-pixel and
# random-init baselines.
#
#   scripts/quality.sh [OUT_DIR]                        # default out/quality, budgets 5 10 20 30 60
#   BUDGETS="10" RECIPES=scl scripts/quality.sh         # the demo's point only
#   BUDGET=60m scripts/quality.sh                       # one budget (the issue's 60-minute run)
#
# Why one run per recipe is the same as one run per budget: no schedule of either recipe depends
# on the budget (a constant learning rate; the β cosine spans --epochs 100, far beyond an hour),
# so the state a 60-minute run reaches at 10 minutes is the state a 10-minute run ends with, up to
# the machine's speed. The budgets are training time, measured as --max-time measures it (the
# training loop's wall-clock time, the kNN monitor and checkpoints not counted); run the script
# on an otherwise idle machine.
#
# DECAY=F ends the longest budget's run with a linear learning-rate decay to 0 over its last
# fraction F (scripts/demo.sh --lr-decay): the shorter budgets' checkpoints, taken before the
# decay starts, are still the constant-rate recipe's states, and the longest point is the recipe
# with the decay a budget that long should have; a shorter budget inside the decay is refused.
#
# Knobs: BUDGETS (minutes, "5 10 20 30 60"; BUDGET=Nm is one budget), RECIPES ("scl reference":
# scripts/demo.sh --recipe), SEED (42), DECAY (none). Each recipe keeps its folder (OUT_DIR/RECIPE) and
# finished parts are skipped, so an interrupted curve resumes; an interrupted pretraining
# resumes too, but then times count from the restart, so rerun it from scratch
# (rm -r OUT_DIR/RECIPE) for a clean curve. Writes OUT_DIR/quality.tsv and OUT_DIR/quality.png
# (scl plot quality).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-out/quality}
budgets=${BUDGETS:-5 10 20 30 60}
if [ -n "${BUDGET:-}" ]; then budgets=${BUDGET%m}; fi
recipes=${RECIPES:-scl reference}
seed=${SEED:-42}
mkdir -p "$out"

longest=0
for m in $budgets; do
  case $m in ''|*[!0-9]*|0) echo "quality: budget \"$m\": want whole minutes ≥ 1 (e.g. BUDGETS=\"5 10 20\")" >&2; exit 2 ;; esac
  if [ "$m" -gt "$longest" ]; then longest=$m; fi
done
shorter=$(for m in $budgets; do if [ "$m" -lt "$longest" ]; then echo "$m"; fi; done | sort -n -u)
decay=()
if [ -n "${DECAY:-}" ]; then
  for m in $shorter; do
    if ! awk -v m="$m" -v l="$longest" -v f="$DECAY" 'BEGIN { exit !(f > 0 && f <= 1 && m <= (1 - f) * l) }'; then
      echo "quality: DECAY=$DECAY: want a fraction in (0, 1] whose decay starts after the ${m}-minute point of a ${longest}-minute run" >&2
      exit 2
    fi
  done
  decay=(--lr-decay "$DECAY")
fi
at_list=$(for m in $shorter; do printf '%sm,' "$m"; done)
at_list=${at_list%,}

# checkpoint_at DIR MINUTES: the checkpoint the run in DIR wrote at that time of its run.
checkpoint_at() {
  local name
  name=$(grep '"kind":"checkpoint"' "$1/run/metrics.jsonl" | grep "\"at_s\":$(($2 * 60))[,}]" | tail -n 1 |
    sed -n 's/.*"checkpoint":"\([^"]*\)".*/\1/p')
  if [ -z "$name" ]; then
    echo "quality: $1/run/metrics.jsonl names no checkpoint at ${2}m (was the run shorter, or resumed?)" >&2
    return 1
  fi
  echo "$1/run/checkpoints/$name"
}

labels=()
for recipe in $recipes; do
  dir=$out/$recipe
  if [ ! -s "$dir/pretrained/report.json" ]; then
    at=()
    if [ -n "$at_list" ]; then at=(--checkpoint-at "$at_list"); fi
    scripts/demo.sh --out "$dir" --recipe "$recipe" --budget "${longest}m" --seed "$seed" --no-pictures "${at[@]}" "${decay[@]}"
  fi
  export SCL_ORT_LIB=${SCL_ORT_LIB:-$root/.deps/lib/libonnxruntime.so.1}
  for m in $shorter; do
    if [ ! -s "$dir/at-${m}m/report.json" ]; then
      ckpt=$(checkpoint_at "$dir" "$m")
      scripts/probe-checkpoint.sh "$ckpt" "$dir/at-${m}m"
    fi
    labels+=("$recipe@$m=$dir/at-${m}m/report.json")
  done
  labels+=("$recipe@$longest=$dir/pretrained/report.json")
  # The random-init baseline of this recipe's network (its step-0 checkpoint).
  labels+=("$recipe random init=$dir/random/report.json")
done
labels+=("raw pixels=$dir/pixels/report.json")
scl=$root/bin/scl
$scl report --tsv "${labels[@]}" > "$out/quality.tsv.tmp" && mv "$out/quality.tsv.tmp" "$out/quality.tsv"
$scl plot quality --title "Fashion-MNIST, 2-core CPU" --out "$out/quality.png" "$out/quality.tsv"
cat "$out/quality.tsv"
echo "table $out/quality.tsv, picture $out/quality.png"
