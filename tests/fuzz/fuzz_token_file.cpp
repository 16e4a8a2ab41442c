// data::TokenFile on arbitrary bytes (it maps a file, so the input is written to one), then every
// token read through its documents, as the loader does.
#include "data/token_file.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = sinklab::fuzz;
  const auto file = fz::scratch() / "fuzzed.tok";
  fz::write_bytes(file, fz::as_text(data, size));
  fz::expect_clean(
      [&] {
        const sinklab::data::TokenFile tokens(file);
        std::uint64_t sum = 0;
        for (std::uint64_t d = 0; d < tokens.documents(); ++d)
          for (auto i = tokens.doc_begin(d); i < tokens.doc_end(d); ++i) sum += static_cast<std::uint32_t>(tokens.token(i));
        // Kept observable so the reads are not optimised away.
        volatile std::uint64_t sink = sum;
        (void)sink;
      },
      {file.string()});
  return 0;
}
