#!/usr/bin/python3
"""Writes tiny Hugging Face checkpoints sinklab must import exactly (tests/golden/hf/).

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_hf_fixtures.py
(after make_tokenizer_golden.py, whose tokenizer files set the vocabulary sizes).

No `transformers` here: the two models are written from the Hugging Face modeling code's
description, in its exact parameter names and layouts, with random weights:
  gpt2/   GPT2LMHeadModel: Conv1D weights stored (in, out), fused c_attn, learned positions,
          LayerNorm, tanh GELU ("gelu_new"), tied head; one model.safetensors (float32) that also
          carries the old causal-mask buffers (attn.bias), as early GPT-2 files do.
  llama/  LlamaForCausalLM with grouped-query attention (6 query heads, 2 key/value heads),
          RoPE (rotate-half, rope_theta 500000), RMSNorm, SwiGLU, untied head; bfloat16 weights
          in two shards with model.safetensors.index.json, as published Llama checkpoints.
Beside each folder, <name>.expected.safetensors holds a batch of ids, the float32 logits and the
causal-LM loss (mean cross-entropy of each next token).
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from torch_model import write_safetensors  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf")
torch.manual_seed(0)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def rand(*shape, std=0.1):
    return torch.randn(*shape) * std


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def causal_softmax_attention(q, k, v):
    T = q.shape[-2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def gpt2(vocab):
    c = dict(vocab_size=vocab, n_positions=32, n_embd=32, n_layer=2, n_head=4, n_inner=None, layer_norm_epsilon=1e-5)
    C, L, H = c["n_embd"], c["n_layer"], c["n_head"]
    Fd = 4 * C
    w = {"transformer.wte.weight": rand(vocab, C), "transformer.wpe.weight": rand(c["n_positions"], C)}
    for l in range(L):
        p = f"transformer.h.{l}."
        for ln in ("ln_1", "ln_2"):
            w[p + ln + ".weight"] = 1 + rand(C)
            w[p + ln + ".bias"] = rand(C)
        w[p + "attn.bias"] = torch.tril(torch.ones(c["n_positions"], c["n_positions"])).view(1, 1, c["n_positions"], c["n_positions"])
        w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"] = rand(C, 3 * C, std=0.2), rand(3 * C)
        w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"] = rand(C, C), rand(C)
        w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"] = rand(C, Fd), rand(Fd)
        w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"] = rand(Fd, C), rand(C)
    w["transformer.ln_f.weight"], w["transformer.ln_f.bias"] = 1 + rand(C), rand(C)

    def forward(ids):
        B, T = ids.shape
        eps = c["layer_norm_epsilon"]
        x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][:T]
        for l in range(L):
            p = f"transformer.h.{l}."
            h = F.layer_norm(x, (C,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
            qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]  # Conv1D: x W + b, W (in, out)
            q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in qkv.split(C, dim=2))
            a = causal_softmax_attention(q, k, v).transpose(1, 2).reshape(B, T, C)
            x = x + a @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
            h = F.layer_norm(x, (C,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
            h = gelu_new(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
            x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        x = F.layer_norm(x, (C,), w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
        return x @ w["transformer.wte.weight"].T  # tied head

    config = {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "activation_function": "gelu_new",
        "attn_pdrop": 0.1, "embd_pdrop": 0.1, "resid_pdrop": 0.1, "initializer_range": 0.02,
        "n_ctx": c["n_positions"], "scale_attn_weights": True, "summary_type": "cls_index", "use_cache": True,
        "bos_token_id": vocab - 1, "eos_token_id": vocab - 1, "torch_dtype": "float32", "transformers_version": "4.46.3", **c}
    write_json(os.path.join(HERE, "gpt2", "config.json"), config)
    write_safetensors(os.path.join(HERE, "gpt2", "model.safetensors"), w, {"format": "pt"})
    return forward


def llama(vocab):
    c = dict(vocab_size=vocab, hidden_size=48, intermediate_size=80, num_hidden_layers=2, num_attention_heads=6,
             num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-5, rope_theta=500000.0)
    C, L, H, KV = c["hidden_size"], c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"]
    D, Fd = C // H, c["intermediate_size"]
    w = {"model.embed_tokens.weight": rand(vocab, C)}
    for l in range(L):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = 1 + rand(C)
        w[p + "self_attn.q_proj.weight"] = rand(H * D, C, std=0.2)
        w[p + "self_attn.k_proj.weight"] = rand(KV * D, C, std=0.2)
        w[p + "self_attn.v_proj.weight"] = rand(KV * D, C)
        w[p + "self_attn.o_proj.weight"] = rand(C, H * D)
        w[p + "post_attention_layernorm.weight"] = 1 + rand(C)
        w[p + "mlp.gate_proj.weight"] = rand(Fd, C)
        w[p + "mlp.up_proj.weight"] = rand(Fd, C)
        w[p + "mlp.down_proj.weight"] = rand(C, Fd)
    w["model.norm.weight"] = 1 + rand(C)
    w["lm_head.weight"] = rand(vocab, C)
    w = {n: t.to(torch.bfloat16) for n, t in w.items()}  # stored as published; computed in float32
    f32 = {n: t.float() for n, t in w.items()}

    def rms_norm(x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + c["rms_norm_eps"]) * weight

    def rotate_half(x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat((-x2, x1), dim=-1)

    def forward(ids):
        B, T = ids.shape
        inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
        freqs = torch.outer(torch.arange(T).float(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        x = f32["model.embed_tokens.weight"][ids]
        for l in range(L):
            p = f"model.layers.{l}."
            h = rms_norm(x, f32[p + "input_layernorm.weight"])
            q = (h @ f32[p + "self_attn.q_proj.weight"].T).view(B, T, H, D).transpose(1, 2)
            k = (h @ f32[p + "self_attn.k_proj.weight"].T).view(B, T, KV, D).transpose(1, 2)
            v = (h @ f32[p + "self_attn.v_proj.weight"].T).view(B, T, KV, D).transpose(1, 2)
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            k, v = (t.repeat_interleave(H // KV, dim=1) for t in (k, v))  # repeat_kv: query head h reads kv head h // (H/KV)
            a = causal_softmax_attention(q, k, v).transpose(1, 2).reshape(B, T, C)
            x = x + a @ f32[p + "self_attn.o_proj.weight"].T
            h = rms_norm(x, f32[p + "post_attention_layernorm.weight"])
            h = F.silu(h @ f32[p + "mlp.gate_proj.weight"].T) * (h @ f32[p + "mlp.up_proj.weight"].T)
            x = x + h @ f32[p + "mlp.down_proj.weight"].T
        return rms_norm(x, f32["model.norm.weight"]) @ f32["lm_head.weight"].T

    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu", "attention_bias": False,
        "attention_dropout": 0.0, "mlp_bias": False, "pretraining_tp": 1, "rope_scaling": None,
        "tie_word_embeddings": False, "initializer_range": 0.02, "bos_token_id": 1, "eos_token_id": 2, "use_cache": True,
        "torch_dtype": "bfloat16", "transformers_version": "4.46.3", **c}
    write_json(os.path.join(HERE, "llama", "config.json"), config)
    names = list(w)
    shards = {"model-00001-of-00002.safetensors": names[: len(names) // 2],
              "model-00002-of-00002.safetensors": names[len(names) // 2:]}
    for file, part in shards.items():
        write_safetensors(os.path.join(HERE, "llama", file), {n: w[n] for n in part}, {"format": "pt"})
    total = sum(t.numel() * 2 for t in w.values())
    write_json(os.path.join(HERE, "llama", "model.safetensors.index.json"),
               {"metadata": {"total_size": total}, "weight_map": {n: f for f, part in shards.items() for n in part}})
    return forward


def expected(name, forward, T, encoding):
    ids = torch.tensor(encoding[: 2 * T], dtype=torch.int64).view(2, T)
    with torch.no_grad():
        logits = forward(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
    write_safetensors(os.path.join(HERE, f"{name}.expected.safetensors"),
                      {"ids": ids.to(torch.int32), "logits": logits.float(), "loss": loss.reshape(())},
                      {"torch": torch.__version__, "generator": "tests/golden/make_hf_fixtures.py"})
    print(f"{name}: ids {tuple(ids.shape)}, loss {loss.item():.6f}")


def main():
    with open(os.path.join(HERE, "tokenizer_encodings.json")) as f:
        enc = json.load(f)
    text_ids = {k: [i for case in enc["cases"] for i in case[k]] for k in ("gpt2", "llama")}
    forward = gpt2(enc["gpt2_vocab_size"])
    expected("gpt2", forward, 16, text_ids["gpt2"])
    forward = llama(enc["llama_vocab_size"])
    expected("llama", forward, 24, text_ids["llama"])


if __name__ == "__main__":
    main()
