#pragma once
// A run's folder, runs/<name>/, opened for writing: the name is one path component, the folder is
// a real folder (no symbolic link anywhere in it, so nothing is written elsewhere), an existing
// folder is continued only if it is a sinklab run, and one process at a time writes it (an
// exclusive lock on <folder>/.lock, held until the RunFolder is destroyed; or a shared one, for the
// shards of an ablation that write its folder side by side).
#include <filesystem>
#include <memory>
#include <string>

#include "data/tokenizer_files.h"
#include "io/file_lock.h"

namespace sinklab::train {

// The file whose presence makes a folder a sinklab run (written first, before any output): the
// run's resolved config.
inline constexpr const char* run_marker = "config.resolved.yaml";
// The run's copy of its BPE tokenizer (data/tokenizer_files.h names every kind's files).
inline constexpr const char* run_tokenizer = data::sentencepiece_model_file;

// Names that become folders (runs, ablations, variants): [A-Za-z0-9._-]+, not "." or "..".
// `what` names the value in the error ("run name", "--name"); `hint` ends it.
void check_folder_name(const std::string& name, const std::string& what, const std::string& hint = "");

class RunFolder {
 public:
  // Creates <parent>/<name> (a new run), or with `resume` also takes an existing one, which must
  // be a sinklab run (holds run_marker) or empty. `what` names it in errors ("run", "ablation").
  // `marker` is the file that makes an existing folder one of its kind.
  RunFolder(const std::filesystem::path& parent, const std::string& name, bool resume, const std::string& what = "run",
            const std::string& marker = run_marker, io::LockMode lock = io::LockMode::exclusive);
  // A folder this object created is removed again unless keep() was called: a run that fails
  // before writing anything leaves nothing behind, and the same command can be given again. A
  // folder locked shared is never removed: another holder may be writing it.
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }
  bool existed() const { return existed_; }
  void keep() { created_ = false; }

 private:
  std::filesystem::path path_;
  bool existed_ = false, created_ = false;
  std::unique_ptr<io::FileLock> lock_;
};

}  // namespace sinklab::train
