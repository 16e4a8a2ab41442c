#include "data/gpt2_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <unordered_map>

#include "data/tokenizer_files.h"
#include "engine/error.h"
#include "io/json_parse.h"
#include "io/sha256.h"

namespace sinklab::data {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// OpenAI's GPT-2 pre-tokenizer (Hugging Face's ByteLevel pre-tokenizer uses the same). UCP makes
// \s match Unicode spaces (a no-break space) as Python's `regex` and Oniguruma do.
constexpr const char* pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// GPT-2's reversible map from bytes to printable characters: the printable Latin-1 bytes stand for
// themselves, the other 68 bytes for U+0100, U+0101, ... in byte order.
std::array<char32_t, 256> byte_characters() {
  std::array<char32_t, 256> out{};
  char32_t next = 0x100;
  for (char32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    out[b] = printable ? b : next++;
  }
  return out;
}

std::string utf8(char32_t c) {
  if (c < 0x80) return std::string(1, static_cast<char>(c));
  return {static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))};  // the table stops below U+0800
}

// The code points of a string nlohmann has already checked to be valid UTF-8.
std::u32string code_points(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = std::min<std::size_t>(c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4, s.size() - i);
    char32_t cp = n == 1 ? c : c & (0x3F >> (n - 1));
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out += cp;
    i += n;
  }
  return out;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("{}: cannot read the tokenizer file", file.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

json read_json(const fs::path& file) { return io::read_json_file(file, "the tokenizer file"); }

// A special token as Hugging Face writes it: "text" or {"content": "text", ...}; null is none.
std::optional<std::string> special_token(const fs::path& file, const json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && it->at("content").is_string()) return it->at("content").get<std::string>();
  fail("{}: {} must be a string or an object with a string \"content\", got {}", file.string(), key, it->dump());
}

using Pcre2Code = std::unique_ptr<pcre2_code, decltype(&pcre2_code_free)>;
using Pcre2MatchData = std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)>;

class Gpt2Tokenizer : public Tokenizer {
 public:
  explicit Gpt2Tokenizer(const fs::path& folder) : regex_(compile()) {
    const fs::path vocab_file = folder / gpt2_vocab_file, merges_file = folder / gpt2_merges_file;
    load_vocab(vocab_file);
    load_merges(merges_file);
    bos_ = special_id(folder, "bos_token");
    eos_ = special_id(folder, "eos_token");
    key_ = "gpt2-" + io::sha256_hex(fmt::format("{} {} {} {}", io::sha256_file(vocab_file), io::sha256_file(merges_file), bos_, eos_))
                         .substr(0, 16);
  }

  std::vector<std::int32_t> encode(std::string_view text) const override {
    std::vector<std::int32_t> ids;
    const Pcre2MatchData match(pcre2_match_data_create_from_pattern(regex_.get(), nullptr), &pcre2_match_data_free);
    if (!match) fail("gpt2 tokenizer: out of memory for a regex match");
    const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    for (std::size_t at = 0; at < text.size();) {
      const int rc = pcre2_match(regex_.get(), subject, text.size(), at, 0, match.get(), nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) {
        merge(text.substr(at), ids);
        break;
      }
      if (rc < 0) fail("gpt2 tokenizer: the pre-tokenizer regex failed at byte {}: {}", at, pcre2_error(rc));
      const PCRE2_SIZE* span = pcre2_get_ovector_pointer(match.get());
      // Every valid character matches the pattern, so the matcher skips only bytes that are not UTF-8.
      if (span[0] > at) merge(text.substr(at, span[0] - at), ids);
      merge(text.substr(span[0], span[1] - span[0]), ids);
      at = span[1];
    }
    return ids;
  }

  std::string decode(const std::vector<std::int32_t>& ids) const override {
    std::string out;
    for (auto id : ids)
      if (id != bos_ && id != eos_ && id >= 0 && id < vocab_size()) out += bytes_[static_cast<std::size_t>(id)];
    return out;
  }

  std::int64_t vocab_size() const override { return static_cast<std::int64_t>(bytes_.size()); }
  std::int32_t bos() const override { return bos_; }
  std::int32_t eos() const override { return eos_; }
  std::string key() const override { return key_; }

 private:
  struct Merge {
    std::size_t rank;
    std::int32_t id;
  };
  static std::uint64_t pair(std::int32_t a, std::int32_t b) {
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32 | static_cast<std::uint32_t>(b);
  }

  static std::string pcre2_error(int code) {
    std::array<PCRE2_UCHAR, 256> message{};
    pcre2_get_error_message(code, message.data(), message.size());
    return reinterpret_cast<const char*>(message.data());
  }

  static Pcre2Code compile() {
    int error = 0;
    PCRE2_SIZE offset = 0;
    Pcre2Code code(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr),
                   &pcre2_code_free);
    if (!code) fail("gpt2 tokenizer: cannot compile the pre-tokenizer regex at offset {}: {}", offset, pcre2_error(error));
    pcre2_jit_compile(code.get(), PCRE2_JIT_COMPLETE);  // without JIT (unsupported CPU) pcre2_match interprets
    return code;
  }

  void load_vocab(const fs::path& file) {
    const json vocab = read_json(file);
    if (!vocab.is_object() || vocab.empty()) fail("{}: expected a non-empty object of token -> id", file.string());
    const auto n = static_cast<std::int64_t>(vocab.size());
    std::vector<bool> taken(vocab.size());
    bytes_.resize(vocab.size());
    std::array<int, 0x144> byte_of{};  // the table's characters end at U+0143
    byte_of.fill(-1);
    const auto characters = byte_characters();
    for (int b = 0; b < 256; ++b) byte_of[characters[static_cast<std::size_t>(b)]] = b;
    for (const auto& [token, value] : vocab.items()) {
      if (!value.is_number_integer()) fail("{}: the id of '{}' is {}, not an integer", file.string(), token, value.dump());
      const auto id = value.get<std::int64_t>();
      if (id < 0 || id >= n) fail("{}: the id {} of '{}' is outside [0, {}) (ids number the tokens)", file.string(), id, token, n);
      if (taken[static_cast<std::size_t>(id)]) {
        const auto other = std::find_if(ids_.begin(), ids_.end(), [&](const auto& entry) { return entry.second == id; });
        fail("{}: '{}' and '{}' have the same id {}", file.string(), other->first, token, id);
      }
      taken[static_cast<std::size_t>(id)] = true;
      ids_.emplace(token, static_cast<std::int32_t>(id));
      // Tokens outside the byte table (special tokens added by hand) decode as their own text.
      std::string bytes;
      for (const char32_t c : code_points(token)) {
        if (c >= byte_of.size() || byte_of[c] < 0) {
          bytes = token;
          break;
        }
        bytes += static_cast<char>(byte_of[c]);
      }
      bytes_[static_cast<std::size_t>(id)] = std::move(bytes);
    }
    for (int b = 0; b < 256; ++b) {
      const std::string symbol = gpt2_byte_symbol(static_cast<unsigned char>(b));
      const auto it = ids_.find(symbol);
      if (it == ids_.end())
        fail("{}: the byte symbol '{}' (byte 0x{:02X}) is missing; a byte-level vocabulary holds all 256", file.string(), symbol, b);
      byte_ids_[static_cast<std::size_t>(b)] = it->second;
    }
  }

  void load_merges(const fs::path& file) {
    const std::string text = read_file(file);
    std::size_t rank = 0, line_no = 0;
    for (std::size_t start = 0; start < text.size();) {
      const std::size_t end = std::min(text.find('\n', start), text.size());
      std::string_view line(text.data() + start, end - start);
      start = end + 1;
      ++line_no;
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (line_no == 1 && line.starts_with("#version")) continue;
      const std::size_t space = line.find(' ');
      if (space == 0 || space == std::string_view::npos || space + 1 == line.size() || line.find(' ', space + 1) != std::string_view::npos)
        fail("{}:{}: a merge is two symbols separated by one space, got '{}'", file.string(), line_no, line);
      const auto id = [&](std::string_view symbol, const char* what) {
        const auto it = ids_.find(std::string(symbol));
        if (it == ids_.end()) fail("{}:{}: the {} '{}' is not in {}", file.string(), line_no, what, symbol, gpt2_vocab_file);
        return it->second;
      };
      const std::int32_t a = id(line.substr(0, space), "symbol"), b = id(line.substr(space + 1), "symbol");
      const std::int32_t merged = id(std::string(line.substr(0, space)) + std::string(line.substr(space + 1)), "merge result");
      merges_[pair(a, b)] = {rank++, merged};  // a pair listed twice keeps its last rank, as in Hugging Face's tokenizers
    }
  }

  std::int32_t special_id(const fs::path& folder, const char* key) const {
    std::string token = "<|endoftext|>";
    fs::path named_in = folder / gpt2_vocab_file;
    for (const char* name : {hf_tokenizer_config_file, hf_special_tokens_file}) {
      const fs::path file = folder / name;
      if (!fs::exists(file)) continue;
      const json config = read_json(file);
      if (!config.is_object()) fail("{}: expected a JSON object", file.string());
      if (const auto named = special_token(file, config, key)) {
        token = *named;
        named_in = file;
      }
    }
    const auto it = ids_.find(token);
    if (it == ids_.end())
      fail("{}: the {} '{}' is not in {}", named_in.string(), key, token, (folder / gpt2_vocab_file).string());
    return it->second;
  }

  // BPE within one pre-tokenized piece, as OpenAI's encoder.py: merge every occurrence of the
  // lowest-ranked pair present, left to right, until no pair has a rank.
  void merge(std::string_view piece, std::vector<std::int32_t>& out) const {
    std::vector<std::int32_t> symbols(piece.size());
    for (std::size_t i = 0; i < piece.size(); ++i) symbols[i] = byte_ids_[static_cast<unsigned char>(piece[i])];
    while (symbols.size() > 1) {
      const Merge* best = nullptr;
      std::uint64_t best_pair = 0;
      for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
        const auto it = merges_.find(pair(symbols[i], symbols[i + 1]));
        if (it != merges_.end() && (!best || it->second.rank < best->rank)) {
          best = &it->second;
          best_pair = it->first;
        }
      }
      if (!best) break;
      std::size_t kept = 0;
      for (std::size_t i = 0; i < symbols.size(); ++kept) {
        if (i + 1 < symbols.size() && pair(symbols[i], symbols[i + 1]) == best_pair) {
          symbols[kept] = best->id;
          i += 2;
        } else {
          symbols[kept] = symbols[i++];
        }
      }
      symbols.resize(kept);
    }
    out.insert(out.end(), symbols.begin(), symbols.end());
  }

  Pcre2Code regex_;
  std::unordered_map<std::string, std::int32_t> ids_;
  std::vector<std::string> bytes_;  // by id: the bytes a token decodes to
  std::array<std::int32_t, 256> byte_ids_{};
  std::unordered_map<std::uint64_t, Merge> merges_;
  std::int32_t bos_ = 0, eos_ = 0;
  std::string key_;
};

}  // namespace

std::unique_ptr<Tokenizer> load_gpt2_tokenizer(const fs::path& folder) { return std::make_unique<Gpt2Tokenizer>(folder); }

std::string gpt2_byte_symbol(unsigned char byte) {
  static const auto characters = byte_characters();
  return utf8(characters[byte]);
}

}  // namespace sinklab::data
