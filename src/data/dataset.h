#pragma once
// From a data config to a tokenizer and memory-mapped train/valid token files, building and
// caching both on first use under <data_dir>/cache/ (keyed by the text's sha256 and the settings);
// or, for data.name synthetic, the task drawn from the seed. open_batches streams either.
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
  std::filesystem::path tokenizer_file;  // the BPE model; empty for byte level
  std::unique_ptr<TokenFile> train, valid;  // null for synthetic tasks
  std::filesystem::path train_text, valid_text;
  std::shared_ptr<const SyntheticTask> task;  // synthetic tasks only
};

PreparedData prepare_data(const DataConfig& config, std::uint64_t seed, std::ostream& log);

enum class Split { train, valid };

// Batches of one split: the document loader over its token file, or the synthetic stream. `seed`
// fixes the order (or the stream); `context` may be shorter than the config's (probe sets).
std::unique_ptr<BatchSource> open_batches(const DataConfig& config, const PreparedData& data, Split split,
                                          std::int64_t context, std::int64_t batch_size, std::uint64_t seed);

// The tokenizer a run used: the BPE model saved in its folder, or byte level.
std::unique_ptr<Tokenizer> load_tokenizer(const DataConfig& config, const std::filesystem::path& model_file);

}  // namespace sinklab::data
