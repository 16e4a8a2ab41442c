// report::collect_runs (what `sinklab compare` reads first) on a run folder holding a valid
// config.resolved.yaml and fuzzed records: the input is <analysis.jsonl> separator
// <metrics.jsonl>; without the separator there is no metrics.jsonl.
#include "fuzz_support.h"
#include "report/runs.h"
#include "train/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fs = std::filesystem;
  namespace fz = sinklab::fuzz;
  static const fs::path run = [] {
    const fs::path dir = fz::scratch() / "run-s1";
    fs::create_directories(dir);
    fz::write_bytes(dir / "config.resolved.yaml", sinklab::train::resolved_yaml({}));
    return dir;
  }();
  const auto [analysis, metrics] = fz::split(fz::as_text(data, size));
  fz::write_bytes(run / "analysis.jsonl", analysis);
  if (metrics)
    fz::write_bytes(run / "metrics.jsonl", *metrics);
  else
    fs::remove(run / "metrics.jsonl");
  fz::expect_clean([&] { sinklab::report::collect_runs({run}); }, {"analysis.jsonl", "metrics.jsonl"});
  return 0;
}
