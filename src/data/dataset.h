#pragma once
// From a data config to a tokenizer and memory-mapped train/valid token files, building and
// caching both on first use under <data_dir>/cache/ (keyed by the text's sha256 and the settings).
#include <filesystem>
#include <memory>
#include <ostream>

#include "data/data_config.h"
#include "data/token_file.h"
#include "data/tokenizer.h"

namespace sinklab::data {

struct PreparedData {
  std::unique_ptr<Tokenizer> tokenizer;
  std::filesystem::path tokenizer_file;  // the BPE model; empty for byte level
  std::unique_ptr<TokenFile> train, valid;
  std::filesystem::path train_text, valid_text;
};

PreparedData prepare_data(const DataConfig& config, std::ostream& log);

// The tokenizer a run used: the BPE model saved in its folder, or byte level.
std::unique_ptr<Tokenizer> load_tokenizer(const DataConfig& config, const std::filesystem::path& model_file);

}  // namespace sinklab::data
