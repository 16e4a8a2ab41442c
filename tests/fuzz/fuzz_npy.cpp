// io::decode_npy on arbitrary bytes, with any rank and with the rank compare asks of attention
// snapshots (4: layers, heads, N, N).
#include "fuzz_support.h"
#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string name = "fuzzed.npy";
  const auto bytes = sinklab::fuzz::as_text(data, size);
  for (const int rank : {-1, 4}) sinklab::fuzz::expect_clean([&] { sinklab::io::decode_npy(bytes, name, rank); }, {name});
  return 0;
}
