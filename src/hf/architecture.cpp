#include "hf/architecture.h"

#include <array>
#include <cmath>
#include <optional>

#include "engine/error.h"
#include "io/json_parse.h"

namespace sinklab::hf {
namespace {

using nlohmann::json;

// GPT-2's dropout rates: said and ignored at import, written as 0 at export.
constexpr std::array<const char*, 3> gpt2_dropouts{"resid_pdrop", "embd_pdrop", "attn_pdrop"};

// config.json's fields, read with their types checked; errors name the file and the field.
class Fields {
 public:
  Fields(const json& root, std::filesystem::path file) : root_(root), file_(std::move(file)) {}

  bool has(const char* key) const { return root_.contains(key) && !root_.at(key).is_null(); }

  std::int64_t positive(const char* key, std::optional<std::int64_t> fallback = std::nullopt) const {
    if (!has(key)) {
      if (fallback) return *fallback;
      fail("{}: the field \"{}\" is missing", file_.string(), key);
    }
    const json& v = root_.at(key);
    if (!v.is_number_integer() || v.get<std::int64_t>() <= 0 || v.get<std::int64_t>() > (std::int64_t{1} << 31))
      fail("{}: \"{}\" must be a whole number in [1, 2^31], got {}", file_.string(), key, v.dump());
    return v.get<std::int64_t>();
  }
  double number(const char* key, double fallback, bool positive_only) const {
    if (!has(key)) return fallback;
    const json& v = root_.at(key);
    if (!v.is_number() || !std::isfinite(v.get<double>()) || (positive_only && v.get<double>() <= 0))
      fail("{}: \"{}\" must be a {}number, got {}", file_.string(), key, positive_only ? "positive " : "", v.dump());
    return v.get<double>();
  }
  bool flag(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!root_.at(key).is_boolean()) fail("{}: \"{}\" must be true or false, got {}", file_.string(), key, root_.at(key).dump());
    return root_.at(key).get<bool>();
  }
  std::string text(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!root_.at(key).is_string()) fail("{}: \"{}\" must be a string, got {}", file_.string(), key, root_.at(key).dump());
    return root_.at(key).get<std::string>();
  }
  // A field whose other values change the function computed: refused by name.
  template <class T>
  void require(const char* key, const T& value, const T& wanted, const std::string& why) const {
    if (value != wanted) fail("{}: \"{}\" is {}: {}", file_.string(), key, json(value).dump(), why);
  }
  void require_absent(const char* key, const std::string& why) const {
    if (has(key)) fail("{}: \"{}\" is {}: {}", file_.string(), key, root_.at(key).dump(), why);
  }
  // An object-valued field, or null when absent; another type is an error.
  const json* object(const char* key) const {
    if (!has(key)) return nullptr;
    if (!root_.at(key).is_object()) fail("{}: \"{}\" must be an object, got {}", file_.string(), key, root_.at(key).dump());
    return &root_.at(key);
  }
  const std::filesystem::path& file() const { return file_; }

 private:
  const json& root_;
  std::filesystem::path file_;
};

void read_gpt2(const Fields& f, HfConfig& out) {
  nn::ModelConfig& m = out.model;
  m.norm = nn::NormKind::layernorm, m.pos = nn::PosKind::learned, m.mlp = nn::MlpKind::gelu, m.bias = true;
  m.vocab_size = f.positive("vocab_size");
  m.context = f.positive("n_positions", f.has("n_ctx") ? std::optional(f.positive("n_ctx")) : std::nullopt);
  m.d_model = f.positive("n_embd");
  m.n_layer = f.positive("n_layer");
  m.n_head = f.positive("n_head");
  m.d_ff = f.positive("n_inner", 4 * m.d_model);
  m.norm_eps = f.number("layer_norm_epsilon", 1e-5, true);
  m.init_std = f.number("initializer_range", 0.02, true);
  m.tie_embeddings = f.flag("tie_word_embeddings", true);
  const std::string act = f.text("activation_function", "gelu_new");
  if (act != "gelu_new" && act != "gelu_pytorch_tanh")
    fail("{}: \"activation_function\" is \"{}\": sinklab's GELU is the tanh form (\"gelu_new\" or \"gelu_pytorch_tanh\")",
         f.file().string(), act);
  f.require("scale_attn_weights", f.flag("scale_attn_weights", true), true, "sinklab scales attention scores by 1/sqrt(d_head)");
  f.require("scale_attn_by_inverse_layer_idx", f.flag("scale_attn_by_inverse_layer_idx", false), false,
            "sinklab does not scale scores by the layer index");
  f.require("add_cross_attention", f.flag("add_cross_attention", false), false, "sinklab models are decoders only");
  for (const char* dropout : gpt2_dropouts)
    if (f.number(dropout, 0, false) > 0)
      out.notes.push_back(fmt::format("\"{}\" {} is not used: sinklab trains without dropout", dropout, f.number(dropout, 0, false)));
}

// RoPE's base: "rope_theta", or (transformers 5) "rope_parameters"."rope_theta". Any scaling or
// another rope_type changes the rotation: refused.
double rope_theta(const Fields& f) {
  const json* parameters = f.object("rope_parameters");
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    const json* p = f.object(key);
    if (p == nullptr) continue;
    const json type = p->contains("rope_type") ? p->at("rope_type") : p->contains("type") ? p->at("type") : json("default");
    if (type != "default")
      fail("{}: \"{}\" has rope_type {}: sinklab's RoPE has no scaling (plain rope_theta only)", f.file().string(), key, type.dump());
    for (const auto& [name, value] : p->items())
      if (name != "rope_type" && name != "type" && name != "rope_theta")
        fail("{}: \"{}\".\"{}\" is {}: sinklab's RoPE has no scaling (plain rope_theta only)", f.file().string(), key, name, value.dump());
  }
  const double top = f.number("rope_theta", 10000.0, true);
  if (parameters == nullptr || !parameters->contains("rope_theta")) return top;
  const json& inner = parameters->at("rope_theta");
  if (!inner.is_number() || !(inner.get<double>() > 0) || !std::isfinite(inner.get<double>()))
    fail("{}: \"rope_parameters\".\"rope_theta\" must be a positive number, got {}", f.file().string(), inner.dump());
  if (f.has("rope_theta") && top != inner.get<double>())
    fail("{}: \"rope_theta\" {} and \"rope_parameters\".\"rope_theta\" {} disagree", f.file().string(), top, inner.get<double>());
  return inner.get<double>();
}

void read_llama(const Fields& f, HfConfig& out) {
  nn::ModelConfig& m = out.model;
  m.norm = nn::NormKind::rmsnorm, m.pos = nn::PosKind::rope, m.mlp = nn::MlpKind::swiglu, m.bias = false;
  m.vocab_size = f.positive("vocab_size");
  m.context = f.positive("max_position_embeddings");
  m.d_model = f.positive("hidden_size");
  m.n_layer = f.positive("num_hidden_layers");
  m.n_head = f.positive("num_attention_heads");
  m.n_kv_head = f.positive("num_key_value_heads", m.n_head);
  m.d_ff = f.positive("intermediate_size");
  m.norm_eps = f.number("rms_norm_eps", 1e-6, true);
  m.rope_base = rope_theta(f);
  m.init_std = f.number("initializer_range", 0.02, true);
  m.tie_embeddings = f.flag("tie_word_embeddings", false);
  f.require("hidden_act", f.text("hidden_act", "silu"), std::string("silu"), "sinklab's SwiGLU gates with SiLU");
  f.require("attention_bias", f.flag("attention_bias", false), false, "sinklab's Llama-style attention has no biases");
  f.require("mlp_bias", f.flag("mlp_bias", false), false, "sinklab's SwiGLU has no biases");
  if (m.d_model % m.n_head != 0)
    fail("{}: \"hidden_size\" {} is not divisible by \"num_attention_heads\" {}", f.file().string(), m.d_model, m.n_head);
  if (f.has("head_dim")) f.require("head_dim", f.positive("head_dim"), m.d_model / m.n_head, "sinklab's head size is hidden_size / num_attention_heads");
  if (m.n_head % m.n_kv_head != 0)
    fail("{}: \"num_attention_heads\" {} is not divisible by \"num_key_value_heads\" {}", f.file().string(), m.n_head, m.n_kv_head);
  if (m.n_kv_head == m.n_head) m.n_kv_head = 0;  // sinklab's spelling of "no grouping"
  if (f.number("attention_dropout", 0, false) > 0)
    out.notes.push_back(fmt::format("\"attention_dropout\" {} is not used: sinklab trains without dropout", f.number("attention_dropout", 0, false)));
}

}  // namespace

const char* class_name(Architecture arch) { return arch == Architecture::gpt2 ? "GPT2LMHeadModel" : "LlamaForCausalLM"; }

HfConfig read_config(const std::filesystem::path& file) {
  const json root = io::read_json_file(file, "the checkpoint's config (is the folder a Hugging Face checkpoint?)");
  if (!root.is_object()) fail("{}: expected a JSON object", file.string());
  const Fields f(root, file);
  std::string arch = f.text("model_type", "");
  if (f.has("architectures")) {
    const json& list = root.at("architectures");
    if (!list.is_array() || list.size() != 1 || !list[0].is_string())
      fail("{}: \"architectures\" must list one model class, got {}", file.string(), list.dump());
    arch = list[0].get<std::string>();
  }
  HfConfig out;
  if (arch == class_name(Architecture::gpt2) || arch == "gpt2") {
    out.arch = Architecture::gpt2;
    read_gpt2(f, out);
  } else if (arch == class_name(Architecture::llama) || arch == "llama") {
    out.arch = Architecture::llama;
    read_llama(f, out);
  } else {
    fail("{}: the architecture \"{}\" is not one sinklab reads (GPT2LMHeadModel, LlamaForCausalLM)", file.string(),
         arch.empty() ? "(none: no \"architectures\" or \"model_type\")" : arch);
  }
  const nn::ModelConfig& m = out.model;
  if (m.d_model % m.n_head != 0) fail("{}: the width {} is not divisible by the {} heads", file.string(), m.d_model, m.n_head);
  if (m.pos == nn::PosKind::rope && m.d_head() % 2 != 0) fail("{}: RoPE needs an even head size, got {}", file.string(), m.d_head());
  return out;
}

Architecture architecture_of(const nn::ModelConfig& m) {
  const Architecture arch = m.norm == nn::NormKind::layernorm ? Architecture::gpt2 : Architecture::llama;
  const bool gpt2 = arch == Architecture::gpt2;
  auto need = [&](bool ok, std::string_view key, std::string_view value) {
    if (!ok)
      fail("model.{} {} has no equivalent in {} (model.norm {}: {})", key, value, class_name(arch), gpt2 ? "layernorm" : "rmsnorm",
           gpt2 ? "learned positions, gelu, bias: true" : "rope, swiglu, bias: false");
  };
  need(m.pos == (gpt2 ? nn::PosKind::learned : nn::PosKind::rope), "pos", config::enum_name(m.pos));
  need(m.mlp == (gpt2 ? nn::MlpKind::gelu : nn::MlpKind::swiglu), "mlp", config::enum_name(m.mlp));
  need(m.bias == gpt2, "bias", m.bias ? "true" : "false");
  need(!gpt2 || m.n_kv_head == 0 || m.n_kv_head == m.n_head, "n_kv_head", std::to_string(m.n_kv_head));
  const nn::AttentionConfig& a = m.attention;
  const nn::AttentionConfig plain;
  auto variant = [&](bool differs, std::string_view key, std::string_view value) {
    if (differs) fail("model.attention.{} {} has no Hugging Face equivalent: sinklab exports only plain softmax attention", key, value);
  };
  variant(a.kind != plain.kind, "kind", config::enum_name(a.kind));
  variant(a.gate != plain.gate, "gate", config::enum_name(a.gate));
  variant(a.registers != plain.registers, "registers", std::to_string(a.registers));
  variant(a.sink_logit != plain.sink_logit, "sink_logit", config::enum_name(a.sink_logit));
  variant(a.qk_norm != plain.qk_norm, "qk_norm", "true");
  variant(a.mask != plain.mask, "mask", config::enum_name(a.mask));
  return arch;
}

json config_json(const nn::ModelConfig& m, Architecture arch, std::int32_t bos, std::int32_t eos) {
  json j;
  j["architectures"] = {class_name(arch)};
  j["vocab_size"] = m.vocab_size;
  j["initializer_range"] = m.init_std;
  j["tie_word_embeddings"] = m.tie_embeddings;
  j["bos_token_id"] = bos;
  j["eos_token_id"] = eos;
  j["torch_dtype"] = "float32";
  j["use_cache"] = true;
  if (arch == Architecture::gpt2) {
    j["model_type"] = "gpt2";
    j["n_positions"] = m.context;
    j["n_ctx"] = m.context;
    j["n_embd"] = m.d_model;
    j["n_layer"] = m.n_layer;
    j["n_head"] = m.n_head;
    j["n_inner"] = m.d_ff;
    j["activation_function"] = "gelu_new";
    j["layer_norm_epsilon"] = m.norm_eps;
    for (const char* dropout : gpt2_dropouts) j[dropout] = 0.0;
    j["scale_attn_weights"] = true;
    j["scale_attn_by_inverse_layer_idx"] = false;
    j["reorder_and_upcast_attn"] = false;
  } else {
    j["model_type"] = "llama";
    j["max_position_embeddings"] = m.context;
    j["hidden_size"] = m.d_model;
    j["num_hidden_layers"] = m.n_layer;
    j["num_attention_heads"] = m.n_head;
    j["num_key_value_heads"] = m.kv_heads();
    j["head_dim"] = m.d_head();
    j["intermediate_size"] = m.d_ff;
    j["hidden_act"] = "silu";
    j["rms_norm_eps"] = m.norm_eps;
    j["rope_theta"] = m.rope_base;
    j["rope_scaling"] = nullptr;
    j["attention_bias"] = false;
    j["attention_dropout"] = 0.0;
    j["mlp_bias"] = false;
    j["pretraining_tp"] = 1;
  }
  return j;
}

}  // namespace sinklab::hf
