#include "train/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "data/manifest.h"
#include "engine/error.h"
#include "io/yaml_file.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;

struct Origin {
  std::string file;
  int line = -1;  // 0-based; -1 when not from a file line
  std::string where() const { return line >= 0 ? fmt::format("{}:{}", file, line + 1) : file; }
};

struct Entry {
  YAML::Node value;
  Origin origin;
};

using Flat = std::map<std::string, Entry>;

[[noreturn]] void bad(const Entry& e, const std::string& key, const std::string& message) {
  fail("{}: {}: {}", e.origin.where(), key, message);
}

std::string shown(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  return n.IsSequence() ? "a list" : n.IsMap() ? "a mapping" : "nothing";
}

// ---- converting YAML values to typed fields -------------------------------------------------

template <class T>
struct EnumNames;
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
struct EnumNames<optim::DecayPolicy> {
  static constexpr std::array<std::pair<const char*, optim::DecayPolicy>, 3> values{
      {{"matrices", optim::DecayPolicy::matrices}, {"all", optim::DecayPolicy::all}, {"none", optim::DecayPolicy::none}}};
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
struct EnumNames<nn::SinkLogit> {
  static constexpr std::array<std::pair<const char*, nn::SinkLogit>, 3> values{
      {{"none", nn::SinkLogit::none}, {"learned", nn::SinkLogit::learned}, {"zero", nn::SinkLogit::zero}}};
};

template <class T>
concept IsEnum = std::is_enum_v<T>;

template <class T>
T convert(const Entry& e, const std::string& key) {
  const YAML::Node& n = e.value;
  if constexpr (std::is_same_v<T, std::vector<double>>) {
    if (!n.IsSequence()) bad(e, key, "expected a list of numbers, got " + shown(n));
    std::vector<double> out;
    for (const auto& item : n) out.push_back(convert<double>({item, e.origin}, key));
    return out;
  } else {
    if (!n.IsScalar()) bad(e, key, fmt::format("expected a single value, got {}", shown(n)));
    if constexpr (IsEnum<T>) {
      std::vector<std::string> names;
      for (const auto& [name, value] : EnumNames<T>::values) {
        if (n.Scalar() == name) return value;
        names.push_back(name);
      }
      bad(e, key, fmt::format("'{}' is not one of: {}", n.Scalar(), fmt::join(names, ", ")));
    } else {
      try {
        if constexpr (std::is_same_v<T, std::string>) return n.Scalar();
        else if constexpr (std::is_same_v<T, bool>) return n.as<bool>();
        else if constexpr (std::is_integral_v<T>) {
          // yaml-cpp accepts 1e3 for integers in some versions; insist on digits.
          const std::string& s = n.Scalar();
          if (s.empty() || s.find_first_not_of("+-0123456789") != std::string::npos) throw YAML::BadConversion(n.Mark());
          return n.as<T>();
        } else {
          const T v = n.as<T>();
          if (!std::isfinite(v)) bad(e, key, fmt::format("expected a finite number, got {}", shown(n)));
          return v;
        }
      } catch (const YAML::BadConversion&) {
        const char* what = std::is_same_v<T, bool> ? "true or false" : std::is_integral_v<T> ? "an integer" : "a number";
        bad(e, key, fmt::format("expected {}, got {}", what, shown(n)));
      }
    }
  }
}

template <class T>
YAML::Node to_node(const T& v) {
  if constexpr (std::is_floating_point_v<T>) {
    return YAML::Node(fmt::format("{}", v));  // the shortest text that reads back to the same double
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (double x : v) seq.push_back(to_node(x));
    return seq;
  } else if constexpr (IsEnum<T>) {
    for (const auto& [name, value] : EnumNames<T>::values)
      if (value == v) return YAML::Node(std::string(name));
    return YAML::Node("?");
  } else {
    return YAML::Node(v);
  }
}

// ---- the schema: every key a config may hold ------------------------------------------------

struct Key {
  std::string path, doc;
  std::function<void(Config&, const Entry&)> set;
  std::function<YAML::Node(const Config&)> get;
};

template <class Access>
Key field(std::string path, std::string doc, Access access) {
  using T = std::remove_cvref_t<decltype(access(std::declval<Config&>()))>;
  return {path, std::move(doc), [access, path](Config& c, const Entry& e) { access(c) = convert<T>(e, path); },
          [access](const Config& c) { return to_node(access(const_cast<Config&>(c))); }};
}

#define SINKLAB_FIELD(path, member, doc) field(path, doc, [](Config& c) -> auto& { return c.member; })

const std::vector<Key>& schema() {
  static const std::vector<Key> keys = [] {
    std::vector<Key> k;
    k.push_back(SINKLAB_FIELD("seed", seed, "seed of initialisation, data order, validation batches and probe set"));
    k.push_back(SINKLAB_FIELD("data.name", data.name, "tinystories | tinystories-full | wikitext2 | wikitext103 | text | random | synthetic"));
    k.push_back(SINKLAB_FIELD("data.path", data.path, "data.name text: the training file"));
    k.push_back(SINKLAB_FIELD("data.valid_path", data.valid_path, "data.name text: the validation file"));
    k.push_back(SINKLAB_FIELD("data.train_split", data.train_split, "manifest split to train on (train | valid | test)"));
    k.push_back(SINKLAB_FIELD("data.valid_split", data.valid_split, "manifest split to validate on"));
    k.push_back(SINKLAB_FIELD("data.tokenizer", data.tokenizer, "byte | bpe (SentencePiece, trained on the training split)"));
    k.push_back(SINKLAB_FIELD("data.vocab_size", data.vocab_size, "BPE vocabulary size (byte level is always 258; leave it at its default with tokenizer: byte)"));
    k.push_back(SINKLAB_FIELD("data.context", data.context, "tokens per sequence (the model's context)"));
    k.push_back(SINKLAB_FIELD("data.bos", data.bos, "start every sequence with BOS"));
    k.push_back(SINKLAB_FIELD("data.window", data.window, "document | random: where sequences start"));
    k.push_back(SINKLAB_FIELD("data.task", data.task, "synthetic: bigram-backcopy | switch (docs/experiments.md)"));
    k.push_back(SINKLAB_FIELD("data.symbols", data.symbols, "synthetic: ordinary tokens V (BOS and EOS come on top)"));
    k.push_back(SINKLAB_FIELD("data.triggers", data.triggers, "synthetic: trigger tokens, drawn from the seed"));
    k.push_back(SINKLAB_FIELD("data.first", data.first, "synthetic: bos | random: what fills the first position (data.bos on)"));
    k.push_back(SINKLAB_FIELD("data.dirichlet", data.dirichlet, "bigram-backcopy: concentration of the random bigram rows"));
    k.push_back(SINKLAB_FIELD("data.bigram_from", data.bigram_from, "bigram-backcopy: estimate bigrams of the top bytes of this text file"));
    k.push_back(SINKLAB_FIELD("model.d_model", model.d_model, "residual width"));
    k.push_back(SINKLAB_FIELD("model.n_layer", model.n_layer, "number of blocks"));
    k.push_back(SINKLAB_FIELD("model.n_head", model.n_head, "attention heads (must divide d_model)"));
    k.push_back(SINKLAB_FIELD("model.d_ff", model.d_ff, "MLP hidden width"));
    k.push_back(SINKLAB_FIELD("model.norm", model.norm, "layernorm | rmsnorm"));
    k.push_back(SINKLAB_FIELD("model.pos", model.pos, "learned | rope | none"));
    k.push_back(SINKLAB_FIELD("model.mlp", model.mlp, "gelu | swiglu"));
    k.push_back(SINKLAB_FIELD("model.bias", model.bias, "biases in linear layers and layernorm"));
    k.push_back(SINKLAB_FIELD("model.tie_embeddings", model.tie_embeddings, "output head shares the token embedding"));
    k.push_back(SINKLAB_FIELD("model.norm_eps", model.norm_eps, "epsilon of the norms"));
    k.push_back(SINKLAB_FIELD("model.rope_base", model.rope_base, "RoPE base frequency"));
    k.push_back(SINKLAB_FIELD("model.init_std", model.init_std, "std of the normal init (residual projections: / sqrt(2 n_layer))"));
    k.push_back(SINKLAB_FIELD("model.attention.kind", model.attention.kind, "softmax | sigmoid"));
    k.push_back(SINKLAB_FIELD("model.attention.normalize", model.attention.normalize, "sigmoid: divide each row by its sum"));
    k.push_back(SINKLAB_FIELD("model.attention.sigmoid_bias", model.attention.sigmoid_bias, "sigmoid: b in sigmoid(q.k/sqrt(d) + b)"));
    k.push_back(SINKLAB_FIELD("model.attention.gate", model.attention.gate, "none | elementwise | headwise output gate"));
    k.push_back(SINKLAB_FIELD("model.attention.registers", model.attention.registers, "learned register vectors before BOS"));
    k.push_back(SINKLAB_FIELD("model.attention.sink_logit", model.attention.sink_logit, "none | learned | zero"));
    k.push_back(SINKLAB_FIELD("model.attention.qk_norm", model.attention.qk_norm, "RMSNorm on q and k per head"));
    k.push_back(SINKLAB_FIELD("optim.lr", optim.lr, "peak learning rate"));
    k.push_back(SINKLAB_FIELD("optim.min_lr", optim.min_lr, "learning rate at the end of the cosine"));
    k.push_back(SINKLAB_FIELD("optim.warmup", optim.warmup, "linear warmup steps"));
    k.push_back({"optim.betas", "AdamW [beta1, beta2]",
                 [](Config& c, const Entry& e) {
                   const auto betas = convert<std::vector<double>>(e, "optim.betas");
                   if (betas.size() != 2) bad(e, "optim.betas", fmt::format("expected two numbers [beta1, beta2], got {}", betas.size()));
                   c.optim.adamw.beta1 = betas[0];
                   c.optim.adamw.beta2 = betas[1];
                 },
                 [](const Config& c) { return to_node(std::vector<double>{c.optim.adamw.beta1, c.optim.adamw.beta2}); }});
    k.push_back(SINKLAB_FIELD("optim.eps", optim.adamw.eps, "AdamW epsilon"));
    k.push_back(SINKLAB_FIELD("optim.weight_decay", optim.adamw.weight_decay, "decoupled weight decay"));
    k.push_back(SINKLAB_FIELD("optim.decay", optim.adamw.decay, "matrices | all | none: which parameters decay"));
    k.push_back(SINKLAB_FIELD("optim.clip", optim.clip, "global gradient-norm clip (0: off)"));
    k.push_back(SINKLAB_FIELD("train.steps", train.steps, "optimizer steps"));
    k.push_back(SINKLAB_FIELD("train.batch_size", train.batch_size, "sequences per micro-batch"));
    k.push_back(SINKLAB_FIELD("train.grad_accum", train.grad_accum, "micro-batches per optimizer step"));
    k.push_back(SINKLAB_FIELD("train.eval_every", train.eval_every, "validation every N steps (0: only at the end)"));
    k.push_back(SINKLAB_FIELD("train.eval_batches", train.eval_batches, "fixed validation batches"));
    k.push_back(SINKLAB_FIELD("train.checkpoint_every", train.checkpoint_every, "checkpoint every N steps (0: only at the end)"));
    k.push_back(SINKLAB_FIELD("train.keep_checkpoints", train.keep_checkpoints, "how many recent checkpoints to keep"));
    k.push_back(SINKLAB_FIELD("train.threads", train.threads, "threads (0: all cores)"));
    k.push_back(SINKLAB_FIELD("train.log_every", train.log_every, "progress line every N steps when not on a terminal"));
    k.push_back(SINKLAB_FIELD("analysis.every", analysis.every, "analyse every N steps, at step 0 and at the end (0: off)"));
    k.push_back(SINKLAB_FIELD("analysis.probe_sequences", analysis.probe_sequences, "probe sequences from the validation split"));
    k.push_back(SINKLAB_FIELD("analysis.probe_length", analysis.probe_length, "tokens per probe sequence"));
    k.push_back(SINKLAB_FIELD("analysis.eps", analysis.eps, "thresholds of the sink and diagonal rates"));
    k.push_back(SINKLAB_FIELD("analysis.delta", analysis.delta, "switch-like heads: sink + diagonal score > 1 - delta"));
    k.push_back(SINKLAB_FIELD("analysis.snapshot_every", analysis.snapshot_every, "attention snapshot every Nth analysis"));
    return k;
  }();
  return keys;
}

// ---- reading files --------------------------------------------------------------------------

void flatten(const YAML::Node& node, const std::string& prefix, const std::string& file, Flat& out) {
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (item.second.IsMap()) {
      flatten(item.second, path, file, out);
    } else {
      const Entry entry{item.second, {file, item.first.Mark().line}};
      const auto [at, fresh] = out.emplace(path, entry);
      if (!fresh) bad(entry, path, fmt::format("given twice (also at {})", at->second.origin.where()));
    }
  }
}

Flat read_file(const fs::path& file, std::vector<fs::path>& chain) {
  // The forms with an error code: an `extends:` can name a path the system refuses to look up
  // (too long, a symlink loop), and the throwing forms would throw std::filesystem_error.
  std::error_code ec;
  const bool exists = fs::exists(file, ec);
  fs::path canonical;
  if (!ec) canonical = fs::weakly_canonical(file, ec);
  if (ec) fail("{}: cannot look up the config file ({})", file.string(), ec.message());
  if (!exists && !chain.empty()) fail("{}: config file not found (extended by {})", file.string(), chain.back().string());
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) fail("{}: `extends` forms a cycle", file.string());
  const YAML::Node root = io::read_yaml_file(file, "config file");
  if (root.IsNull()) fail("{}: the config file is empty", file.string());
  if (!root.IsMap()) fail("{}: a config must be a mapping of sections (data, model, optim, train, ...)", file.string());
  Flat flat;
  if (root["extends"]) {
    const auto base = root["extends"];
    if (!base.IsScalar()) fail("{}:{}: extends: expected a file name", file.string(), base.Mark().line + 1);
    chain.push_back(canonical);
    flat = read_file(file.parent_path() / base.Scalar(), chain);
    chain.pop_back();
  }
  Flat own;
  flatten(root, "", file.string(), own);
  own.erase("extends");
  for (auto& [k, v] : own) flat[k] = v;
  return flat;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(const std::string& key) {
  std::string best;
  std::size_t best_d = 4;
  for (const auto& k : schema()) {
    const std::size_t d = edit_distance(key, k.path);
    if (d < best_d) best_d = d, best = k.path;
  }
  return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
}

// ---- checks across keys ---------------------------------------------------------------------

void validate(const Config& c, const Flat& flat) {
  auto check = [&](bool ok, const std::string& key, const std::string& message) {
    if (ok) return;
    auto it = flat.find(key);
    const std::string where = it != flat.end() ? it->second.origin.where() : c.source + " (default value)";
    fail("{}: {}: {}", where, key, message);
  };
  auto one_of = [&](const std::string& value, std::initializer_list<const char*> allowed, const std::string& key) {
    for (const char* a : allowed)
      if (value == a) return;
    check(false, key, fmt::format("'{}' is not one of: {}", value, fmt::join(allowed, ", ")));
  };
  {
    std::vector<std::string> names;
    for (const auto& d : data::manifest()) names.push_back(d.name);
    names.push_back("text");
    names.push_back("random");
    names.push_back("synthetic");
    check(std::find(names.begin(), names.end(), c.data.name) != names.end(), "data.name",
          fmt::format("'{}' is not one of: {}", c.data.name, fmt::join(names, ", ")));
  }
  // Keys of the other kind of data must keep their defaults (a resolved config holds every key).
  const bool synthetic = c.data.name == "synthetic";
  const data::DataConfig d0;
  const auto& d = c.data;
  for (auto [key, changed] : {std::pair{"data.task", d.task != d0.task}, {"data.symbols", d.symbols != d0.symbols},
                              {"data.triggers", d.triggers != d0.triggers}, {"data.first", d.first != d0.first},
                              {"data.dirichlet", d.dirichlet != d0.dirichlet}, {"data.bigram_from", d.bigram_from != d0.bigram_from}})
    check(synthetic || !changed, key, fmt::format("only applies to data.name: synthetic (data.name is '{}')", d.name));
  for (auto [key, changed] : {std::pair{"data.path", d.path != d0.path}, {"data.valid_path", d.valid_path != d0.valid_path},
                              {"data.train_split", d.train_split != d0.train_split}, {"data.valid_split", d.valid_split != d0.valid_split},
                              {"data.tokenizer", d.tokenizer != d0.tokenizer}, {"data.vocab_size", d.vocab_size != d0.vocab_size},
                              {"data.window", d.window != d0.window}})
    check(!synthetic || !changed, key, "does not apply to data.name: synthetic (its vocabulary is data.symbols + BOS + EOS)");
  if (synthetic) {
    one_of(d.task, {"bigram-backcopy", "switch"}, "data.task");
    check(d.symbols >= 2 && d.symbols <= 65533, "data.symbols", fmt::format("must be in [2, 65533], got {}", d.symbols));
    check(d.triggers >= 1 && d.triggers < d.symbols, "data.triggers",
          fmt::format("must be in [1, data.symbols - 1 = {}], got {}", d.symbols - 1, d.triggers));
    one_of(d.first, {"bos", "random"}, "data.first");
    check(d.bos || d.first == d0.first, "data.first", "needs data.bos: true (without it there is no first position to fill)");
    check(d.dirichlet > 0, "data.dirichlet", fmt::format("must be positive, got {}", d.dirichlet));
    check(d.task == "bigram-backcopy" || d.bigram_from.empty(), "data.bigram_from", "only applies to data.task: bigram-backcopy");
    check(d.task == "bigram-backcopy" || d.dirichlet == d0.dirichlet, "data.dirichlet", "only applies to data.task: bigram-backcopy");
    check(d.bigram_from.empty() || d.dirichlet == d0.dirichlet, "data.dirichlet", "the bigrams come from data.bigram_from; drop one of the two");
  }
  one_of(c.data.tokenizer, {"byte", "bpe"}, "data.tokenizer");
  one_of(c.data.window, {"document", "random"}, "data.window");
  if (c.data.name == "text") check(!c.data.path.empty(), "data.path", "data.name text needs data.path (and data.valid_path)");
  if (c.data.name == "text") check(!c.data.valid_path.empty(), "data.valid_path", "data.name text needs data.valid_path");
  check(c.data.name != "random" || (c.data.vocab_size >= 3 && c.data.vocab_size <= 65535), "data.vocab_size",
        fmt::format("random data needs a vocabulary in [3, 65535], got {}", c.data.vocab_size));
  check(c.data.name == "random" || synthetic || c.data.tokenizer != "byte" || c.data.vocab_size == d0.vocab_size,
        "data.vocab_size", "only applies to data.tokenizer: bpe (the byte-level vocabulary is 256 bytes + BOS + EOS)");
  check(c.data.name == "random" || synthetic || c.data.tokenizer != "bpe" || (c.data.vocab_size >= 300 && c.data.vocab_size <= 65535), "data.vocab_size",
        fmt::format("must be in [300, 65535] for bpe, got {}", c.data.vocab_size));
  check(c.data.context >= 2, "data.context", fmt::format("must be at least 2, got {}", c.data.context));
  for (auto [key, v] : {std::pair{"model.d_model", c.model.d_model}, {"model.n_layer", c.model.n_layer},
                        {"model.n_head", c.model.n_head}, {"model.d_ff", c.model.d_ff}})
    check(v > 0, key, fmt::format("must be positive, got {}", v));
  check(c.model.d_model % c.model.n_head == 0, "model.n_head",
        fmt::format("d_model {} is not divisible by n_head {}", c.model.d_model, c.model.n_head));
  check(c.model.pos != nn::PosKind::rope || c.model.d_head() % 2 == 0, "model.pos",
        fmt::format("rope needs an even head size, d_model / n_head = {}", c.model.d_head()));
  check(c.model.norm_eps > 0, "model.norm_eps", "must be positive");
  const auto& a = c.model.attention;
  check(a.registers >= 0 && a.registers <= 256, "model.attention.registers", fmt::format("must be in [0, 256], got {}", a.registers));
  check(a.kind == nn::AttentionKind::softmax || a.sink_logit == nn::SinkLogit::none, "model.attention.sink_logit",
        "a sink logit is an extra softmax column; with kind: sigmoid use sink_logit: none");
  check(a.kind == nn::AttentionKind::sigmoid || !a.normalize, "model.attention.normalize",
        "only applies to kind: sigmoid (softmax rows always sum to one)");
  check(a.kind == nn::AttentionKind::sigmoid || a.sigmoid_bias == 0, "model.attention.sigmoid_bias", "only applies to kind: sigmoid");
  check(c.model.init_std > 0, "model.init_std", "must be positive");
  check(c.optim.lr > 0, "optim.lr", fmt::format("must be positive, got {}", c.optim.lr));
  check(c.optim.min_lr >= 0 && c.optim.min_lr <= c.optim.lr, "optim.min_lr",
        fmt::format("must be in [0, optim.lr = {}], got {}", c.optim.lr, c.optim.min_lr));
  check(c.optim.warmup >= 0, "optim.warmup", "must not be negative");
  for (double b : {c.optim.adamw.beta1, c.optim.adamw.beta2}) check(b >= 0 && b < 1, "optim.betas", "each beta must be in [0, 1)");
  check(c.optim.adamw.eps > 0, "optim.eps", "must be positive");
  check(c.optim.adamw.weight_decay >= 0, "optim.weight_decay", "must not be negative");
  check(c.optim.clip >= 0, "optim.clip", "must not be negative (0 turns clipping off)");
  for (auto [key, v] : {std::pair{"train.steps", c.train.steps}, {"train.batch_size", c.train.batch_size},
                        {"train.grad_accum", c.train.grad_accum}, {"train.eval_batches", c.train.eval_batches},
                        {"train.keep_checkpoints", c.train.keep_checkpoints}, {"train.log_every", c.train.log_every}})
    check(v > 0, key, fmt::format("must be positive, got {}", v));
  check(c.analysis.every >= 0, "analysis.every", fmt::format("must not be negative (0 turns analysis off), got {}", c.analysis.every));
  check(c.analysis.probe_sequences >= 1, "analysis.probe_sequences", "must be at least 1");
  check(c.analysis.probe_length >= 2, "analysis.probe_length", "must be at least 2");
  check(!c.analysis.eps.empty(), "analysis.eps", "needs at least one threshold");
  for (double e : c.analysis.eps) check(e > 0 && e < 1, "analysis.eps", fmt::format("thresholds must be in (0, 1), got {}", e));
  check(c.analysis.delta >= 0 && c.analysis.delta < 1, "analysis.delta", "must be in [0, 1)");
  check(c.analysis.snapshot_every >= 0, "analysis.snapshot_every", "must not be negative (0: first and last only)");
  for (auto [key, v] : {std::pair{"train.eval_every", c.train.eval_every}, {"train.checkpoint_every", c.train.checkpoint_every},
                        {"train.threads", c.train.threads}})
    check(v >= 0, key, fmt::format("must not be negative, got {}", v));
}

}  // namespace

Config load_config(const fs::path& file, const std::vector<std::string>& overrides) {
  std::vector<fs::path> chain;
  Flat flat = read_file(file, chain);
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) fail("--set {}: expected key=value", o);
    const YAML::Node value = io::parse_yaml(o.substr(eq + 1), "--set " + o);
    if (value.IsMap()) fail("--set {}: the value is a mapping; set each dotted key on its own", o);
    flat[o.substr(0, eq)] = {value, {"--set " + o, -1}};
  }
  Config config;
  config.source = file.string();
  std::map<std::string, const Key*> by_path;
  for (const auto& k : schema()) by_path[k.path] = &k;
  for (const auto& [key, entry] : flat) {
    auto it = by_path.find(key);
    if (it == by_path.end()) fail("{}: unknown key '{}'{}", entry.origin.where(), key, suggestion(key));
    it->second->set(config, entry);
  }
  validate(config, flat);
  config.model.context = config.data.context;
  return config;
}

std::string resolved_yaml(const Config& config) {
  // Keys nest by their dots, in schema order: a small tree, then one emitter pass.
  // Each node carries its own name: a vector of (name, Tree) pairs would need Tree complete
  // inside its own definition, which clang refuses.
  struct Tree {
    std::string name;
    std::vector<Tree> children;
    YAML::Node value;
    Tree& child(const std::string& child_name) {
      for (auto& t : children)
        if (t.name == child_name) return t;
      return children.emplace_back(Tree{child_name, {}, {}});
    }
  } root;
  for (const auto& k : schema()) {
    Tree* node = &root;
    std::string rest = k.path;
    for (std::size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1)) node = &node->child(rest.substr(0, dot));
    node->child(rest).value = k.get(config);
  }
  YAML::Emitter out;
  const std::function<void(const Tree&)> emit = [&](const Tree& t) {
    out << YAML::BeginMap;
    for (const auto& child : t.children) {
      out << YAML::Key << child.name << YAML::Value;
      if (child.children.empty()) {
        if (child.value.IsSequence()) out << YAML::Flow;
        out << child.value;
      } else {
        emit(child);
      }
    }
    out << YAML::EndMap;
  };
  emit(root);
  return std::string(out.c_str()) + "\n";
}

std::vector<std::pair<std::string, std::string>> config_keys() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : schema()) out.emplace_back(k.path, k.doc);
  return out;
}

}  // namespace sinklab::train
