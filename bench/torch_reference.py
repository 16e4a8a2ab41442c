#!/usr/bin/python3
"""The PyTorch side of the training-throughput benchmark (bench/run.sh): the same GPT-2-style
architecture as bench/<config>.yaml, fp32, AdamW, uniform random tokens, eager mode.

  /usr/bin/python3 bench/torch_reference.py bench/tiny.yaml [--steps 30] [--threads 2]

Prints one JSON line: median ms/step after warm-up, tokens/s, peak RSS, the BLAS libraries the
process loaded (Debian's PyTorch does its matrix products through whatever libblas.so.3 points at),
and, from --profile more steps under torch.profiler, the time per step spent in matrix products
(aten::mm, addmm, bmm, baddbmm, self time) and their FLOPs (2·M·K·N from the recorded shapes), from
which bench/run.py works out "PyTorch at the GEMM ceiling". Needs Debian's python3-torch and
libopenblas0-openmp (without the OpenMP BLAS PyTorch runs about 20x slower).
"""
import argparse
import json
import math
import os
import resource
import statistics
import time

import torch
import torch.nn.functional as F
import yaml


def load(path):
    with open(path) as f:
        c = yaml.safe_load(f)
    if "extends" in c:
        base = load(os.path.join(os.path.dirname(path), c.pop("extends")))
        for section, values in c.items():
            if isinstance(values, dict):
                base.setdefault(section, {}).update(values)
            else:
                base[section] = values
        return base
    return c


class Block(torch.nn.Module):
    def __init__(self, d, h, ff):
        super().__init__()
        self.h = h
        self.norm1, self.norm2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.wo = torch.nn.Linear(d, d)
        self.fc, self.proj = torch.nn.Linear(d, ff), torch.nn.Linear(ff, d)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True) if hasattr(F, "scaled_dot_product_attention") else \
            ((q @ k.transpose(-1, -2)) / math.sqrt(C // self.h)).masked_fill(
                ~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf")).softmax(-1) @ v
        x = x + self.wo(y.transpose(1, 2).reshape(B, T, C))
        return x + self.proj(F.gelu(self.fc(self.norm2(x)), approximate="tanh"))


class GPT(torch.nn.Module):
    def __init__(self, V, T, d, L, h, ff):
        super().__init__()
        self.tok, self.pos = torch.nn.Embedding(V, d), torch.nn.Embedding(T, d)
        self.blocks = torch.nn.ModuleList(Block(d, h, ff) for _ in range(L))
        self.norm = torch.nn.LayerNorm(d)

    def forward(self, ids):
        x = self.tok(ids) + self.pos.weight[: ids.shape[1]]
        for b in self.blocks:
            x = b(x)
        return self.norm(x) @ self.tok.weight.t()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--profile", type=int, default=3, help="steps profiled for the GEMM share (0: none)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    c = load(a.config)
    m, d = c["model"], c["data"]
    V, T, B = d["vocab_size"], d["context"], c["train"]["batch_size"]
    torch.manual_seed(0)
    model = GPT(V, T, m["d_model"], m["n_layer"], m["n_head"], m["d_ff"])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)

    def step():
        ids = torch.randint(0, V, (B, T + 1))
        loss = F.cross_entropy(model(ids[:, :-1]).reshape(-1, V), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    times = []
    for n in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        step()
        if n >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    result = {"impl": "pytorch", "torch": torch.__version__, "ms_per_step": ms, "tokens_per_s": B * T / (ms / 1000),
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "steps": a.steps, "blas": blas_libraries()}
    if a.profile > 0:
        result.update(gemm_profile(step, a.profile))
    print(json.dumps(result))


def blas_libraries():
    """The BLAS and LAPACK shared objects this process has mapped, resolved to their real paths."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "/" in line and ("blas" in line or "lapack" in line)}
    return sorted({os.path.realpath(p) for p in paths})


GEMMS = {"aten::mm": (0, 1), "aten::addmm": (1, 2), "aten::bmm": (0, 1), "aten::baddbmm": (1, 2)}  # the factors' inputs


def gemm_profile(step, steps):
    """Per step: the self time of PyTorch's matrix-product ops and their FLOPs, over `steps` profiled steps."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(steps):
            step()
    gemm_us, flops = 0.0, 0.0
    for e in prof.events():
        if e.name not in GEMMS:
            continue
        a, b = (e.input_shapes[i] for i in GEMMS[e.name])
        batch = a[0] if len(a) == 3 else 1
        flops += 2 * batch * a[-2] * a[-1] * b[-1]
        gemm_us += e.self_cpu_time_total
    return {"gemm_ms_per_step": gemm_us / 1000 / steps, "gemm_gflop_per_step": flops / 1e9 / steps, "profiled_steps": steps}


if __name__ == "__main__":
    main()
