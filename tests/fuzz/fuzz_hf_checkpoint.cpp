// What `import hf` reads before any weight: a checkpoint folder's config.json and its
// model.safetensors.index.json. The input is <config.json> separator <index.json> (without the
// separator, all of it is config.json and the folder has no index).
#include "fuzz_support.h"
#include "hf/architecture.h"
#include "hf/checkpoint_files.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = sinklab::fuzz;
  namespace hf = sinklab::hf;
  const auto [config, index] = fz::split(fz::as_text(data, size));
  const auto dir = fz::scratch();
  fz::write_bytes(dir / hf::config_file, config);
  std::filesystem::remove(dir / hf::weights_index);
  if (index) fz::write_bytes(dir / hf::weights_index, *index);
  fz::expect_clean([&] { hf::read_config(dir / hf::config_file); }, {dir.string()});
  // Shards the index names are absent: every path must end in an error naming the folder's files.
  fz::expect_clean([&] { hf::read_weights(dir); }, {dir.string()});
  return 0;
}
