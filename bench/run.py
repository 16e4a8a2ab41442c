#!/usr/bin/python3
"""Training-throughput benchmark: sinklab against PyTorch eager on the same CPU, interleaved.

  /usr/bin/python3 bench/run.py [--rounds 3] [--steps 30] [--configs tiny small]

Needs a release build (scripts/build.sh release) and Debian's python3-torch + libopenblas0-openmp.
For each config it alternates sinklab (`sinklab train bench/<config>.yaml`, ms/step from
metrics.jsonl) and bench/torch_reference.py, A B A B ..., and reports medians over rounds, the
spread, the ratio sinklab/PyTorch in tokens/s, peak RSS, and model FLOPs utilisation against the
fp32 GEMM ceiling (dnnl_sgemm, 2 threads) measured at the start of the same run.
Model FLOPs per step = B*T*(6*N_nonemb + 6*d*V + 6*L*T*d). Results: runs/bench-<time>/results.json.
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


def timed(cmd, env=None):
    """Runs cmd under GNU time; returns (stdout, peak RSS in MB)."""
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p.stdout, int(p.stderr.strip().splitlines()[-1]) / 1024


def model_flops(c):
    m, d = c["model"], c["data"]
    L, C, ff, V, T, B = m["n_layer"], m["d_model"], m["d_ff"], d["vocab_size"], d["context"], c["train"]["batch_size"]
    per_layer = 4 * C * C + 4 * C + 2 * C * ff + ff + C + 4 * C  # attention, MLP, two LayerNorms (biases on)
    n_nonemb = L * per_layer + 2 * C
    return B * T * (6 * n_nonemb + 6 * C * V + 6 * L * T * C), B * T


def gemm_ceiling():
    out = subprocess.run([GEMM_BENCH, "--benchmark_filter=BM_dnnl_sgemm", "--benchmark_repetitions=3",
                          "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                         capture_output=True, text=True, check=True).stdout
    runs = json.loads(out)["benchmarks"]
    return max(b["GFLOP/s"] for b in runs if b.get("aggregate_name") == "median")


def sinklab_once(config, steps, tmp):
    name = f"r{time.time_ns()}"
    env = dict(os.environ, SINKLAB_DATA_DIR=os.path.join(tmp, "data"))
    _, rss = timed([SINKLAB, "train", config, "--runs-dir", os.path.join(tmp, "runs"), "--name", name,
                    "--set", f"train.steps={steps + 5}"], env)
    with open(os.path.join(tmp, "runs", name, "metrics.jsonl")) as f:
        ms = [json.loads(line)["step_ms"] for line in f][5:]
    return statistics.median(ms), rss


def torch_once(config, steps):
    out, rss = timed(["/usr/bin/python3", os.path.join(ROOT, "bench/torch_reference.py"), config, "--steps", str(steps)])
    return json.loads(out.strip().splitlines()[-1])["ms_per_step"], rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--configs", nargs="+", default=["tiny", "small"])
    a = ap.parse_args()
    ceiling = gemm_ceiling()  # GFLOP/s
    print(f"fp32 GEMM ceiling (dnnl_sgemm, 2 threads, M=2048 K=384 N=1536): {ceiling:.1f} GFLOP/s")
    results = {"gemm_ceiling_gflops": ceiling, "configs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.configs:
            path = os.path.join(ROOT, "bench", name + ".yaml")
            flops, tokens = model_flops(load(path))
            s_ms, t_ms, s_rss, t_rss = [], [], [], []
            for r in range(a.rounds):
                ms, rss = sinklab_once(path, a.steps, tmp)
                s_ms.append(ms), s_rss.append(rss)
                ms, rss = torch_once(path, a.steps)
                t_ms.append(ms), t_rss.append(rss)
                print(f"  {name} round {r + 1}: sinklab {s_ms[-1]:.1f} ms/step, pytorch {t_ms[-1]:.1f} ms/step", flush=True)
            row = {}
            for impl, ms, rss in (("sinklab", s_ms, s_rss), ("pytorch", t_ms, t_rss)):
                med = statistics.median(ms)
                row[impl] = {"ms_per_step": med, "spread_ms": [min(ms), max(ms)], "tokens_per_s": tokens / (med / 1000),
                             "mfu": flops / (med / 1000) / (ceiling * 1e9), "peak_rss_mb": max(rss)}
            row["speedup"] = row["pytorch"]["ms_per_step"] / row["sinklab"]["ms_per_step"]
            row["rss_ratio"] = row["sinklab"]["peak_rss_mb"] / row["pytorch"]["peak_rss_mb"]
            row["model_gflop_per_step"] = flops / 1e9
            results["configs"][name] = row
            print(f"{name}: sinklab {row['sinklab']['ms_per_step']:.1f} ms/step ({row['sinklab']['tokens_per_s']:.0f} tok/s, "
                  f"MFU {100 * row['sinklab']['mfu']:.1f}%, {row['sinklab']['peak_rss_mb']:.0f} MB) | pytorch "
                  f"{row['pytorch']['ms_per_step']:.1f} ms/step ({row['pytorch']['tokens_per_s']:.0f} tok/s, MFU "
                  f"{100 * row['pytorch']['mfu']:.1f}%, {row['pytorch']['peak_rss_mb']:.0f} MB) | sinklab/pytorch "
                  f"{row['speedup']:.2f}x tokens/s, RSS {row['rss_ratio']:.2f}x", flush=True)
    out = os.path.join(ROOT, "runs", time.strftime("bench-%Y%m%d-%H%M%S"))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(f"results: {out}/results.json")


if __name__ == "__main__":
    main()
