// train::load_config on a child config that may `extends:` a base: the input is
// <base.yaml> separator <child.yaml> (without the separator, all of it is the child), written
// into this process's scratch folder; the seeds' child says `extends: base.yaml`.
#include "fuzz_support.h"
#include "train/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = sinklab::fuzz;
  const auto [first, second] = fz::split(fz::as_text(data, size));
  const std::string_view base = second ? first : "", child = second ? *second : first;
  const auto base_file = fz::scratch() / "base.yaml", child_file = fz::scratch() / "child.yaml";
  fz::write_bytes(base_file, base);
  fz::write_bytes(child_file, child);
  // Errors name either file, or the one an `extends:` names: anywhere ("extends: /"), but, as
  // every path here, absolute.
  fz::expect_clean([&] { sinklab::train::load_config(child_file); }, {"/"});
  return 0;
}
