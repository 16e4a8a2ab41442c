#pragma once
// GPT-2's byte-level BPE in Hugging Face's files (data/tokenizer_files.h names them), encoding
// exactly as OpenAI's encoder.py and Hugging Face do: the GPT-2 pre-tokenizer regex, then BPE by
// merge rank within each piece, over GPT-2's byte <-> printable-character table.
#include <filesystem>
#include <memory>
#include <string>

#include "data/tokenizer.h"

namespace sinklab::data {

// Loads vocab.json and merges.txt from `folder`. BOS and EOS are the bos_token and eos_token of its
// special_tokens_map.json, else of its tokenizer_config.json, else <|endoftext|>. Bytes that are
// not valid UTF-8 are encoded as pieces of their own (Hugging Face only ever sees valid text);
// decode returns the bytes.
std::unique_ptr<Tokenizer> load_gpt2_tokenizer(const std::filesystem::path& folder);

// The vocab.json symbol (UTF-8) that stands for `byte` in GPT-2's byte <-> character table.
std::string gpt2_byte_symbol(unsigned char byte);

}  // namespace sinklab::data
