// io::decode_safetensors on arbitrary bytes (the header JSON, its offsets and shapes, the data).
#include "fuzz_support.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string name = "fuzzed.safetensors";
  sinklab::fuzz::expect_clean([&] { sinklab::io::decode_safetensors(sinklab::fuzz::as_text(data, size), name); }, {name});
  return 0;
}
