#!/usr/bin/python3
"""The numbers of docs/paper.md, from run folders (no PyTorch needed):

  /usr/bin/python3 bench/paper_claims.py text RUN...   # natural-text runs, after `sinklab analyze RUN`
                                                       # and `sinklab intervene RUN ...` on each
  /usr/bin/python3 bench/paper_claims.py grid DIR [--step N] [--median-of K]  # a cost-vs-width ablation folder

`text` reads each run's newest analyze/step_N.json and intervene/step_N.json and prints, as mean
[min-max] over the runs (seeds): the BOS-alignment quantiles per site (claim 1), the smoothing
decomposition (claim 2), the output norms on sink queries (claim 3), the head classes after the
sink-event condition (seed 004) and the interventions. `grid` reads the last analysis of every
run of the ablation (with --step N, its analysis at step N; with --median-of K, each cost is the
median of the run's last K analyses up to there, which a single loss spike cannot move) and prints, per condition (mask),
weight decay and width, the costs, the mechanism the head uses on the queries that need no
attention, its output norm there, their attention to the first position and to themselves and its
entropy (beside the uniform rows' levels), the validation losses, and how the attention and block
costs still moved over the run's second half (the exponent k of cost ~ step^k; 0 once converged);
then the log-log slope of each cost against d per condition and decay.
"""
import argparse
import glob
import json
import math
import os
from statistics import median

import yaml


def mean(x):
    return sum(x) / len(x)


def spread(values, digits=3):
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    f = f"{{:.{digits}f}}"
    if len(values) == 1:
        return f.format(values[0])
    return f"{f.format(mean(values))} [{f.format(min(values))}–{f.format(max(values))}]"


def newest(folder):
    files = sorted(glob.glob(os.path.join(folder, "step_*.json")))
    if not files:
        raise SystemExit(f"paper_claims: no {folder}/step_*.json (run the sinklab command that writes it first)")
    with open(files[-1]) as f:
        return json.load(f)


def flat(grid):
    return [v for row in grid for v in row]


def text(runs):
    analyses = [newest(os.path.join(r, "analyze")) for r in runs]
    print(f"runs: {', '.join(runs)} (step {analyses[0]['step']}); mean [min–max] over the runs\n")

    print("## Claim 1: cos(BOS, x_i) over the probe's tokens (quantiles min, 10%, 25%, median, 75%, 90%, max)\n")
    print("| site | " + " | ".join(["min", "10%", "25%", "median", "75%", "90%", "max"]) + " | runs whose 10% and 90% quantiles share a sign |")
    print("|---|" + "---:|" * 8)
    sites = len(analyses[0]["bos_alignment"])
    for s in range(sites):
        name = "embedding" if s == 0 else f"layer {s - 1} attention input"
        q = [[a["bos_alignment"][s][k] for a in analyses] for k in range(7)]
        one_signed = sum(1 for a in analyses if a["bos_alignment"][s][1] * a["bos_alignment"][s][5] > 0)
        print(f"| {name} | " + " | ".join(spread(v, 2) for v in q) + f" | {one_signed} of {len(analyses)} runs |")

    print("\n## Claim 2: the smoothing decomposition per head\n")
    print("| layer | avg-cos(X) | heads with avg-cos(X+WZAᵀ) > avg-cos(X+WZ) | Fig 8 difference (mean over heads) | heads with avg-cos(X+WZA_uᵀ) > avg-cos(X+WZAᵀ) | Fig 9 difference (mean over heads) |")
    print("|---|---:|---:|---:|---:|---:|")
    layers = len(analyses[0]["smoothing_dense"])
    for l in range(layers):
        dense = [a["smoothing_dense"][l] for a in analyses]
        uni = [a["smoothing_uniform"][l] for a in analyses]
        heads = sum(len(d) for d in dense)
        print(f"| {l} | {spread([a['attn_in_cosine'][l] for a in analyses])} | {sum(v > 0 for d in dense for v in d)} of {heads} "
              f"| {spread([mean(d) for d in dense])} | {sum(v > 0 for d in uni for v in d)} of {heads} | {spread([mean(d) for d in uni])} |")

    print("\n## Claim 2': the heads by the condition of the proof (β = 1: X is the attention input; B its covariance)\n")
    print("| condition (paper's colour) | heads | Fig 8 difference > 0 | Fig 9 difference > 0 | β tr(BW) | tr(BWᵀW) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, colour in (("dense-smooths", "red"), ("sparse-smooths", "blue"), ("neither", "gray")):
        rows = [(a["smoothing_dense"][l][h], a["smoothing_uniform"][l][h], a["smoothing_trace_bw"][l][h], a["smoothing_trace_bww"][l][h])
                for a in analyses for l in range(layers) for h in range(len(a["smoothing_condition"][l]))
                if a["smoothing_condition"][l][h] == name]
        if not rows:
            print(f"| {name} ({colour}) | 0 | — | — | — | — |")
            continue
        print(f"| {name} ({colour}) | {len(rows)} | {sum(r[0] > 0 for r in rows)} | {sum(r[1] > 0 for r in rows)} | "
              f"{spread([r[2] for r in rows], 2)} | {spread([r[3] for r in rows], 1)} |")
    # Uniform against diagonal, the two ends of the path: D(1) − D(0) ∝ −(2β tr(BW) + tr(BWᵀW)).
    ends = [(2 * a["smoothing_trace_bw"][l][h] + a["smoothing_trace_bww"][l][h] > 0, a["smoothing_dense"][l][h] > 0,
             abs(a["smoothing_trace_bw"][l][h]) / a["smoothing_trace_bww"][l][h])
            for a in analyses for l in range(layers) for h in range(len(a["smoothing_condition"][l]))]
    print(f"\nEnds of the path (uniform against the diagonal smooths more when 2β tr(BW) + tr(BWᵀW) > 0): predicted for "
          f"{sum(e[0] for e in ends)} of {len(ends)} heads; the Fig 8 difference has the predicted sign in "
          f"{sum(e[0] == e[1] for e in ends)} of {len(ends)}. |β tr(BW)| / tr(BWᵀW): largest {max(e[2] for e in ends):.3f}, "
          f"median {sorted(e[2] for e in ends)[len(ends) // 2]:.4f}.")

    print("\n## Claim 3: the head's output on its sink queries (A_i,first ≥ 0.5), over a typical value write\n")
    print("| heads | count | sink score | share of sink queries | ‖u‖ on sink queries | ‖u‖ on all queries | first value ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, test in (("sink heads (sink score > 0.3)", lambda s: s > 0.3), ("other heads", lambda s: s <= 0.3)):
        rows = [(a["sink_score"][l][h], a["sink_query_share"][l][h], a["head_out_norm_sink"][l][h], a["head_out_norm"][l][h],
                 a["first_value_ratio"][l][h]) for a in analyses for l in range(layers) for h in range(len(a["sink_score"][l]))
                if test(a["sink_score"][l][h])]
        if rows:
            print(f"| {name} | {len(rows)} | " + " | ".join(spread([r[k] for r in rows]) for k in range(5)) + " |")

    print("\n## Seed 004: head classes after the sink-event condition (most queries put ≥ 0.5 on one key)\n")
    for a, run in zip(analyses, runs):
        names = flat(a["head_class"])
        counts = {n: names.count(n) for n in ("nop", "broadcast", "neither", "no-sink")}
        print(f"- {os.path.basename(run)}: " + ", ".join(f"{n} {c}" for n, c in counts.items()) +
              f"; largest sink-event share {max(flat(a['sink_event_share'])):.2f}")

    interventions = [newest(os.path.join(r, "intervene")) for r in runs]
    print("\n## Interventions (each alone; Δ against the unedited model)\n")
    print("| intervention | Δ val loss | oversmoothing, last block (unedited → edited) | first-token mass |")
    print("|---|---:|---:|---:|")
    names = [row["intervention"] for row in interventions[0]["interventions"]]
    for k, name in enumerate(names):
        rows = [iv["interventions"][k] for iv in interventions]
        label = name if all(row["intervention"] == name for row in rows) else f"{name} (head differs by run)"
        print(f"| {label} | {spread([r['val_loss'] - iv['baseline']['val_loss'] for r, iv in zip(rows, interventions)], 4)} "
              f"| {spread([iv['baseline']['oversmoothing_out'][-1] for iv in interventions])} → "
              f"{spread([r['oversmoothing_out'][-1] for r in rows])} | {spread([r['first_mass'] for r in rows])} |")


def drift(history):
    """Whether the costs have stopped moving: the exponent k of cost ~ step^k fitted (least squares
    on log-log axes) to the analyses of the run's second half, for the attention and the block
    cost; 0 once converged. A rate per 1000 steps would not tell: a cost falling as a power law
    loses ever less per 1000 steps without ever settling. None with fewer than 3 analyses there."""
    end = history[-1]["step"]
    window = [r for r in history if r["step"] >= 0.5 * end and r["step"] > 0]
    if len(window) < 3:
        return None
    out = []
    for k in ("attn_cost", "block_cost"):
        xs = [math.log(r["step"]) for r in window]
        ys = [math.log(max(mean(r[k]), 1e-12)) for r in window]
        mx, my = mean(xs), mean(ys)
        out.append(sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs))
    return out


def grid(folder, step=None, median_of=1):
    points = {}
    for run in sorted(glob.glob(os.path.join(folder, "*", "analysis.jsonl"))):
        d = os.path.dirname(run)
        with open(os.path.join(d, "config.resolved.yaml")) as f:
            c = yaml.safe_load(f)
        at = c["train"]["steps"] if step is None else step
        with open(run) as f:
            history = [r for r in (json.loads(line) for line in f if line.strip()) if r["step"] <= at]
        if not history or history[-1]["step"] != at:
            continue  # still training, or no analysis at that step
        with open(os.path.join(d, "metrics.jsonl")) as f:
            evals = [m for m in (json.loads(line) for line in f if line.strip()) if "val_loss" in m and m["step"] <= at]
        key = (c["model"]["attention"]["mask"], c["optim"]["weight_decay"], c["model"]["d_model"])
        points.setdefault(key, []).append((history[-median_of:], evals[-1], drift(history)))
    if not points:
        raise SystemExit(f"paper_claims: no runs in {folder} with an analysis at " +
                         ("their last step" if step is None else f"step {step}"))
    costs = ["block_cost", "attn_cost", "norm_cost", "cost_qk", "cost_ov", "nuc_qk", "nuc_ov"]
    one = {
        "block_cost": lambda r: mean(r["block_cost"]), "attn_cost": lambda r: mean(r["attn_cost"]),
        "cost_qk": lambda r: mean(flat(r["cost_qk"])), "cost_ov": lambda r: mean(flat(r["cost_ov"])),
        "nuc_qk": lambda r: mean(flat(r["nuc_qk"])), "nuc_ov": lambda r: mean(flat(r["nuc_ov"])),
        "norm_cost": lambda r: mean(r["norm_cost"]) if "norm_cost" in r else None,  # recorded since 2026-12-07
    }

    def of(f, window):
        values = [f(r) for r in window]
        return None if None in values else median(values)
    value = {k: (lambda window, f=f: of(f, window)) for k, f in one.items()}
    print(f"{folder}: " + ("final analysis of each finished run" if step is None else f"analysis at step {step}") +
          ("" if median_of == 1 else f", costs the median of each run's last {median_of} analyses") +
          "; mean [min–max] over seeds\n")
    print("| mask | weight decay | d | runs | mechanism (no-attention queries) | ‖u‖ there | attention there: first / self / "
          "entropy (uniform) | val loss needs / no attention | " + " | ".join(costs) +
          " | k of cost ~ step^k, second half: attn / block |")
    print("|---|---:|---:|---:|---|---:|---|---:|" + "---:|" * len(costs) + "---|")
    for (mask, wd, d), runs in sorted(points.items()):
        mech = [flat(w[-1]["mechanism"])[0] for w, _, _ in runs]
        free = [w[-1]["by_class"]["no_attention"] for w, _, _ in runs]
        out = [mean(flat(c["out_norm"])) for c in free]
        # Uniform rows over the probe's queries after the first, as src/analysis/chance.cpp counts the
        # keys a query sees (one fewer from the second query on under no_first / no_self).
        n, first = runs[0][0][-1]["probe_positions"], runs[0][0][-1]["first_position"]
        keys = [i + 1 - (mask != "causal") for i in range(first + 1, n)]
        u_first = 0 if mask == "no_first" else mean([1 / k for k in keys])
        u_self = 0 if mask == "no_self" else mean([1 / k for k in keys])
        u_entropy = mean([math.log(k) for k in keys])
        there = " / ".join(spread([mean(flat(c[k])) for c in free], 2) for k in ("sink_score", "diag_score", "entropy"))
        there += f" (uniform {u_first:.2f} / {u_self:.2f} / {u_entropy:.2f})"
        losses = f"{max(e['val_loss_needs_attn'] for _, e, _ in runs):.1e} / {max(e['val_loss_no_attn'] for _, e, _ in runs):.1e}"
        cells = [spread([value[k](r) for r, _, _ in runs], 2) for k in costs]
        drifts = [dr for _, _, dr in runs if dr is not None]
        cells.append(" / ".join(spread([dr[i] for dr in drifts], 2) for i in range(2)) if drifts else "—")
        print(f"| {mask} | {wd} | {d} | {len(runs)} | {', '.join(sorted(set(mech)))} ({len(mech)}) | {spread(out, 2)} | {there} | {losses} | " + " | ".join(cells) + " |")
    print("\nLog-log slope of the mean cost against d (least squares over the widths present):\n")
    print("| mask | weight decay | widths | " + " | ".join(costs) + " |")
    print("|---|---:|---|" + "---:|" * len(costs))
    for mask, wd in sorted({(m, w) for m, w, _ in points}):
        ds = sorted(d for m, w, d in points if (m, w) == (mask, wd))
        if len(ds) < 2:
            continue
        cells = []
        for k in costs:
            per_d = [[value[k](r) for r, _, _ in points[(mask, wd, d)]] for d in ds]
            if any(v is None for vs in per_d for v in vs):
                cells.append("—")
                continue
            xs = [math.log(d) for d in ds]
            ys = [math.log(mean(vs)) for vs in per_d]
            mx, my = mean(xs), mean(ys)
            cells.append(f"{sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs):+.2f}")
        print(f"| {mask} | {wd} | {', '.join(map(str, ds))} | " + " | ".join(cells) + " |")


def positive(text):
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return n


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p_text = commands.add_parser("text", help="natural-text runs")
    p_text.add_argument("runs", nargs="+")
    p_grid = commands.add_parser("grid", help="a cost-vs-width ablation folder")
    p_grid.add_argument("folder")
    p_grid.add_argument("--step", type=int, help="the analysis at this step (default: each run's last step)")
    p_grid.add_argument("--median-of", type=positive, default=1, metavar="K",
                        help="each cost as the median of the run's last K analyses (default 1)")
    args = parser.parse_args()
    if args.command == "text":
        text(args.runs)
    else:
        grid(args.folder, args.step, args.median_of)
