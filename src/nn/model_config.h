#pragma once
// The architecture of a decoder transformer, independent of how it is configured (YAML lives in train/).
#include <cstdint>
#include <cmath>
#include <string>

#include "io/config_section.h"
#include "ops/attention.h"

namespace sinklab::nn {

enum class NormKind { layernorm, rmsnorm };
enum class PosKind { learned, rope, none };
enum class MlpKind { gelu, swiglu };
enum class AttentionKind { softmax, sigmoid };
enum class GateKind { none, elementwise, headwise };
enum class SinkLogit { none, learned, zero };

// Switches of the one attention class (nn/attention.h); model.attention.* in configs.
struct AttentionConfig {
  AttentionKind kind = AttentionKind::softmax;
  bool normalize = false;      // sigmoid: divide each row by its sum
  double sigmoid_bias = 0;     // sigmoid: b in sigmoid(q.k / sqrt(d) + b)
  GateKind gate = GateKind::none;  // output gate Y * sigmoid(X W_g + b_g) before the output projection
  std::int64_t registers = 0;  // learned vectors placed before BOS at positions 0..R-1
  SinkLogit sink_logit = SinkLogit::none;  // per-head extra score column with a zero value
  bool qk_norm = false;        // RMSNorm on q and k per head
  ops::KeyMask mask = ops::KeyMask::causal;  // no_first / no_self: hide key 0 / the query itself
};

struct ModelConfig {
  std::int64_t vocab_size = 256;
  std::int64_t context = 128;  // longest sequence the model sees
  std::int64_t d_model = 128;
  std::int64_t n_layer = 4;
  std::int64_t n_head = 4;
  std::int64_t n_kv_head = 0;  // key/value heads (grouped-query attention); 0 = n_head
  std::int64_t d_ff = 512;
  NormKind norm = NormKind::rmsnorm;
  PosKind pos = PosKind::rope;
  MlpKind mlp = MlpKind::swiglu;
  bool bias = false;            // biases in linear layers and in layernorm
  bool tie_embeddings = true;   // the output head reuses the token embedding
  double norm_eps = 1e-5;
  double rope_base = 10000.0;
  double init_std = 0.02;
  AttentionConfig attention;

  std::int64_t d_head() const { return d_model / n_head; }
  // The key/value heads in effect: n_kv_head, or n_head when it is 0. Query head h reads kv head
  // h / (n_head / kv_heads()).
  std::int64_t kv_heads() const { return n_kv_head > 0 ? n_kv_head : n_head; }
  // Init std of the projections that write into the residual stream (GPT-2): init_std / sqrt(2 n_layer).
  double residual_init_std() const { return init_std / std::sqrt(2.0 * static_cast<double>(n_layer)); }
};

// The model.* and model.attention.* keys, their docs and rules (vocab_size and context come from
// the data, not from keys).
const config::Section<ModelConfig>& model_section();
const config::Section<AttentionConfig>& attention_section();

}  // namespace sinklab::nn

namespace sinklab::config {
template <>
struct EnumNames<nn::NormKind> {
  static constexpr std::array<std::pair<const char*, nn::NormKind>, 2> values{{{"layernorm", nn::NormKind::layernorm}, {"rmsnorm", nn::NormKind::rmsnorm}}};
};
template <>
struct EnumNames<nn::PosKind> {
  static constexpr std::array<std::pair<const char*, nn::PosKind>, 3> values{
      {{"learned", nn::PosKind::learned}, {"rope", nn::PosKind::rope}, {"none", nn::PosKind::none}}};
};
template <>
struct EnumNames<nn::MlpKind> {
  static constexpr std::array<std::pair<const char*, nn::MlpKind>, 2> values{{{"gelu", nn::MlpKind::gelu}, {"swiglu", nn::MlpKind::swiglu}}};
};
template <>
struct EnumNames<nn::AttentionKind> {
  static constexpr std::array<std::pair<const char*, nn::AttentionKind>, 2> values{
      {{"softmax", nn::AttentionKind::softmax}, {"sigmoid", nn::AttentionKind::sigmoid}}};
};
template <>
struct EnumNames<nn::GateKind> {
  static constexpr std::array<std::pair<const char*, nn::GateKind>, 3> values{
      {{"none", nn::GateKind::none}, {"elementwise", nn::GateKind::elementwise}, {"headwise", nn::GateKind::headwise}}};
};
template <>
struct EnumNames<ops::KeyMask> {
  static constexpr std::array<std::pair<const char*, ops::KeyMask>, 3> values{
      {{"causal", ops::KeyMask::causal}, {"no_first", ops::KeyMask::no_first}, {"no_self", ops::KeyMask::no_self}}};
};
template <>
struct EnumNames<nn::SinkLogit> {
  static constexpr std::array<std::pair<const char*, nn::SinkLogit>, 3> values{
      {{"none", nn::SinkLogit::none}, {"learned", nn::SinkLogit::learned}, {"zero", nn::SinkLogit::zero}}};
};
}  // namespace sinklab::config
