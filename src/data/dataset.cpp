#include "data/dataset.h"

#include <chrono>

#include "data/documents.h"
#include "data/fetch.h"
#include "data/gpt2_tokenizer.h"
#include "data/loader.h"
#include "data/manifest.h"
#include "data/tokenizer_files.h"
#include "engine/error.h"
#include "engine/rng.h"
#include "io/sha256.h"

namespace sinklab::data {
namespace {

namespace fs = std::filesystem;

fs::path resolve_split(const DataConfig& c, const std::string& split, const std::string& text_path) {
  if (c.name == "text") {
    if (!fs::exists(text_path)) fail("{}: data file not found (data.path / data.valid_path)", text_path);
    if (!fs::is_regular_file(text_path))
      fail("{}: data.path and data.valid_path must name regular files (not a device, pipe or folder)", text_path);
    return text_path;
  }
  const fs::path p = split_path(c.name, split);
  if (!fs::exists(p))
    fail("data set '{}' split '{}' is missing ({}). Fetch it with: sinklab data fetch {}  "
         "(offline: SINKLAB_DATA_MIRROR=../shared/data sinklab data fetch {})",
         c.name, split, p.string(), c.name, c.name);
  return p;
}

TextFormat format_of(const DataConfig& c) { return c.name == "text" ? TextFormat::plain : dataset_info(c.name).format; }

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::unique_ptr<TokenFile> tokenize(const fs::path& text_file, const std::string& text_sha, TextFormat format,
                                    const Tokenizer& tok, std::ostream& log) {
  const fs::path cache = data_dir() / "cache" / "tokens" /
                         fmt::format("{}-{}-{}.bin", text_sha.substr(0, 16), tok.key(), static_cast<int>(format));
  if (fs::exists(cache)) {
    auto file = std::make_unique<TokenFile>(cache);
    if (file->header().tokenizer_key == tok.key() && file->header().source_sha256 == text_sha &&
        file->header().vocab_size == static_cast<std::uint64_t>(tok.vocab_size()))
      return file;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::string text = read_text_file(text_file);
  const auto docs = split_documents(text, format);
  if (docs.empty()) fail("{}: no documents found", text_file.string());
  log << "tokenizing " << text_file.string() << " (" << docs.size() << " documents) ... " << std::flush;
  std::vector<std::vector<std::int32_t>> encoded(docs.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (std::size_t i = 0; i < docs.size(); ++i) {
    encoded[i] = tok.encode(docs[i]);
    encoded[i].push_back(tok.eos());
  }
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::int32_t> tokens;
  for (const auto& e : encoded) {
    tokens.insert(tokens.end(), e.begin(), e.end());
    offsets.push_back(tokens.size());
  }
  fs::create_directories(cache.parent_path());
  write_token_file(cache, {static_cast<std::uint64_t>(tok.vocab_size()), docs.size(), tokens.size(), tok.key(), text_sha},
                   offsets, tokens);
  log << tokens.size() << " tokens in " << fmt::format("{:.1f}", seconds_since(t0)) << " s\n";
  return std::make_unique<TokenFile>(cache);
}

// data.name: random: uniform random ids, fixed by the vocabulary size, cached like any token file.
std::unique_ptr<TokenFile> random_tokens(std::int64_t vocab, const std::string& split, std::uint64_t tokens, std::ostream& log) {
  const fs::path cache = data_dir() / "cache" / "tokens" / fmt::format("random-{}-{}-{}.bin", vocab, split, tokens);
  if (!fs::exists(cache)) {
    log << "generating " << tokens << " random tokens (" << split << ", vocab " << vocab << ")\n";
    Rng rng(static_cast<std::uint64_t>(vocab) * 2 + (split == "train" ? 0 : 1));
    const std::uint64_t doc = 1024;
    std::vector<std::uint64_t> offsets{0};
    std::vector<std::int32_t> ids(tokens);
    for (std::uint64_t i = 0; i < tokens; ++i) {
      ids[i] = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(vocab - 2)));
      if ((i + 1) % doc == 0 || i + 1 == tokens) offsets.push_back(i + 1);
    }
    fs::create_directories(cache.parent_path());
    write_token_file(cache, {static_cast<std::uint64_t>(vocab), offsets.size() - 1, tokens, "ids" + std::to_string(vocab), "random"},
                     offsets, ids);
  }
  return std::make_unique<TokenFile>(cache);
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const DataConfig& config, const fs::path& run_dir) {
  if (config.name == "random") return make_id_tokenizer(config.vocab_size);
  if (config.name == "synthetic") return make_id_tokenizer(config.symbols + 2);
  if (config.tokenizer == "byte") return make_byte_tokenizer();
  const TokenizerFiles files = tokenizer_files(config.tokenizer);
  for (const auto& name : files.required) {
    if (fs::exists(run_dir / name)) continue;
    if (is_hf_tokenizer(config.tokenizer))
      fail("{}: missing; data.tokenizer {} needs {} in the run folder (`sinklab import hf` puts them there)",
           (run_dir / name).string(), config.tokenizer, fmt::join(files.required, " and "));
    fail("{}: tokenizer model not found", (run_dir / name).string());
  }
  if (config.tokenizer == "gpt2") return load_gpt2_tokenizer(run_dir);
  if (config.tokenizer == "sentencepiece") return load_sentencepiece_tokenizer(run_dir / sentencepiece_model_file);
  return load_bpe_tokenizer(run_dir / sentencepiece_model_file);
}

PreparedData prepare_data(const DataConfig& c, const fs::path& run_dir, std::uint64_t seed, std::ostream& log) {
  PreparedData out;
  if (c.name == "synthetic") {
    out.tokenizer = make_id_tokenizer(c.symbols + 2);
    out.task = std::make_shared<const SyntheticTask>(make_task(c, seed));
    return out;
  }
  if (c.name == "random") {
    out.tokenizer = make_id_tokenizer(c.vocab_size);
    out.train = random_tokens(c.vocab_size, "train", 1 << 21, log);
    out.valid = random_tokens(c.vocab_size, "valid", 1 << 16, log);
    return out;
  }
  out.train_text = resolve_split(c, c.train_split, c.path);
  out.valid_text = resolve_split(c, c.valid_split, c.valid_path);
  const TextFormat format = format_of(c);
  const std::string train_sha = io::sha256_file(out.train_text);
  const std::string valid_sha = io::sha256_file(out.valid_text);
  if (c.tokenizer == "byte" || is_hf_tokenizer(c.tokenizer)) {
    out.tokenizer = load_tokenizer(c, run_dir);
  } else {
    out.tokenizer_file = data_dir() / "cache" / "tokenizers" / fmt::format("bpe{}-{}.model", c.vocab_size, train_sha.substr(0, 16));
    if (!fs::exists(out.tokenizer_file)) {
      const auto t0 = std::chrono::steady_clock::now();
      const std::string text = read_text_file(out.train_text);
      const auto docs = split_documents(text, format);
      log << "training a BPE tokenizer (vocab " << c.vocab_size << ") on " << out.train_text.string() << " ... " << std::flush;
      fs::create_directories(out.tokenizer_file.parent_path());
      train_bpe_tokenizer(docs, c.vocab_size, out.tokenizer_file);
      log << fmt::format("{:.1f}", seconds_since(t0)) << " s\n";
    }
    out.tokenizer = load_bpe_tokenizer(out.tokenizer_file);
  }
  out.train = tokenize(out.train_text, train_sha, format, *out.tokenizer, log);
  out.valid = tokenize(out.valid_text, valid_sha, format, *out.tokenizer, log);
  return out;
}

std::unique_ptr<BatchSource> open_batches(const DataConfig& c, const PreparedData& data, Split split, std::int64_t context,
                                          std::int64_t batch_size, std::uint64_t seed) {
  if (data.task) return std::make_unique<SyntheticSource>(data.task, context, batch_size, seed);
  const TokenFile& tokens = split == Split::train ? *data.train : *data.valid;
  return std::make_unique<Loader>(tokens, context, batch_size, c.bos, c.window == "random", data.tokenizer->bos(), seed,
                                  c.bos_per_document);
}

}  // namespace sinklab::data
