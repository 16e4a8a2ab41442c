#pragma once
// Tokenizers map text to ids and back. Each has BOS and EOS ids (GPT-2's may be one id).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sinklab::data {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<std::int32_t> encode(std::string_view text) const = 0;
  virtual std::string decode(const std::vector<std::int32_t>& ids) const = 0;  // BOS/EOS dropped
  virtual std::int64_t vocab_size() const = 0;
  virtual std::int32_t bos() const = 0;
  virtual std::int32_t eos() const = 0;
  // Identifies the tokenizer exactly (kind, settings, model file hash): part of token-cache keys.
  virtual std::string key() const = 0;
};

// Bytes 0..255 are ids 0..255; BOS = 256, EOS = 257.
std::unique_ptr<Tokenizer> make_byte_tokenizer();

// Ids as text ("17 4 4095"), for data.name: random: ids 0..vocab_size-3 are data, then BOS and EOS.
std::unique_ptr<Tokenizer> make_id_tokenizer(std::int64_t vocab_size);

// sinklab's SentencePiece BPE with byte fallback, encoding line by line. Loads `model_file`.
std::unique_ptr<Tokenizer> load_bpe_tokenizer(const std::filesystem::path& model_file);

// A Hugging Face SentencePiece model (Llama family): the whole text in one SentencePiece encode, as
// the slow (legacy) LlamaTokenizer; BOS and EOS are the model's own.
std::unique_ptr<Tokenizer> load_sentencepiece_tokenizer(const std::filesystem::path& model_file);

// Trains a BPE model on `documents` (deterministic) and writes it atomically to model_file.
void train_bpe_tokenizer(const std::vector<std::string_view>& documents, std::int64_t vocab_size,
                         const std::filesystem::path& model_file);

}  // namespace sinklab::data
