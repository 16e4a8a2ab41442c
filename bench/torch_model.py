"""sinklab's model in PyTorch, written independently of the C++ code from the same description:
pre-norm decoder, causal softmax attention (and its variants: output gate, registers, sink logit,
sigmoid, qk-norm, grouped-query), GELU(tanh)/SwiGLU MLP, tied or untied head, rotate-half RoPE.
Parameters are named with sinklab's dotted names, so a sinklab safetensors file loads as is. Used by
the golden fixtures (tests/golden/make_golden.py) and the equivalence check (bench/torch_equivalence.py).
"""
import json
import math
import struct

import torch
import torch.nn.functional as F

EPS = 1e-5


def rope(x, base=10000.0):
    T, d = x.shape[-2], x.shape[-1]
    half = d // 2
    inv = base ** (-2.0 * torch.arange(half, dtype=torch.float64) / d)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = ang.cos().float(), ang.sin().float()
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Model(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        P = lambda *shape: torch.nn.Parameter(torch.randn(*shape) * 0.02)
        d = c["d_model"]
        self.params = {}

        def add(name, t):
            self.params[name] = t
            self.register_parameter(name.replace(".", "__"), t)

        a = self.a = c.get("attention", {})
        kv = d // c["n_head"] * self.kv_heads()  # wk, wv outputs
        R = a.get("registers", 0)
        add("tok_emb.weight", P(c["vocab_size"], d))
        if R:
            add("registers", P(R, d))
        if c["pos"] == "learned":
            add("pos_emb.weight", P(c["context"] + R, d))
        for l in range(c["n_layer"]):
            b = f"blocks.{l}."
            for n in ("norm1", "norm2"):
                add(b + n + ".weight", torch.nn.Parameter(1 + 0.1 * torch.randn(d)))
                if c["norm"] == "layernorm" and c["bias"]:
                    add(b + n + ".bias", torch.nn.Parameter(0.1 * torch.randn(d)))
            for n, out in (("wq", d), ("wk", kv), ("wv", kv), ("wo", d)):
                add(b + f"attn.{n}.weight", P(out, d))
                if c["bias"]:
                    add(b + f"attn.{n}.bias", torch.nn.Parameter(0.02 * torch.randn(out)))
            if a.get("gate"):
                gates = d if a["gate"] == "elementwise" else c["n_head"]
                add(b + "attn.wg.weight", torch.nn.Parameter(torch.randn(gates, d) * 0.3))
                add(b + "attn.wg.bias", torch.nn.Parameter(0.5 * torch.randn(gates)))
            if a.get("qk_norm"):
                for n in ("q_norm", "k_norm"):
                    add(b + f"attn.{n}.weight", torch.nn.Parameter(1 + 0.1 * torch.randn(d // c["n_head"])))
            if a.get("sink_logit") == "learned":
                add(b + "attn.sink_logit", torch.nn.Parameter(0.5 * torch.randn(c["n_head"])))
            shapes = {"fc": (c["d_ff"], d), "proj": (d, c["d_ff"])} if c["mlp"] == "gelu" else \
                {"w1": (c["d_ff"], d), "w2": (d, c["d_ff"]), "w3": (c["d_ff"], d)}
            for n, s in shapes.items():
                add(b + f"mlp.{n}.weight", P(*s))
                if c["bias"]:
                    add(b + f"mlp.{n}.bias", torch.nn.Parameter(0.02 * torch.randn(s[0])))
        add("norm_f.weight", torch.nn.Parameter(1 + 0.1 * torch.randn(d)))
        if c["norm"] == "layernorm" and c["bias"]:
            add("norm_f.bias", torch.nn.Parameter(0.1 * torch.randn(d)))
        if not c["tie_embeddings"]:
            add("lm_head.weight", P(c["vocab_size"], d))

    def kv_heads(self):
        """model.n_kv_head, 0 or absent meaning n_head (Hugging Face's num_key_value_heads)."""
        return self.c.get("n_kv_head") or self.c["n_head"]

    def p(self, name):
        return self.params.get(name)

    def norm(self, x, prefix, kind=None):
        w = self.p(prefix + ".weight")
        if (kind or self.c["norm"]) == "layernorm":
            return F.layer_norm(x, (x.shape[-1],), w, self.p(prefix + ".bias"), EPS)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w

    def linear(self, x, prefix):
        return F.linear(x, self.p(prefix + ".weight"), self.p(prefix + ".bias"))

    def forward(self, ids, maps=None):
        """Logits (B, T, V); with a list `maps`, each layer's attention (B, H, N, N) is appended to it."""
        c = self.c
        B, T = ids.shape
        H, D, Hkv = c["n_head"], c["d_model"] // c["n_head"], self.kv_heads()
        a = self.a
        R = a.get("registers", 0)
        x = self.p("tok_emb.weight")[ids]
        if R:
            x = torch.cat([self.p("registers").expand(B, R, -1), x], dim=1)
        T = T + R
        if c["pos"] == "learned":
            x = x + self.p("pos_emb.weight")[:T]
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        # model.attention.mask: from the second query on, hide key 0 or the query's own key
        if a.get("mask") == "no_first":
            mask[1:, 0] = False
        elif a.get("mask") == "no_self":
            mask[1:, 1:] &= ~torch.eye(T - 1, dtype=torch.bool)
        for l in range(c["n_layer"]):
            b = f"blocks.{l}."
            h = self.norm(x, b + "norm1")
            q, k, v = (self.linear(h, b + f"attn.{n}").view(B, T, n_heads, D).transpose(1, 2)
                       for n, n_heads in (("wq", H), ("wk", Hkv), ("wv", Hkv)))
            if a.get("qk_norm"):
                q, k = self.norm(q, b + "attn.q_norm", "rmsnorm"), self.norm(k, b + "attn.k_norm", "rmsnorm")
            if c["pos"] == "rope":
                q, k = rope(q), rope(k)
            if Hkv != H:  # Hugging Face's repeat_kv: query head i reads kv head i // (H // Hkv)
                k, v = k.repeat_interleave(H // Hkv, dim=1), v.repeat_interleave(H // Hkv, dim=1)
            s = (q @ k.transpose(-1, -2)) / math.sqrt(D)
            if a.get("kind") == "sigmoid":
                w = torch.sigmoid(s + a.get("sigmoid_bias", 0.0)) * mask
                if a.get("normalize"):
                    w = w / w.sum(-1, keepdim=True)
            elif a.get("sink_logit") in ("learned", "zero"):
                logit = self.p(b + "attn.sink_logit") if a["sink_logit"] == "learned" else torch.zeros(H)
                sink = logit.view(1, H, 1, 1).expand(B, H, T, 1)
                w = torch.cat([s.masked_fill(~mask, float("-inf")), sink], dim=-1).softmax(-1)[..., :T]
            else:
                w = s.masked_fill(~mask, float("-inf")).softmax(-1)
            if maps is not None:
                maps.append(w.detach())
            y = (w @ v).transpose(1, 2)  # (B, T, H, D)
            if a.get("gate"):
                g = torch.sigmoid(self.linear(h, b + "attn.wg"))
                y = y * g.view(B, T, H, D if a["gate"] == "elementwise" else 1)
            y = y.reshape(B, T, H * D)
            x = x + self.linear(y, b + "attn.wo")
            h = self.norm(x, b + "norm2")
            if c["mlp"] == "gelu":
                m = self.linear(F.gelu(self.linear(h, b + "mlp.fc"), approximate="tanh"), b + "mlp.proj")
            else:
                m = self.linear(F.silu(self.linear(h, b + "mlp.w1")) * self.linear(h, b + "mlp.w3"), b + "mlp.w2")
            x = x + m
        x = self.norm(x[:, R:], "norm_f")
        head = self.p("lm_head.weight") if "lm_head.weight" in self.params else self.p("tok_emb.weight")
        return x @ head.t()


def write_safetensors(path, tensors, metadata):
    dtypes = {torch.float32: "F32", torch.float64: "F64", torch.int32: "I32", torch.bfloat16: "BF16"}
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    """The tensors of a safetensors file (F32, F64, I32), by name."""
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32}
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        blob = bytearray(data[8 + n + begin:8 + n + end])
        out[name] = torch.frombuffer(blob, dtype=dtypes[entry["dtype"]]).reshape(entry["shape"]).clone()
    return out
