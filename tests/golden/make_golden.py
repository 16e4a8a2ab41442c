#!/usr/bin/python3
"""Writes the PyTorch golden fixtures the C++ model must match (tests/golden/*.safetensors).

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_golden.py [STYLE ...]
With style names, only those are written: a new style is added without rewriting the others, whose
gradients can differ in the last bits between machines. Every style is still made, in order: they
share one random stream.
The reference model (bench/torch_model.py) is written independently of the C++ code, from the
same description. Parameter names are the C++ dotted names.

Each fixture holds: the weights (param.<name>), a batch (ids, targets with ignored positions),
logits, loss, every parameter gradient (grad.<name>), and the losses before and after each of 5
AdamW steps on that batch (adamw_losses). The config and optimizer settings are in the metadata.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from torch_model import Model, write_safetensors  # noqa: E402

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))

STYLES = {
    "gpt2": dict(vocab_size=61, context=12, d_model=32, n_layer=2, n_head=4, d_ff=128,
                 norm="layernorm", pos="learned", mlp="gelu", bias=True, tie_embeddings=True),
    "llama": dict(vocab_size=61, context=12, d_model=32, n_layer=2, n_head=4, d_ff=96,
                  norm="rmsnorm", pos="rope", mlp="swiglu", bias=False, tie_embeddings=False),
}
LLAMA = STYLES["llama"]
STYLES.update({
    "gated_elementwise": dict(LLAMA, attention=dict(gate="elementwise")),
    "gated_headwise": dict(LLAMA, attention=dict(gate="headwise")),
    "registers": dict(LLAMA, attention=dict(registers=3)),
    "registers_learned_pos": dict(STYLES["gpt2"], attention=dict(registers=2)),
    "sink_learned": dict(LLAMA, attention=dict(sink_logit="learned")),
    "sigmoid": dict(LLAMA, attention=dict(kind="sigmoid", sigmoid_bias=-1.0)),
    "sigmoid_normalized_qk_norm": dict(LLAMA, attention=dict(kind="sigmoid", normalize=True, qk_norm=True)),
    "sink_zero_no_positions": dict(LLAMA, pos="none", attention=dict(sink_logit="zero")),
    "mask_no_first": dict(STYLES["gpt2"], attention=dict(mask="no_first")),
    "mask_no_self_sigmoid": dict(LLAMA, attention=dict(mask="no_self", kind="sigmoid", normalize=True)),
    "llama_gqa": dict(LLAMA, n_kv_head=2),
})
ADAMW = dict(lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1, steps=5)


def make(style, c, write):
    model = Model(c)
    B, T = 3, c["context"]
    ids = torch.randint(0, c["vocab_size"], (B, T), dtype=torch.int32)
    targets = torch.randint(0, c["vocab_size"], (B, T), dtype=torch.int32)
    targets[0, 3] = -100
    targets[2, 7] = -100
    tensors = {f"param.{n}": p.detach().clone() for n, p in model.params.items()}
    logits = model(ids.long())
    loss = F.cross_entropy(logits.reshape(-1, c["vocab_size"]), targets.long().reshape(-1), ignore_index=-100)
    loss.backward()
    tensors.update({f"grad.{n}": p.grad.clone() for n, p in model.params.items()})
    tensors.update(ids=ids, targets=targets, logits=logits.detach(), loss=loss.detach().reshape(()))

    decay = [p for n, p in model.params.items() if p.dim() >= 2]
    rest = [p for n, p in model.params.items() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": ADAMW["weight_decay"]},
                             {"params": rest, "weight_decay": 0.0}],
                            lr=ADAMW["lr"], betas=ADAMW["betas"], eps=ADAMW["eps"])
    losses = []
    for step in range(ADAMW["steps"] + 1):
        opt.zero_grad()
        out = model(ids.long())
        l = F.cross_entropy(out.reshape(-1, c["vocab_size"]), targets.long().reshape(-1), ignore_index=-100)
        losses.append(l.item())
        if step < ADAMW["steps"]:
            l.backward()
            opt.step()
    if not write:
        return
    tensors["adamw_losses"] = torch.tensor(losses, dtype=torch.float64)
    meta = {"config": json.dumps(c), "adamw": json.dumps(ADAMW), "torch": torch.__version__,
            "generator": "tests/golden/make_golden.py"}
    path = os.path.join(HERE, f"{style}.safetensors")
    write_safetensors(path, tensors, meta)
    print(f"{path}: loss {loss.item():.6f}, adamw losses {[round(x, 6) for x in losses]}")


if __name__ == "__main__":
    unknown = set(sys.argv[1:]) - set(STYLES)
    if unknown:
        sys.exit(f"make_golden: no style {', '.join(sorted(unknown))} (styles: {', '.join(STYLES)})")
    for style, c in STYLES.items():
        make(style, c, write=not sys.argv[1:] or style in sys.argv[1:])
