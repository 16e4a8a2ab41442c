#!/usr/bin/python3
"""The PyTorch side of the training-throughput benchmark (bench/run.sh): the same GPT-2-style
architecture as bench/<config>.yaml, fp32, AdamW, uniform random tokens, eager mode.

  /usr/bin/python3 bench/torch_reference.py bench/tiny.yaml [--steps 30] [--threads 2]

Prints one JSON line: median ms/step after warm-up, tokens/s, peak RSS. Needs Debian's
python3-torch and libopenblas0-openmp (without the OpenMP BLAS PyTorch runs about 20x slower).
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
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    c = load(a.config)
    m, d = c["model"], c["data"]
    V, T, B = d["vocab_size"], d["context"], c["train"]["batch_size"]
    torch.manual_seed(0)
    model = GPT(V, T, m["d_model"], m["n_layer"], m["n_head"], m["d_ff"])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    times = []
    for step in range(a.warmup + a.steps):
        ids = torch.randint(0, V, (B, T + 1))
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(ids[:, :-1]).reshape(-1, V), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    print(json.dumps({"impl": "pytorch", "torch": torch.__version__, "ms_per_step": ms, "tokens_per_s": B * T / (ms / 1000),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "steps": a.steps}))


if __name__ == "__main__":
    main()
