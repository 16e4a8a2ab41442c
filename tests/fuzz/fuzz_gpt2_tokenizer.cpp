// The GPT-2 tokenizer of an imported run: <vocab.json> separator <merges.txt>, loaded, then made
// to encode and decode text (its own input among it), which hostile merges must not crash.
#include "data/gpt2_tokenizer.h"
#include "data/tokenizer_files.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = sinklab::fuzz;
  namespace d = sinklab::data;
  const fz::Parts parts = fz::split(fz::as_text(data, size));  // not a structured binding: clang 14 cannot capture one
  const std::string_view vocab = parts.first;
  const auto dir = fz::scratch();
  fz::write_bytes(dir / d::gpt2_vocab_file, vocab);
  fz::write_bytes(dir / d::gpt2_merges_file, parts.second.value_or(""));
  fz::expect_clean(
      [&] {
        const auto tok = d::load_gpt2_tokenizer(dir);
        const std::string text = "Hello world's 12 caf\xc3\xa9  \n\tend " + std::string(vocab.substr(0, 256));
        (void)tok->decode(tok->encode(text));
      },
      {d::gpt2_vocab_file, d::gpt2_merges_file});
  return 0;
}
