#include "hf/weight_names.h"

#include <cstring>
#include <set>

#include "engine/error.h"

namespace sinklab::hf {
namespace {

// One Hugging Face tensor and the sinklab parameters it holds: their rows stacked (c_attn holds
// q, k and v), then transposed for GPT-2's Conv1D layout.
struct Link {
  std::vector<std::string> ours;
  std::string theirs;
  bool transposed = false;
  bool cut_rows = false;  // a position table: only the model's first rows are read
};

std::vector<Link> links(const nn::ModelConfig& m, Architecture arch) {
  std::vector<Link> out;
  const bool gpt2 = arch == Architecture::gpt2;
  const std::vector<std::string> params = m.bias ? std::vector<std::string>{"weight", "bias"} : std::vector<std::string>{"weight"};
  if (gpt2) {
    out.push_back({{"tok_emb.weight"}, "transformer.wte.weight"});
    out.push_back({{"pos_emb.weight"}, "transformer.wpe.weight", false, true});
  } else {
    out.push_back({{"tok_emb.weight"}, "model.embed_tokens.weight"});
  }
  for (std::int64_t l = 0; l < m.n_layer; ++l) {
    const std::string ours = fmt::format("blocks.{}.", l);
    if (gpt2) {
      const std::string theirs = fmt::format("transformer.h.{}.", l);
      for (const auto& p : params) {
        const bool matrix = p == "weight";
        out.push_back({{ours + "norm1." + p}, theirs + "ln_1." + p});
        out.push_back({{ours + "attn.wq." + p, ours + "attn.wk." + p, ours + "attn.wv." + p}, theirs + "attn.c_attn." + p, matrix});
        out.push_back({{ours + "attn.wo." + p}, theirs + "attn.c_proj." + p, matrix});
        out.push_back({{ours + "norm2." + p}, theirs + "ln_2." + p});
        out.push_back({{ours + "mlp.fc." + p}, theirs + "mlp.c_fc." + p, matrix});
        out.push_back({{ours + "mlp.proj." + p}, theirs + "mlp.c_proj." + p, matrix});
      }
    } else {
      const std::string theirs = fmt::format("model.layers.{}.", l);
      out.push_back({{ours + "norm1.weight"}, theirs + "input_layernorm.weight"});
      for (auto [a, b] : {std::pair{"wq", "q_proj"}, {"wk", "k_proj"}, {"wv", "v_proj"}, {"wo", "o_proj"}})
        out.push_back({{ours + "attn." + a + ".weight"}, theirs + "self_attn." + b + ".weight"});
      out.push_back({{ours + "norm2.weight"}, theirs + "post_attention_layernorm.weight"});
      for (auto [a, b] : {std::pair{"w1", "gate_proj"}, {"w3", "up_proj"}, {"w2", "down_proj"}})
        out.push_back({{ours + "mlp." + a + ".weight"}, theirs + "mlp." + b + ".weight"});
    }
  }
  for (const auto& p : gpt2 ? params : std::vector<std::string>{"weight"})
    out.push_back({{"norm_f." + p}, (gpt2 ? "transformer.ln_f." : "model.norm.") + p});
  if (!m.tie_embeddings) out.push_back({{"lm_head.weight"}, "lm_head.weight"});
  return out;
}

Tensor transpose(const Tensor& t) {
  const std::int64_t rows = t.shape()[0], cols = t.shape()[1];
  Tensor out = Tensor::empty({cols, rows});
  const float* in = t.data<float>();
  float* o = out.data<float>();
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) o[c * rows + r] = in[r * cols + c];
  return out;
}

// Buffers some checkpoints carry beside the weights (GPT-2's causal mask, Llama's RoPE
// frequencies): sinklab computes them.
bool is_buffer(const std::string& name) {
  for (const char* end : {".attn.bias", ".attn.masked_bias", ".rotary_emb.inv_freq"})
    if (name.size() > std::strlen(end) && name.compare(name.size() - std::strlen(end), std::string::npos, end) == 0) return true;
  return false;
}

// GPT-2 checkpoints saved from the bare GPT2Model have no "transformer." prefix.
std::string canonical_name(const std::string& name, Architecture arch) {
  if (arch == Architecture::gpt2 && name.rfind("transformer.", 0) != 0 && name != "lm_head.weight") return "transformer." + name;
  return name;
}

}  // namespace

io::TensorList to_hf(const nn::NamedTensors& params, const nn::ModelConfig& model, Architecture arch) {
  std::map<std::string, Tensor> by_name(params.begin(), params.end());
  io::TensorList out;
  for (const Link& link : links(model, arch)) {
    std::vector<float> rows;
    std::int64_t count = 0;
    Shape shape;
    for (const auto& name : link.ours) {
      const Tensor& t = by_name.at(name);
      const auto values = t.to_vector<float>();
      rows.insert(rows.end(), values.begin(), values.end());
      count += t.shape()[0];
      shape = t.shape();
    }
    shape[0] = count;
    Tensor t = Tensor::from_vector(rows, shape);
    out.emplace_back(link.theirs, link.transposed ? transpose(t) : t);
  }
  return out;
}

void load_from_hf(std::map<std::string, Tensor> tensors, const nn::NamedTensors& params, const nn::ModelConfig& model,
                  Architecture arch, const std::string& where) {
  std::map<std::string, Tensor> theirs;
  while (!tensors.empty()) {
    auto node = tensors.extract(tensors.begin());
    if (is_buffer(node.key())) continue;
    const std::string key = canonical_name(node.key(), arch);
    if (node.mapped().dtype() != DType::f32)
      fail("{}: tensor '{}' is {}; weights are F32, F16 or BF16", where, node.key(), dtype_name(node.mapped().dtype()));
    if (!theirs.emplace(key, std::move(node.mapped())).second) fail("{}: tensor '{}' appears twice", where, key);
  }
  std::map<std::string, Tensor> ours(params.begin(), params.end());
  std::set<std::string> filled;
  for (const Link& link : links(model, arch)) {
    auto it = theirs.find(link.theirs);
    if (it == theirs.end()) fail("{}: the checkpoint has no tensor '{}'", where, link.theirs);
    Shape want = ours.at(link.ours.front()).shape();
    std::int64_t rows = 0;
    for (const auto& name : link.ours) rows += ours.at(name).shape()[0];
    want[0] = rows;
    const Tensor& stored = it->second;
    const Tensor t = link.transposed && stored.dim() == 2 ? transpose(stored) : stored;
    const bool cut = link.cut_rows && t.dim() == 2 && t.shape()[0] > rows && t.shape()[1] == want[1];
    if (t.shape() != want && !cut)
      fail("{}: tensor '{}' has shape {}; the model described by config.json needs {}", where, link.theirs, to_string(stored.shape()),
           to_string(link.transposed ? Shape{want[1], want[0]} : want));
    const float* at = t.data<float>();
    for (const auto& name : link.ours) {
      Tensor& p = ours.at(name);
      std::memcpy(p.data<float>(), at, static_cast<std::size_t>(p.numel()) * sizeof(float));
      at += p.numel();
      filled.insert(name);
    }
    theirs.erase(it);
  }
  // A tied checkpoint may still carry its output head: the same values as the embedding.
  if (auto head = theirs.find("lm_head.weight"); head != theirs.end() && model.tie_embeddings) {
    if (head->second.to_vector<float>() != ours.at("tok_emb.weight").to_vector<float>())
      fail("{}: 'lm_head.weight' differs from the token embedding, but config.json ties them (\"tie_word_embeddings\")", where);
    theirs.erase(head);
  }
  if (!theirs.empty())
    fail("{}: tensor '{}' is not part of a {} sinklab reads ({} left over)", where, theirs.begin()->first, class_name(arch), theirs.size());
  for (const auto& [name, p] : params)
    if (!filled.count(name)) fail("{}: nothing in the checkpoint fills '{}'", where, name);
}

}  // namespace sinklab::hf
