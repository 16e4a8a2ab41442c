#pragma once
// `sinklab replay RUN --out DIR`: everything a run trains on, so that another implementation (the
// PyTorch equivalence check, bench/torch_equivalence.py) can train on exactly the same: the initial
// weights (drawn from the seed), every training batch in the order the loader draws it, the
// validation batches and the analysis probe. Nothing needs to have been trained: the run's
// config.resolved.yaml and its data are enough.
#include <cstdint>
#include <filesystem>
#include <optional>

namespace sinklab::cli {

// Writes DIR/init.safetensors, train.i32 ([step][micro-batch][inputs, targets][batch][context]),
// valid.i32 ([batch][inputs, targets][batch][context]), probe.i32 ([sequence][token]) as raw
// little-endian int32, and replay.json describing them; `steps` defaults to train.steps.
void replay(const std::filesystem::path& run_dir, const std::filesystem::path& out, std::optional<std::int64_t> steps);

}  // namespace sinklab::cli
