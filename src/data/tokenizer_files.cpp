#include "data/tokenizer_files.h"

#include <algorithm>

#include "engine/error.h"

namespace sinklab::data {

TokenizerFiles tokenizer_files(const std::string& kind) {
  if (kind == "byte") return {};
  if (kind == "bpe" || kind == "sentencepiece") return {{sentencepiece_model_file}, {}};
  if (kind == "gpt2") return {{gpt2_vocab_file, gpt2_merges_file}, {hf_tokenizer_config_file, hf_special_tokens_file}};
  fail("data.tokenizer: unknown kind '{}' (byte, bpe, gpt2, sentencepiece)", kind);
}

bool is_hf_tokenizer(const std::string& kind) {
  return std::find(hf_tokenizer_kinds.begin(), hf_tokenizer_kinds.end(), kind) != hf_tokenizer_kinds.end();
}

}  // namespace sinklab::data
