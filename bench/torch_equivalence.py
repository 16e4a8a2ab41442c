#!/usr/bin/python3
"""PyTorch trains what a sinklab run trains, from the same start, and records the same statistics.

  build/release/sinklab replay RUN --out REPLAY      # the run's initial weights, batches and probe
  /usr/bin/python3 bench/torch_equivalence.py RUN REPLAY --out TORCH_RUN [--threads 2]

TORCH_RUN becomes a run folder sinklab compare reads beside sinklab's own runs: config.resolved.yaml
(the run's), metrics.jsonl (step, tokens, loss, lr, grad_norm, step_ms, tokens_per_s, val_loss) and
analysis.jsonl with the attention fields of docs/metrics.md that PyTorch can compute from the probe
maps (sink_rate, sink_rate_layer, sink_score and its quantiles, first_mass, diag_score, entropy).
Everything follows sinklab's definitions: the warmup + cosine schedule of optim/schedule.cpp,
AdamW with sinklab's decay policy, global-norm clipping with torch's 1e-6, the mean over
validation batches of each batch's mean loss, and the probe statistics of analysis/attention_maps.
bench/equivalence.sh runs the whole comparison for several seeds. Needs Debian's python3-torch.
"""
import argparse
import json
import math
import os
import shutil
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
import yaml

from torch_model import Model, read_safetensors


def schedule(o, steps, step):
    lr, min_lr, warmup = o["lr"], o["min_lr"], o["warmup"]
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(max((step - warmup) / max(1, steps - warmup), 0.0), 1.0)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))


def model_dict(config, vocab_size):
    m = dict(config["model"])
    m["vocab_size"], m["context"] = vocab_size, config["data"]["context"]
    # The PyTorch model reads a switch as on when its key is there: drop the "none" values.
    m["attention"] = {k: v for k, v in m.get("attention", {}).items() if v != "none"}
    if float(m["norm_eps"]) != 1e-5 or float(m["rope_base"]) != 10000:
        raise SystemExit("torch_equivalence: the PyTorch model uses norm_eps 1e-5 and rope_base 10000")
    return m


def probe_stats(maps, first, eps):
    """The attention fields of docs/metrics.md from the probe's maps: a list over layers of (B, H, N, N)."""
    A = torch.stack(maps).double()  # (L, B, H, N, N)
    L, B, H, N, _ = A.shape
    sink = A[..., first:, first].mean(-1)  # α_first per (layer, sequence, head)
    later = A[..., first + 1:, :]
    first_mass = later[..., first].mean(-1)
    idx = torch.arange(first + 1, N)
    diag = A[..., idx, idx].mean(-1)
    p = later.clamp_min(1e-300)
    entropy = (-(later * p.log()).sum(-1)).mean(-1)
    scores = sink.mean(1)  # (L, H): probe mean
    flat = scores.flatten().tolist()
    record = {
        "probe_positions": N,  # with first_position and key_mask: what compare reads the chance levels at
        "first_position": first,
        "eps": eps,
        "sink_rate": [float((sink > e).double().mean()) for e in eps],
        "sink_rate_layer": [[float((sink[l] > e).double().mean()) for l in range(L)] for e in eps],
        "sink_score": scores.tolist(),
        "sink_score_max": max(flat),
        "sink_score_median": float(np.quantile(flat, 0.5)),
        "sink_score_p90": float(np.quantile(flat, 0.9)),
        "first_mass": first_mass.mean(1).tolist(),
        "diag_score": diag.mean(1).tolist(),
        "entropy": entropy.mean(1).tolist(),
    }
    return record


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="the sinklab run folder (its config.resolved.yaml)")
    ap.add_argument("replay", help="the folder `sinklab replay RUN --out` wrote")
    ap.add_argument("--out", required=True, help="the run folder to write (new)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    with open(os.path.join(a.run, "config.resolved.yaml")) as f:
        config = yaml.safe_load(f)
    with open(os.path.join(a.replay, "replay.json")) as f:
        replay = json.load(f)
    if config["data"]["name"] == "synthetic":
        raise SystemExit("torch_equivalence: synthetic tasks (their class losses) are not replayed")
    steps, accum, B, T = replay["steps"], replay["grad_accum"], replay["batch_size"], replay["context"]
    train = np.fromfile(os.path.join(a.replay, "train.i32"), dtype="<i4").reshape(steps, accum, 2, B, T)
    valid = np.fromfile(os.path.join(a.replay, "valid.i32"), dtype="<i4").reshape(-1, 2, B, T)
    probe = torch.from_numpy(np.fromfile(os.path.join(a.replay, "probe.i32"), dtype="<i4").reshape(
        replay["probe_sequences"], replay["probe_length"]).astype(np.int64))
    ignore = replay["ignore_index"]

    model = Model(model_dict(config, replay["vocab_size"]))
    init = read_safetensors(os.path.join(a.replay, "init.safetensors"))
    if set(init) != set(model.params):
        raise SystemExit(f"torch_equivalence: parameters differ: {sorted(set(init) ^ set(model.params))}")
    with torch.no_grad():
        for name, p in model.params.items():
            p.copy_(init[name])
    # PyYAML reads "1e-08" as text (YAML 1.1 wants a dot): the numbers are made numbers here.
    o = {k: (v if k in ("decay", "betas") else float(v)) for k, v in config["optim"].items()}
    o["betas"] = [float(b) for b in o["betas"]]
    policy = o["decay"]
    decays = {n: policy == "all" or (policy == "matrices" and p.dim() >= 2) for n, p in model.params.items()}
    groups = [{"params": [p for n, p in model.params.items() if decays[n]], "weight_decay": o["weight_decay"]},
              {"params": [p for n, p in model.params.items() if not decays[n]], "weight_decay": 0.0}]
    opt = torch.optim.AdamW([g for g in groups if g["params"]], lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"])
    params = list(model.params.values())

    os.makedirs(a.out, exist_ok=False)
    shutil.copy(os.path.join(a.run, "config.resolved.yaml"), os.path.join(a.out, "config.resolved.yaml"))
    metrics = open(os.path.join(a.out, "metrics.jsonl"), "w")
    analysis = open(os.path.join(a.out, "analysis.jsonl"), "w")
    t, an = config["train"], config["analysis"]
    tokens_per_step = accum * B * T
    R = config["model"]["attention"].get("registers", 0)

    def loss_of(ids, targets):
        logits = model(torch.from_numpy(ids.astype(np.int64)))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.from_numpy(targets.astype(np.int64)).reshape(-1),
                               ignore_index=ignore)

    def analyse(step):
        maps = []
        with torch.no_grad():
            model(probe, maps)
        record = {"step": step, "tokens": step * tokens_per_step}
        record.update(probe_stats(maps, R, [float(e) for e in an["eps"]]))
        record["key_mask"] = config["model"]["attention"].get("mask", "causal")
        analysis.write(json.dumps(record) + "\n")
        analysis.flush()
        return record

    if an["every"] > 0:
        analyse(0)
    times = []
    for step in range(steps):
        t0 = time.perf_counter()
        lr = schedule(o, t["steps"], step)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss = 0.0
        for micro in range(accum):
            l = loss_of(train[step, micro, 0], train[step, micro, 1])
            loss += l.item() / accum
            (l if accum == 1 else l / accum).backward()
        norm = torch.nn.utils.clip_grad_norm_(params, o["clip"] if o["clip"] > 0 else float("inf")).item()
        if not (math.isfinite(loss) and math.isfinite(norm)):
            raise SystemExit(f"torch_equivalence: diverged at step {step + 1} (loss {loss}, gradient norm {norm})")
        opt.step()
        ms = 1000 * (time.perf_counter() - t0)
        times.append(ms)
        done = step + 1
        m = {"step": done, "tokens": done * tokens_per_step, "loss": loss, "lr": lr, "grad_norm": norm, "step_ms": ms,
             "tokens_per_s": tokens_per_step / (ms / 1000)}
        last = done == t["steps"] or done == steps
        if (t["eval_every"] > 0 and done % t["eval_every"] == 0) or last:
            with torch.no_grad():
                m["val_loss"] = sum(loss_of(b[0], b[1]).item() for b in valid) / len(valid)
        metrics.write(json.dumps(m) + "\n")
        metrics.flush()
        if an["every"] > 0 and (done % an["every"] == 0 or last):
            r = analyse(done)
            print(f"step {done}/{steps} | loss {loss:.4f} | sink rate {r['sink_rate']} | "
                  f"median {statistics.median(times[-50:]):.0f} ms/step", flush=True)
    print(f"done: {steps} steps, median {statistics.median(times):.1f} ms/step; {a.out}")


if __name__ == "__main__":
    main()
