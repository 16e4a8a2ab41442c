#pragma once
// `sinklab import hf DIR --name RUN`: a Hugging Face checkpoint folder becomes a sinklab run at
// step 0, so analyze, eval, sample, intervene and continued training (train --resume) work on it.
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace sinklab::hf {

// What the run keeps of where it came from: the source folder, the files read and their sha256.
inline constexpr const char* import_record = "import.json";

struct ImportOptions {
  std::filesystem::path source;  // the checkpoint folder
  std::string name;              // the run's name
  std::filesystem::path runs_dir;
  // Optional: data, training and analysis settings for the run. The model section always comes
  // from config.json and the tokenizer from the folder; --set of a model key is refused.
  std::filesystem::path config_file;
  std::vector<std::string> overrides;
};

// Writes runs/<name>/: config.resolved.yaml, the tokenizer files, checkpoints/step_0000000 (the
// weights; no optimizer moments: training from it starts them afresh) and import.json. The
// config, the weights' index and the memory needed are checked before the folder is created; a
// later failure removes the folder again. Returns the run folder.
std::filesystem::path import_hf(const ImportOptions& options, std::ostream& log);

}  // namespace sinklab::hf
