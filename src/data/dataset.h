#pragma once
// From a data config to a tokenizer and memory-mapped train/valid token files, building and
// caching both on first use under <data_dir>/cache/ (keyed by the text's sha256 and the
// tokenizer's key; a Hugging Face tokenizer comes from the run folder, never trained); or, for
// data.name synthetic, the task drawn from the seed. open_batches streams either.
#include <filesystem>
#include <memory>
#include <ostream>

#include "data/data_config.h"
#include "data/synthetic.h"
#include "data/token_file.h"
#include "data/tokenizer.h"

namespace sinklab::data {

struct PreparedData {
  std::unique_ptr<Tokenizer> tokenizer;
  std::filesystem::path tokenizer_file;  // the trained BPE model, for the run folder; empty for other kinds
  std::unique_ptr<TokenFile> train, valid;  // null for synthetic tasks
  std::filesystem::path train_text, valid_text;
  std::shared_ptr<const SyntheticTask> task;  // synthetic tasks only
};

// `run_dir` holds the tokenizer files of data.tokenizer gpt2 and sentencepiece (data/tokenizer_files.h).
PreparedData prepare_data(const DataConfig& config, const std::filesystem::path& run_dir, std::uint64_t seed, std::ostream& log);

enum class Split { train, valid };

// Batches of one split: the document loader over its token file, or the synthetic stream. `seed`
// fixes the order (or the stream); `context` may be shorter than the config's (probe sets).
std::unique_ptr<BatchSource> open_batches(const DataConfig& config, const PreparedData& data, Split split,
                                          std::int64_t context, std::int64_t batch_size, std::uint64_t seed);

// The tokenizer a run uses: byte level, or loaded from the files of its kind in `run_dir`.
std::unique_ptr<Tokenizer> load_tokenizer(const DataConfig& config, const std::filesystem::path& run_dir);

}  // namespace sinklab::data
