#include "nn/model_config.h"

namespace sinklab::nn {

const config::Section<ModelConfig>& model_section() {
  using C = ModelConfig;
  static const auto section = [] {
    config::Section<C> s("model");
    s.key("d_model", &C::d_model, "residual stream width")
        .key("n_layer", &C::n_layer, "number of blocks")
        .key("n_head", &C::n_head, "attention heads; must divide `d_model`")
        .key("n_kv_head", &C::n_kv_head,
             "key/value heads (grouped-query attention, as Llama's num_key_value_heads): each serves n_head / n_kv_head "
             "consecutive query heads; 0 = n_head")
        .key("d_ff", &C::d_ff, "MLP hidden width")
        .key("norm", &C::norm, "`layernorm` or `rmsnorm`")
        .key("pos", &C::pos, "`learned` (a position embedding), `rope` (rotary, rotate-half layout) or `none`")
        .key("mlp", &C::mlp, "`gelu` (tanh GELU: fc, proj) or `swiglu` (w2(silu(w1 x) * w3 x))")
        .key("bias", &C::bias, "biases in every linear layer and in LayerNorm")
        .key("tie_embeddings", &C::tie_embeddings, "the output head reuses the token embedding; otherwise `lm_head.weight`")
        .key("norm_eps", &C::norm_eps, "epsilon of the norms")
        .key("rope_base", &C::rope_base, "RoPE base")
        .key("init_std", &C::init_std,
             "weights ~ N(0, init_std); `attn.wo` and the MLP output ~ N(0, init_std / sqrt(2 n_layer))");
    s.rule([](const C& c, const config::Report& check) {
      for (auto [key, v] : {std::pair{"d_model", c.d_model}, {"n_layer", c.n_layer}, {"n_head", c.n_head}, {"d_ff", c.d_ff}})
        check(v > 0, key, fmt::format("must be positive, got {}", v));
      check(c.n_head <= 0 || c.d_model % c.n_head == 0, "n_head",
            fmt::format("d_model {} is not divisible by n_head {}", c.d_model, c.n_head));
      check(c.n_kv_head >= 0, "n_kv_head", fmt::format("must not be negative, got {}", c.n_kv_head));
      check(c.n_head <= 0 || c.n_head % c.kv_heads() == 0, "n_kv_head",
            fmt::format("n_head {} is not divisible by n_kv_head {}", c.n_head, c.n_kv_head));
      check(c.pos != PosKind::rope || c.n_head <= 0 || c.d_head() % 2 == 0, "pos",
            fmt::format("rope needs an even head size, d_model / n_head = {}", c.n_head > 0 ? c.d_head() : 0));
      check(c.norm_eps > 0, "norm_eps", "must be positive");
      check(c.init_std > 0, "init_std", "must be positive");
    });
    return s;
  }();
  return section;
}

const config::Section<AttentionConfig>& attention_section() {
  using C = AttentionConfig;
  static const auto section = [] {
    config::Section<C> s("model.attention");
    s.key("kind", &C::kind,
          "`softmax`, or `sigmoid`: a_ij = sigmoid(q_i.k_j / sqrt(d_head) + sigmoid_bias) under the causal mask (Gu et al., ICLR 2025)")
        .key("normalize", &C::normalize, "sigmoid only: divide each row by its sum")
        .key("sigmoid_bias", &C::sigmoid_bias, "sigmoid only: the bias b inside the sigmoid")
        .key("gate", &C::gate,
             "output gate on each head before `wo` (Qiu et al., NeurIPS 2025, G1): Y * sigmoid(X W_g + b_g) with X the block's "
             "normalised input; `elementwise` (d_model gates) or `headwise` (n_head gates, one per head); W_g ~ N(0, init_std), b_g = 0")
        .key("registers", &C::registers,
             "R learned vectors (~ N(0, init_std)) at positions 0..R-1 of every sequence, before BOS (Darcet et al., ICLR 2024); tokens "
             "move to positions R..R+T-1 for RoPE and learned positions; registers take no loss")
        .key("sink_logit", &C::sink_logit,
             "`learned`: a per-head logit b_h (init 0) of an extra score column with a zero value, a_ij = exp(s_ij) / (exp(b_h) + "
             "sum_k exp(s_ik)) (as in gpt-oss); `zero`: b_h fixed at 0 (softmax-off-by-one)")
        .key("qk_norm", &C::qk_norm, "RMSNorm (a learned weight of size d_head) on q and k of every head")
        .key("mask", &C::mask,
             "keys hidden beyond the causal limit, from the second query on (the first keeps its one key): `causal` (none), "
             "`no_first` (position 0, BOS: nowhere to park), `no_self` (the query's own position: no diagonal)");
    s.rule([](const C& a, const config::Report& check) {
      check(a.registers >= 0 && a.registers <= 256, "registers", fmt::format("must be in [0, 256], got {}", a.registers));
      check(a.kind == AttentionKind::softmax || a.sink_logit == SinkLogit::none, "sink_logit",
            "a sink logit is an extra softmax column; with kind: sigmoid use sink_logit: none");
      check(a.kind == AttentionKind::sigmoid || !a.normalize, "normalize", "only applies to kind: sigmoid (softmax rows always sum to one)");
      check(a.kind == AttentionKind::sigmoid || a.sigmoid_bias == 0, "sigmoid_bias", "only applies to kind: sigmoid");
      check(a.mask != ops::KeyMask::no_first || a.registers == 0, "mask",
            "no_first hides position 0, which registers take; use registers: 0");
    });
    return s;
  }();
  return section;
}

}  // namespace sinklab::nn
