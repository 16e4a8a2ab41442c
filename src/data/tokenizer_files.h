#pragma once
// The files each data.tokenizer kind keeps in a run folder: `bpe` gets its trained model copied
// there by training; `gpt2` and `sentencepiece` (Hugging Face tokenizers) are never trained, and
// `sinklab import hf` puts their files there.
#include <array>
#include <string>
#include <vector>

namespace sinklab::data {

// sinklab's own BPE model and a Hugging Face SentencePiece model (Llama family) share the name.
inline constexpr const char* sentencepiece_model_file = "tokenizer.model";
inline constexpr const char* gpt2_vocab_file = "vocab.json";  // token string -> id
inline constexpr const char* gpt2_merges_file = "merges.txt";  // merge pairs in rank order
// Where Hugging Face names the bos_token and eos_token (special_tokens_map.json wins).
inline constexpr const char* hf_tokenizer_config_file = "tokenizer_config.json";
inline constexpr const char* hf_special_tokens_file = "special_tokens_map.json";

struct TokenizerFiles {
  std::vector<std::string> required;  // the tokenizer cannot load without them
  std::vector<std::string> optional;  // read when present
};

// The run-folder files of data.tokenizer `kind` (none for byte).
TokenizerFiles tokenizer_files(const std::string& kind);

// The Hugging Face tokenizer kinds: loaded from the run folder, never trained, data.vocab_size unused.
inline constexpr std::array<const char*, 2> hf_tokenizer_kinds{"gpt2", "sentencepiece"};
bool is_hf_tokenizer(const std::string& kind);

}  // namespace sinklab::data
