#include "hf/import.h"

#include <algorithm>
#include <cstring>

#include "data/dataset.h"
#include "data/fetch.h"
#include "data/manifest.h"
#include "data/tokenizer_files.h"
#include "engine/error.h"
#include "hf/architecture.h"
#include "hf/checkpoint_files.h"
#include "hf/weight_names.h"
#include "io/atomic_file.h"
#include "io/sha256.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/memory_estimate.h"
#include "train/run_folder.h"
#include "train/saved_run.h"

namespace sinklab::hf {
namespace {

namespace fs = std::filesystem;

// The tokenizer kind whose files the folder holds: GPT-2's byte-level BPE or a SentencePiece model.
std::string tokenizer_kind(const fs::path& dir) {
  for (const char* kind : data::hf_tokenizer_kinds) {
    bool all = true;
    for (const auto& f : data::tokenizer_files(kind).required) all = all && fs::is_regular_file(dir / f);
    if (all) return kind;
  }
  fail("{}: no tokenizer sinklab reads: GPT-2's {} + {}, or a SentencePiece {}{}", dir.string(), data::gpt2_vocab_file,
       data::gpt2_merges_file, data::sentencepiece_model_file,
       fs::exists(dir / "tokenizer.json") ? " (a tokenizer.json alone, the fast tokenizer's file, is not read)" : "");
}

// The run's data set, fetched when it is one sinklab knows and is not here yet: analyze, eval and
// continued training read it. Without a network it is said, not fatal: the weights are imported.
void fetch_run_data(const data::DataConfig& d, std::ostream& log) {
  bool known = false;
  for (const auto& set : data::manifest()) known = known || set.name == d.name;
  if (!known) return;
  bool present = true;
  for (const auto& split : {d.train_split, d.valid_split}) present = present && std::filesystem::exists(data::split_path(d.name, split));
  if (present) return;
  try {
    data::fetch_dataset(d.name, {d.train_split, d.valid_split}, log);
  } catch (const Error& e) {
    log << fmt::format("  note: the run's data set {} could not be fetched ({}); analyze, eval and train need it: sinklab data fetch {}\n",
                       d.name, e.what(), d.name);
  }
}

std::string format_count(std::int64_t n) {
  return n >= 1'000'000 ? fmt::format("{:.1f}M", static_cast<double>(n) / 1e6) : fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
}

}  // namespace

fs::path import_hf(const ImportOptions& opt, std::ostream& log) {
  // What can be checked without the run folder is checked before it is created; a later failure
  // removes the folder again (RunFolder).
  if (!fs::is_directory(opt.source)) fail("{}: not a folder (import hf reads a Hugging Face checkpoint folder)", opt.source.string());
  train::check_folder_name(opt.name, "--name");
  for (const auto& o : opt.overrides)
    for (const char* own : {"model.", "data.tokenizer="})
      if (o.rfind(own, 0) == 0)
        fail("--set {}: {} comes from the checkpoint ({}), not from settings", o, o.substr(0, o.find('=')),
             std::strcmp(own, "model.") == 0 ? (opt.source / config_file).string() : "its tokenizer files");
  const HfConfig hf = read_config(opt.source / config_file);
  const std::string kind = tokenizer_kind(opt.source);
  std::vector<std::string> overrides = opt.overrides;
  overrides.push_back("data.tokenizer=" + kind);
  train::Config config = train::load_config(opt.config_file, overrides);
  // The checkpoint's context, or a shorter one the settings ask for (--set, or a config file whose
  // data.context is not the default).
  bool context_given = std::any_of(opt.overrides.begin(), opt.overrides.end(), [](const std::string& o) { return o.rfind("data.context=", 0) == 0; });
  if (!opt.config_file.empty()) context_given = context_given || train::load_config(opt.config_file).data.context != train::Config{}.data.context;
  const std::int64_t context = context_given ? config.data.context : hf.model.context;
  if (context > hf.model.context)
    fail("data.context {} is longer than the checkpoint's context {} ({})", context, hf.model.context, (opt.source / config_file).string());
  config.data.context = context;
  config.model = hf.model;
  config.model.context = context;
  train::check_memory(train::import_memory(config, hf.model.vocab_size), "importing " + opt.source.string());
  std::map<std::string, Tensor> tensors = read_weights(opt.source);

  train::RunFolder folder(opt.runs_dir, opt.name, false);
  const fs::path run_dir = folder.path();
  io::write_file_atomic(run_dir / train::run_marker, train::resolved_yaml(config));
  config = train::load_config(run_dir / train::run_marker);  // what every later command reads, checked by its rules
  nlohmann::json files = nlohmann::json::object();
  const auto files_of = data::tokenizer_files(kind);
  for (const auto* list : {&files_of.required, &files_of.optional})
    for (const auto& f : *list)
      if (fs::is_regular_file(opt.source / f)) {
        fs::copy_file(opt.source / f, run_dir / f);
        files[f] = io::sha256_file(run_dir / f);
      }
  const auto tokenizer = data::load_tokenizer(config.data, run_dir);
  if (tokenizer->vocab_size() != hf.model.vocab_size)
    fail("{}: \"vocab_size\" is {} but the tokenizer has {} tokens; sinklab sizes the embedding from the tokenizer",
         (opt.source / config_file).string(), hf.model.vocab_size, tokenizer->vocab_size());
  const nn::ModelConfig m = train::model_config(config, *tokenizer);
  nn::Transformer model(m, config.seed);
  load_from_hf(std::move(tensors), model.named_parameters(), m, hf.arch, opt.source.string());
  train::save_checkpoint(run_dir, model, nullptr, train::TrainingState{}, config.train.keep_checkpoints);
  for (const auto& f : weight_files(opt.source)) files[f.filename().string()] = io::sha256_file(f);
  files[config_file] = io::sha256_file(opt.source / config_file);
  nlohmann::json record{{"source", fs::absolute(opt.source).lexically_normal().string()},
                        {"architecture", class_name(hf.arch)},
                        {"tokenizer", kind},
                        {"sha256", files}};
  io::write_file_atomic(run_dir / import_record, record.dump(2) + "\n");
  folder.keep();

  fetch_run_data(config.data, log);
  log << fmt::format("imported {} from {}: {} layers, {} heads ({} key/value), d_model {}, context {}{}, vocab {}, {} parameters\n",
                     class_name(hf.arch), opt.source.string(), m.n_layer, m.n_head, m.kv_heads(), m.d_model, context,
                     context < hf.model.context ? fmt::format(" (of {})", hf.model.context) : "", m.vocab_size,
                     format_count(model.parameter_count()));
  for (const auto& note : hf.notes) log << "  note: " << note << "\n";
  log << fmt::format("wrote {} at step 0; next: sinklab analyze {}, sinklab eval {}, sinklab sample {}\n", run_dir.string(),
                     opt.name, opt.name, opt.name);
  return run_dir;
}

}  // namespace sinklab::hf
