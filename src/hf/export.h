#pragma once
// `sinklab export hf RUN --out DIR`: a run's checkpoint as a folder transformers loads with
// from_pretrained, as GPT2LMHeadModel or LlamaForCausalLM (hf/architecture.h).
#include <cstdint>
#include <filesystem>
#include <ostream>

namespace sinklab::hf {

struct ExportOptions {
  std::filesystem::path run_dir;
  std::int64_t step = 0;  // 0: the newest checkpoint
  std::filesystem::path out;  // must not exist yet, or be an empty folder
};

// Writes config.json, model.safetensors (float32) and the tokenizer files into a temporary folder
// beside `out`, then renames it into place: `out` appears whole or not at all.
void export_hf(const ExportOptions& options, std::ostream& log);

}  // namespace sinklab::hf
