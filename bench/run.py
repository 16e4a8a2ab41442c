#!/usr/bin/python3
"""Training-throughput benchmark: sinklab against PyTorch eager on the same CPU, interleaved.

  /usr/bin/python3 bench/run.py [--rounds 3] [--steps 30] [--configs tiny small]
  /usr/bin/python3 bench/run.py --contexts 128x16 1024x2 2048x1 4096x1 8192x1 [--baseline OLD_BINARY]

Needs a release build (scripts/build.sh release) and Debian's python3-torch + libopenblas0-openmp.
For each config it alternates sinklab (`sinklab train bench/<config>.yaml`, ms/step from
metrics.jsonl) and bench/torch_reference.py, A B A B ..., and reports medians over rounds, the
spread, the ratio sinklab/PyTorch in tokens/s, peak RSS, and model FLOPs utilisation against the
fp32 GEMM ceiling (dnnl_sgemm, 2 threads) measured at the start of the same run.
Model FLOPs per step = B*T*(6*N_nonemb + 6*d*V + 6*L*T*d): attention's products counted causally
(half the T x T scores), once each way (no recomputation).

PyTorch runs without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE; the BLAS it loaded is printed, and the
run stops if that is the reference (netlib) BLAS. "PyTorch at the GEMM ceiling" is what PyTorch
would take with a perfect BLAS: its measured ms/step minus the self time of its matrix products
(profiled separately, bench/torch_reference.py --profile) plus their FLOPs at the ceiling.

--contexts times tiny's model (bench/tiny.yaml) at each context x batch, sinklab only, against
--baseline (another sinklab binary, e.g. an older build) interleaved when given, and PyTorch up to
--torch-max-context. Results: runs/bench-<time>/results.json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SINKLAB = os.path.join(ROOT, "build/release/sinklab")
GEMM_BENCH = os.path.join(ROOT, "build/release/bench/sinklab_bench_engine")
sys.path.insert(0, os.path.join(ROOT, "bench"))
from torch_reference import load  # noqa: E402  (the same config reader)

# Debian's netlib libblas.so.3: PyTorch through it is no yardstick.
REFERENCE_BLAS = "/usr/lib/x86_64-linux-gnu/blas/"
TORCH_ENV = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}


def timed(cmd, env=None):
    """Runs cmd under GNU time; returns (stdout, peak RSS in MB)."""
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p.stdout, int(p.stderr.strip().splitlines()[-1]) / 1024


def model_flops(c):
    m, d = c["model"], c["data"]
    L, C, ff, V, T, B = m["n_layer"], m["d_model"], m["d_ff"], d["vocab_size"], d["context"], c["train"]["batch_size"]
    kv = C // m["n_head"] * (m.get("n_kv_head") or m["n_head"])  # wk, wv outputs (grouped-query attention)
    # attention, MLP, two LayerNorms (biases on)
    per_layer = 2 * C * C + 2 * C * kv + 2 * C + 2 * kv + 2 * C * ff + ff + C + 4 * C
    n_nonemb = L * per_layer + 2 * C
    return B * T * (6 * n_nonemb + 6 * C * V + 6 * L * T * C), B * T


def gemm_ceiling():
    out = subprocess.run([GEMM_BENCH, "--benchmark_filter=BM_dnnl_sgemm", "--benchmark_repetitions=3",
                          "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                         capture_output=True, text=True, check=True).stdout
    runs = json.loads(out)["benchmarks"]
    return max(b["GFLOP/s"] for b in runs if b.get("aggregate_name") == "median")


def sinklab_once(binary, config, steps, tmp):
    name = f"r{time.time_ns()}"
    env = dict(os.environ, SINKLAB_DATA_DIR=os.path.join(tmp, "data"))
    _, rss = timed([binary, "train", config, "--runs-dir", os.path.join(tmp, "runs"), "--name", name,
                    "--set", f"train.steps={steps + 5}"], env)
    with open(os.path.join(tmp, "runs", name, "metrics.jsonl")) as f:
        ms = [json.loads(line)["step_ms"] for line in f][5:]
    return statistics.median(ms), rss


def torch_once(config, steps):
    out, rss = timed(["/usr/bin/python3", os.path.join(ROOT, "bench/torch_reference.py"), config, "--steps", str(steps)], TORCH_ENV)
    r = json.loads(out.strip().splitlines()[-1])
    if not r["blas"] or any(p.startswith(REFERENCE_BLAS) for p in r["blas"]):
        sys.exit(f"PyTorch ran on the reference BLAS ({', '.join(r['blas']) or 'none found'}): install libopenblas0-openmp "
                 "(update-alternatives --config libblas.so.3-x86_64-linux-gnu) for a fair yardstick")
    return r, rss


def summary(ms, rss, flops, tokens, ceiling):
    med = statistics.median(ms)
    return {"ms_per_step": med, "spread_ms": [min(ms), max(ms)], "tokens_per_s": tokens / (med / 1000),
            "mfu": flops / (med / 1000) / (ceiling * 1e9), "peak_rss_mb": max(rss)}


def fmt(name, r):
    return (f"{name} {r['ms_per_step']:.1f} ms/step [{r['spread_ms'][0]:.1f}-{r['spread_ms'][1]:.1f}] "
            f"(MFU {100 * r['mfu']:.1f}%, {r['peak_rss_mb']:.0f} MB)")


def write_config(path, tmp, context, batch):
    """bench/tiny.yaml at another context x batch, as a config file in tmp."""
    import yaml
    c = load(path)
    c["data"]["context"], c["train"]["batch_size"] = context, batch
    out = os.path.join(tmp, f"tiny-T{context}-B{batch}.yaml")
    with open(out, "w") as f:
        yaml.safe_dump(c, f)
    return out


def compare(a, ceiling, tmp, label, config, torch_too):
    """One row: sinklab (and --baseline) and PyTorch interleaved over rounds."""
    flops, tokens = model_flops(load(config))
    impls = {"sinklab": [], "baseline": [], "pytorch": []}
    rss = {k: [] for k in impls}
    profile = []
    for r in range(a.rounds):
        ms, m = sinklab_once(SINKLAB, config, a.steps, tmp)
        impls["sinklab"].append(ms), rss["sinklab"].append(m)
        if a.baseline:
            ms, m = sinklab_once(a.baseline, config, a.steps, tmp)
            impls["baseline"].append(ms), rss["baseline"].append(m)
        if torch_too:
            t, m = torch_once(config, a.steps)
            impls["pytorch"].append(t["ms_per_step"]), rss["pytorch"].append(m)
            profile.append(t)
        print(f"  {label} round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f} ms/step" for k, v in impls.items() if v), flush=True)
    row = {k: summary(v, rss[k], flops, tokens, ceiling) for k, v in impls.items() if v}
    row["model_gflop_per_step"] = flops / 1e9
    line = f"{label}: " + fmt("sinklab", row["sinklab"])
    if "baseline" in row:
        row["baseline_speedup"] = row["baseline"]["ms_per_step"] / row["sinklab"]["ms_per_step"]
        line += f" | baseline {row['baseline']['ms_per_step']:.1f} ({row['baseline']['peak_rss_mb']:.0f} MB), " \
                f"{row['baseline_speedup']:.2f}x faster now"
    if "pytorch" in row:
        gemm_ms = statistics.median(p["gemm_ms_per_step"] for p in profile)
        gemm_gflop = statistics.median(p["gemm_gflop_per_step"] for p in profile)
        ideal = row["pytorch"]["ms_per_step"] - gemm_ms + gemm_gflop / ceiling * 1000
        row["pytorch"].update({"blas": profile[0]["blas"], "gemm_ms_per_step": gemm_ms, "gemm_gflop_per_step": gemm_gflop})
        row["pytorch_at_gemm_ceiling_ms"] = ideal
        row["speedup"] = row["pytorch"]["ms_per_step"] / row["sinklab"]["ms_per_step"]
        row["speedup_vs_ceiling"] = ideal / row["sinklab"]["ms_per_step"]
        row["rss_ratio"] = row["sinklab"]["peak_rss_mb"] / row["pytorch"]["peak_rss_mb"]
        line += (f" | {fmt('pytorch', row['pytorch'])}, of which GEMM {gemm_ms:.1f} ms for {gemm_gflop:.1f} GFLOP"
                 f" | pytorch at the GEMM ceiling {ideal:.1f} ms | sinklab {row['speedup']:.2f}x pytorch, "
                 f"{row['speedup_vs_ceiling']:.2f}x pytorch at the ceiling, RSS {row['rss_ratio']:.2f}x")
    print(line, flush=True)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--configs", nargs="+", default=["tiny", "small"], help="names of bench/<name>.yaml")
    ap.add_argument("--contexts", nargs="+", metavar="TxB", help="tiny's model at these context x batch sizes instead")
    ap.add_argument("--baseline", help="another sinklab binary to time interleaved (before/after)")
    ap.add_argument("--torch-max-context", type=int, default=2048, help="with --contexts: PyTorch up to this context")
    a = ap.parse_args()
    if a.baseline and not os.access(a.baseline, os.X_OK):
        sys.exit(f"--baseline {a.baseline}: not an executable")
    for name in a.configs:
        if not os.path.isfile(os.path.join(ROOT, "bench", name + ".yaml")):
            sys.exit(f"--configs {name}: no bench/{name}.yaml (give names, e.g. --configs tiny small)")
    shapes = []
    for s in a.contexts or []:
        try:
            t, b = (int(x) for x in s.lower().split("x"))
        except ValueError:
            sys.exit(f"--contexts {s}: expected CONTEXTxBATCH, e.g. 4096x1")
        if t < 1 or b < 1:
            sys.exit(f"--contexts {s}: context and batch must be positive")
        shapes.append((t, b))
    ceiling = gemm_ceiling()  # GFLOP/s
    print(f"fp32 GEMM ceiling (dnnl_sgemm, 2 threads, M=2048 K=384 N=1536): {ceiling:.1f} GFLOP/s", flush=True)
    results = {"gemm_ceiling_gflops": ceiling, "configs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        if shapes:
            tiny = os.path.join(ROOT, "bench", "tiny.yaml")
            for t, b in shapes:
                label = f"tiny T{t} x B{b}"
                results["configs"][label] = compare(a, ceiling, tmp, label, write_config(tiny, tmp, t, b), t <= a.torch_max_context)
        else:
            for name in a.configs:
                results["configs"][name] = compare(a, ceiling, tmp, name, os.path.join(ROOT, "bench", name + ".yaml"), True)
    out = os.path.join(ROOT, "runs", time.strftime("bench-%Y%m%d-%H%M%S"))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(f"results: {out}/results.json")


if __name__ == "__main__":
    main()
