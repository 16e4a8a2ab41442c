#include "data/data_config.h"

#include <algorithm>

#include "data/manifest.h"
#include "data/tokenizer_files.h"

namespace sinklab::data {

const config::Section<DataConfig>& data_section() {
  using C = DataConfig;
  static const auto section = [] {
    config::Section<C> s("data");
    s.key("name", &C::name,
          "`tinystories`, `tinystories-full`, `wikitext2`, `wikitext103` (fetched with `sinklab data fetch NAME`), `text` (your own "
          "files), `random` (uniform random ids from a fixed seed, no files: for benchmarks; ids 0..vocab_size−3, then BOS and EOS; "
          "`data.tokenizer` is not used), or `synthetic` (a task generated on the fly from the seed, `data.task`; ids 0..symbols−1, "
          "then BOS and EOS; the tokenizer, path, split, window and vocab_size keys do not apply)")
        .key("path", &C::path, "`data.name: text`: the training file (plain text, documents separated by blank lines)")
        .key("valid_path", &C::valid_path, "`data.name: text`: the validation file")
        .key("train_split", &C::train_split, "the split of the data set to train on (`train`, `valid`, `test`)")
        .key("valid_split", &C::valid_split, "the split to validate on")
        .key("tokenizer", &C::tokenizer,
             "`byte` (256 bytes + BOS + EOS = 258 ids), `bpe` (SentencePiece BPE with byte fallback, trained on the training "
             "split on first use and cached under `data/cache/tokenizers/`), or a Hugging Face tokenizer that is never trained but "
             "read from the run folder, where `sinklab import hf` puts it: `gpt2` (byte-level BPE: `vocab.json`, `merges.txt`, "
             "optionally `tokenizer_config.json` / `special_tokens_map.json` naming BOS and EOS, else `<|endoftext|>`) or "
             "`sentencepiece` (a Llama-family `tokenizer.model`; each text encoded whole, as Hugging Face's LlamaTokenizer does)")
        .key("vocab_size", &C::vocab_size,
             "BPE vocabulary size, 300 to 65535 (byte level is always 258, and `gpt2` and `sentencepiece` have their files' "
             "vocabulary: with these tokenizers any other value than the default is an error); with `data.name: random`, the number "
             "of ids, 3 to 65535")
        .key("context", &C::context, "tokens per sequence, which is also the model's context")
        .key("bos", &C::bos, "every sequence (and, by default, every packed document) starts with BOS")
        .key("bos_per_document", &C::bos_per_document,
             "with `data.bos` and `window: document`: a BOS before every packed document (`true`), or only at position 0 "
             "(`false`: one fixed first token per sequence; packed documents are then separated only by the EOS that ends "
             "each document)")
        .key("window", &C::window,
             "`document`: sequences start at documents, drawn without replacement per epoch, short ones packed; `random`: "
             "sequences start at random tokens")
        .key("task", &C::task,
             "`data.name: synthetic`: `bigram-backcopy` or `switch` ([docs/experiments.md](../docs/experiments.md) defines both)")
        .key("symbols", &C::symbols, "synthetic: ordinary tokens V; the vocabulary is V + 2 (BOS, EOS)")
        .key("triggers", &C::triggers, "synthetic: how many of the symbols are trigger tokens (drawn from the seed)")
        .key("first", &C::first,
             "synthetic, with `data.bos: true`: `bos` puts BOS first, `random` a uniformly random symbol instead (no fixed sink "
             "target)")
        .key("dirichlet", &C::dirichlet, "bigram-backcopy: each bigram row is drawn from Dirichlet(this)")
        .key("bigram_from", &C::bigram_from,
             "bigram-backcopy: estimate the bigrams of the V most frequent bytes of this text file instead (e.g. "
             "`data/tinystories/valid.txt`)");
    s.rule([](const C& d, const config::Report& check) {
      auto one_of = [&](const std::string& value, std::initializer_list<const char*> allowed, const char* key) {
        check(std::find(allowed.begin(), allowed.end(), value) != allowed.end(), key,
              fmt::format("'{}' is not one of: {}", value, fmt::join(allowed, ", ")));
      };
      std::vector<std::string> names;
      for (const auto& set : manifest()) names.push_back(set.name);
      for (const char* other : {"text", "random", "synthetic"}) names.push_back(other);
      check(std::find(names.begin(), names.end(), d.name) != names.end(), "name",
            fmt::format("'{}' is not one of: {}", d.name, fmt::join(names, ", ")));
      // Keys of the other kind of data keep their defaults (a resolved config holds every key).
      const bool synthetic = d.name == "synthetic";
      const C d0;
      for (auto [key, changed] : {std::pair{"task", d.task != d0.task}, {"symbols", d.symbols != d0.symbols},
                                  {"triggers", d.triggers != d0.triggers}, {"first", d.first != d0.first},
                                  {"dirichlet", d.dirichlet != d0.dirichlet}, {"bigram_from", d.bigram_from != d0.bigram_from}})
        check(synthetic || !changed, key, fmt::format("only applies to data.name: synthetic (data.name is '{}')", d.name));
      for (auto [key, changed] : {std::pair{"path", d.path != d0.path}, {"valid_path", d.valid_path != d0.valid_path},
                                  {"train_split", d.train_split != d0.train_split}, {"valid_split", d.valid_split != d0.valid_split},
                                  {"tokenizer", d.tokenizer != d0.tokenizer}, {"vocab_size", d.vocab_size != d0.vocab_size},
                                  {"window", d.window != d0.window}, {"bos_per_document", d.bos_per_document != d0.bos_per_document}})
        check(!synthetic || !changed, key, "does not apply to data.name: synthetic (its vocabulary is data.symbols + BOS + EOS)");
      if (synthetic) {
        one_of(d.task, {"bigram-backcopy", "switch"}, "task");
        check(d.symbols >= 2 && d.symbols <= 65533, "symbols", fmt::format("must be in [2, 65533], got {}", d.symbols));
        check(d.triggers >= 1 && d.triggers < d.symbols, "triggers",
              fmt::format("must be in [1, data.symbols - 1 = {}], got {}", d.symbols - 1, d.triggers));
        one_of(d.first, {"bos", "random"}, "first");
        check(d.bos || d.first == d0.first, "first", "needs data.bos: true (without it there is no first position to fill)");
        check(d.dirichlet > 0, "dirichlet", fmt::format("must be positive, got {}", d.dirichlet));
        check(d.task == "bigram-backcopy" || d.bigram_from.empty(), "bigram_from", "only applies to data.task: bigram-backcopy");
        check(d.task == "bigram-backcopy" || d.dirichlet == d0.dirichlet, "dirichlet", "only applies to data.task: bigram-backcopy");
        check(d.bigram_from.empty() || d.dirichlet == d0.dirichlet, "dirichlet",
              "the bigrams come from data.bigram_from; drop one of the two");
      }
      one_of(d.tokenizer, {"byte", "bpe", "gpt2", "sentencepiece"}, "tokenizer");
      one_of(d.window, {"document", "random"}, "window");
      check(d.bos_per_document || (d.bos && d.window == "document"), "bos_per_document",
            "only applies with data.bos: true and data.window: document");
      if (d.name == "text") check(!d.path.empty(), "path", "data.name text needs data.path (and data.valid_path)");
      if (d.name == "text") check(!d.valid_path.empty(), "valid_path", "data.name text needs data.valid_path");
      check(d.name != "random" || (d.vocab_size >= 3 && d.vocab_size <= 65535), "vocab_size",
            fmt::format("random data needs a vocabulary in [3, 65535], got {}", d.vocab_size));
      check(d.name == "random" || synthetic || d.tokenizer != "byte" || d.vocab_size == d0.vocab_size, "vocab_size",
            "only applies to data.tokenizer: bpe (the byte-level vocabulary is 256 bytes + BOS + EOS)");
      check(d.name == "random" || synthetic || !is_hf_tokenizer(d.tokenizer) || d.vocab_size == d0.vocab_size, "vocab_size",
            fmt::format("only applies to data.tokenizer: bpe (the {} vocabulary is the one in the run folder's tokenizer files)",
                        d.tokenizer));
      check(d.name == "random" || synthetic || d.tokenizer != "bpe" || (d.vocab_size >= 300 && d.vocab_size <= 65535), "vocab_size",
            fmt::format("must be in [300, 65535] for bpe, got {}", d.vocab_size));
      check(d.context >= 2, "context", fmt::format("must be at least 2, got {}", d.context));
    });
    return s;
  }();
  return section;
}

}  // namespace sinklab::data
