#include "data/tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <unistd.h>

#include <fstream>

#include "engine/error.h"
#include "io/atomic_file.h"
#include "io/sha256.h"

// Exported by libsentencepiece but not declared in its public headers; without it the trainer
// prints its whole command line to stderr before reading --minloglevel.
namespace sentencepiece::logging {
void SetMinLogLevel(int level);
}

namespace sinklab::data {
namespace {

class ByteTokenizer : public Tokenizer {
 public:
  std::vector<std::int32_t> encode(std::string_view text) const override {
    std::vector<std::int32_t> ids(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) ids[i] = static_cast<unsigned char>(text[i]);
    return ids;
  }
  std::string decode(const std::vector<std::int32_t>& ids) const override {
    std::string out;
    for (auto id : ids)
      if (id >= 0 && id < 256) out += static_cast<char>(id);
    return out;
  }
  std::int64_t vocab_size() const override { return 258; }
  std::int32_t bos() const override { return 256; }
  std::int32_t eos() const override { return 257; }
  std::string key() const override { return "byte"; }
};

class IdTokenizer : public Tokenizer {
 public:
  explicit IdTokenizer(std::int64_t vocab) : vocab_(vocab) {}
  std::vector<std::int32_t> encode(std::string_view text) const override {
    std::vector<std::int32_t> ids;
    std::size_t at = 0;
    while (at < text.size()) {
      const auto start = text.find_first_of("0123456789", at);
      if (start == std::string_view::npos) break;
      const auto end = std::min(text.find_first_not_of("0123456789", start), text.size());
      const long id = std::stol(std::string(text.substr(start, end - start)));
      if (id >= vocab_) fail("id {} is outside the vocabulary of {}", id, vocab_);
      ids.push_back(static_cast<std::int32_t>(id));
      at = end;
    }
    return ids;
  }
  std::string decode(const std::vector<std::int32_t>& ids) const override {
    std::string out;
    for (auto id : ids)
      if (id != bos() && id != eos()) out += (out.empty() ? "" : " ") + std::to_string(id);
    return out;
  }
  std::int64_t vocab_size() const override { return vocab_; }
  std::int32_t bos() const override { return static_cast<std::int32_t>(vocab_ - 2); }
  std::int32_t eos() const override { return static_cast<std::int32_t>(vocab_ - 1); }
  std::string key() const override { return "ids" + std::to_string(vocab_); }

 private:
  std::int64_t vocab_;
};

// A SentencePiece model encoding the whole text at once, as Hugging Face's slow (legacy)
// LlamaTokenizer does.
class SentencePieceTokenizer : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::filesystem::path& file, const std::string& kind) {
    const auto status = sp_.Load(file.string());
    if (!status.ok()) fail("{}: cannot load the SentencePiece model: {}", file.string(), status.ToString());
    if (sp_.bos_id() < 0 || sp_.eos_id() < 0)
      fail("{}: the SentencePiece model has no {} piece (bos_id {}, eos_id {})", file.string(), sp_.bos_id() < 0 ? "BOS" : "EOS",
           sp_.bos_id(), sp_.eos_id());
    key_ = kind + "-" + io::sha256_file(file).substr(0, 16);
  }
  std::vector<std::int32_t> encode(std::string_view text) const override {
    std::vector<int> ids;
    sp_.Encode(text, &ids);
    return {ids.begin(), ids.end()};
  }
  std::string decode(const std::vector<std::int32_t>& ids) const override {
    std::vector<int> kept;
    for (auto id : ids)
      if (id != bos() && id != eos() && id >= 0 && id < vocab_size()) kept.push_back(id);
    std::string out;
    sp_.Decode(kept, &out);
    return out;
  }
  std::int64_t vocab_size() const override { return sp_.GetPieceSize(); }
  std::int32_t bos() const override { return sp_.bos_id(); }
  std::int32_t eos() const override { return sp_.eos_id(); }
  std::string key() const override { return key_; }

 protected:
  sentencepiece::SentencePieceProcessor sp_;

 private:
  std::string key_;
};

// sinklab's own BPE. SentencePiece drops a line's leading "▁" after a raw newline ("\nthere" ->
// "t here"), so text is encoded line by line with an explicit newline piece between lines, as the
// model was trained.
class BpeTokenizer : public SentencePieceTokenizer {
 public:
  explicit BpeTokenizer(const std::filesystem::path& file) : SentencePieceTokenizer(file, "bpe") {
    newline_ = sp_.PieceToId("<0x0A>");
    if (newline_ == sp_.unk_id()) fail("{}: the SentencePiece model has no byte-fallback newline piece", file.string());
  }
  std::vector<std::int32_t> encode(std::string_view text) const override {
    std::vector<std::int32_t> out;
    std::vector<int> ids;
    for (std::size_t start = 0;;) {
      const std::size_t end = text.find('\n', start);
      const std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      if (!line.empty()) {
        sp_.Encode(line, &ids);
        out.insert(out.end(), ids.begin(), ids.end());
      }
      if (end == std::string_view::npos) break;
      out.push_back(newline_);
      start = end + 1;
    }
    return out;
  }
  std::string decode(const std::vector<std::int32_t>& ids) const override {
    std::string out, piece;
    std::vector<int> line;
    auto flush = [&] {
      sp_.Decode(line, &piece);
      out += piece;
      line.clear();
    };
    for (auto id : ids) {
      if (id == bos() || id == eos() || id < 0 || id >= vocab_size()) continue;
      if (id == newline_) {
        flush();
        out += '\n';
      } else {
        line.push_back(id);
      }
    }
    flush();
    return out;
  }

 private:
  std::int32_t newline_;
};

}  // namespace

std::unique_ptr<Tokenizer> make_byte_tokenizer() { return std::make_unique<ByteTokenizer>(); }

std::unique_ptr<Tokenizer> make_id_tokenizer(std::int64_t vocab_size) { return std::make_unique<IdTokenizer>(vocab_size); }

std::unique_ptr<Tokenizer> load_bpe_tokenizer(const std::filesystem::path& model_file) {
  return std::make_unique<BpeTokenizer>(model_file);
}

std::unique_ptr<Tokenizer> load_sentencepiece_tokenizer(const std::filesystem::path& model_file) {
  return std::make_unique<SentencePieceTokenizer>(model_file, "sentencepiece");
}

void train_bpe_tokenizer(const std::vector<std::string_view>& documents, std::int64_t vocab_size,
                         const std::filesystem::path& model_file) {
  // SentencePiece trains on lines: one line of the corpus per line of every document.
  const std::string unique = "." + std::to_string(::getpid());  // concurrent runs may train the same model
  const std::filesystem::path corpus = model_file.string() + unique + ".corpus.txt";
  {
    std::ofstream out(corpus, std::ios::binary);
    for (const auto& doc : documents) {
      out.write(doc.data(), static_cast<std::streamsize>(doc.size()));
      out.put('\n');
    }
    if (!out) fail("{}: cannot write the tokenizer training corpus", corpus.string());
  }
  const std::string prefix = model_file.string() + unique + ".training";
  // identity normalisation and kept whitespace make decode(encode(text)) == text; byte fallback
  // makes every UTF-8 string encodable; all sentences are used, so training is deterministic.
  const std::string args = fmt::format(
      "--input={} --model_prefix={} --vocab_size={} --model_type=bpe --character_coverage=1.0 --byte_fallback=true "
      "--unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --normalization_rule_name=identity --remove_extra_whitespaces=false "
      "--input_sentence_size=0 --max_sentence_length=16384 --num_threads=2 --minloglevel=2",
      corpus.string(), prefix, vocab_size);
  sentencepiece::logging::SetMinLogLevel(2);
  const auto status = sentencepiece::SentencePieceTrainer::Train(args);
  std::filesystem::remove(corpus);
  if (!status.ok()) fail("training the BPE tokenizer (vocab {}) failed: {}", vocab_size, status.ToString());
  std::ifstream in(prefix + ".model", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  io::write_file_atomic(model_file, bytes);
  std::filesystem::remove(prefix + ".model");
  std::filesystem::remove(prefix + ".vocab");
}

}  // namespace sinklab::data
