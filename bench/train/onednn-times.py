"""Sums oneDNN's own per-primitive times from an `ONEDNN_VERBOSE=1` log of `scl train`.

    ONEDNN_VERBOSE=1 scl train --width 64 --batch-size 64 --precision fp32 --max-steps 12 \\
        --out /tmp/run > verbose.log 2>&1
    /usr/bin/python3 bench/train/onednn-times.py verbose.log --skip 5 --top 30

libtorch 1.13 runs every CPU convolution on the system's oneDNN, which prints one line per
executed primitive (kernel, propagation kind, problem, milliseconds). Steps are counted by the
stem's forward convolution (3 input channels, 28×28 maps), four per step: two online and two
target global views. Prints oneDNN's milliseconds per step over the steps after the first
--skip, by kind (forward, backward-data, backward-weights, reorder), then the largest items.
"""
import argparse
import collections

CALLS_PER_STEP = 4


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--skip", type=int, default=5, help="untimed steps at the start")
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    totals = collections.defaultdict(lambda: [0, 0.0])
    stems = 0
    with open(args.log) as f:
        for line in f:
            if not line.startswith("onednn_verbose,exec"):
                continue
            fields = line.strip().split(",")
            primitive, impl, prop, problem = fields[3], fields[4], fields[5], fields[-2]
            try:
                ms = float(fields[-1])
            except ValueError:
                continue  # the template line
            if primitive == "convolution" and prop == "forward_training" and "ic3oc" in problem and "ih28" in problem:
                stems += 1
            if stems <= args.skip * CALLS_PER_STEP:
                continue
            if primitive == "reorder":
                src, dst = fields[6].split()[0], fields[6].split()[1]
                key = ("reorder", src.split(":")[-2] + ">" + dst.split(":")[-2], problem)
            else:
                key = (impl, prop, problem.split("_iw")[0])
            totals[key][0] += 1
            totals[key][1] += ms
    steps = (stems - args.skip * CALLS_PER_STEP) / CALLS_PER_STEP
    if steps <= 0:
        raise SystemExit(f"onednn-times: {args.log}: {stems // CALLS_PER_STEP} steps found, --skip {args.skip}")
    by_kind = collections.defaultdict(float)
    for key, (_, ms) in totals.items():
        by_kind["reorder" if key[0] == "reorder" else key[1]] += ms / steps
    print(f"{args.log}: {steps:g} steps counted, oneDNN {sum(by_kind.values()):.1f} ms per step")
    print("  " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(by_kind.items())))
    for key, (calls, ms) in sorted(totals.items(), key=lambda kv: -kv[1][1])[:args.top]:
        print(f"{ms / steps:8.1f} ms/step {calls / steps:5.1f} calls {ms / calls:7.2f} ms/call  {' '.join(key)}")


if __name__ == "__main__":
    main()
