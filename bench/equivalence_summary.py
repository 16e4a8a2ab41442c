#!/usr/bin/python3
"""Where sinklab's and PyTorch's curves agree: for each statistic, over the analyses of the
runs in FOLDER (sinklab-s<seed>, torch-s<seed>, as bench/equivalence.sh writes them), how often
each side's mean over seeds lies inside the other side's min-max band over seeds, and the final
values of both (mean and [min, max]). fp32 trajectories part after a while; the statistics must
not: a side that leaves the other's band for most of training is a systematic difference.

  /usr/bin/python3 bench/equivalence_summary.py runs/equivalence-NAME
"""
import glob
import json
import os
import statistics
import sys


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def mean(x):
    return sum(x) / len(x)


STATS = {
    "strict sink rate": lambda r: r["sink_rate"][r["eps"].index(max(r["eps"]))],
    "first-token mass": lambda r: mean([v for row in r["first_mass"] for v in row]),
    "max head sink score": lambda r: r["sink_score_max"],
    "median head sink score": lambda r: r["sink_score_median"],
    "diagonal score": lambda r: mean([v for row in r["diag_score"] for v in row]),
}


def main():
    folder = sys.argv[1]
    sides = {}
    for side in ("sinklab", "torch"):
        runs = sorted(glob.glob(os.path.join(folder, f"{side}-s*")))
        runs = [r for r in runs if os.path.exists(os.path.join(r, "analysis.jsonl"))]
        if not runs:
            sys.exit(f"equivalence_summary: no {side}-s<seed> runs with analysis in {folder}")
        sides[side] = runs
    layers = len(records(os.path.join(sides["sinklab"][0], "analysis.jsonl"))[0]["sink_rate_layer"][0])
    stats = dict(STATS)
    for l in range(layers):
        stats[f"strict sink rate, layer {l}"] = lambda r, l=l: r["sink_rate_layer"][r["eps"].index(max(r["eps"]))][l]

    # per side: {step: [value per seed]}
    def curves(side, f):
        out = {}
        for run in sides[side]:
            for r in records(os.path.join(run, "analysis.jsonl")):
                out.setdefault(r["step"], []).append(f(r))
        return {s: v for s, v in out.items() if len(v) == len(sides[side])}

    def val_curves(side):
        out = {}
        for run in sides[side]:
            for m in records(os.path.join(run, "metrics.jsonl")):
                if "val_loss" in m:
                    out.setdefault(m["step"], []).append(m["val_loss"])
        return {s: v for s, v in out.items() if len(v) == len(sides[side])}

    print(f"# sinklab vs PyTorch: {folder}\n")
    print(f"{len(sides['sinklab'])} sinklab seeds, {len(sides['torch'])} PyTorch seeds. *in band*: share of the analyses at "
          "which one side's mean over seeds lies within the other side's [min, max] over seeds. *final*: mean [min, max].\n")
    print("| statistic | sinklab mean in PyTorch band | PyTorch mean in sinklab band | final sinklab | final PyTorch |")
    print("|---|---:|---:|---:|---:|")
    rows = [(name, curves("sinklab", f), curves("torch", f)) for name, f in stats.items()]
    rows.append(("validation loss", val_curves("sinklab"), val_curves("torch")))
    for name, a, b in rows:
        steps = sorted(set(a) & set(b))
        if not steps:
            continue
        inside = lambda x, y, s: min(y[s]) - 1e-12 <= mean(x[s]) <= max(y[s]) + 1e-12
        a_in = mean([inside(a, b, s) for s in steps])
        b_in = mean([inside(b, a, s) for s in steps])
        last = steps[-1]
        fmt = lambda v: f"{mean(v):.4f} [{min(v):.4f}, {max(v):.4f}]"
        print(f"| {name} | {a_in:.0%} of {len(steps)} | {b_in:.0%} | {fmt(a[last])} | {fmt(b[last])} |")
    ms = {side: statistics.median([m["step_ms"] for run in runs for m in records(os.path.join(run, "metrics.jsonl"))])
          for side, runs in sides.items()}
    print(f"\nMedian step time: sinklab {ms['sinklab']:.1f} ms, PyTorch {ms['torch']:.1f} ms.")


if __name__ == "__main__":
    main()
