#pragma once
// `sinklab intervene RUN`: causal tests of what the first position and single heads do. Each
// intervention is applied alone to the saved model (nn::AttentionEdit) and compared with the
// unedited model on the run's validation batches (loss, and per query class on synthetic tasks)
// and on its analysis probe (oversmoothing, the smoothing by the heads, first-token mass).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sinklab::cli {

struct InterveneOptions {
  std::filesystem::path run_dir;
  std::optional<std::int64_t> checkpoint;  // default: the newest
  bool mask_first = false, zero_first_value = false;
  std::vector<std::string> ablate_heads, uniform_heads;  // "L.H"
};

// Writes RUN/intervene/step_<N>.json and .md and prints the table.
void intervene(const InterveneOptions& options);

}  // namespace sinklab::cli
