#include "train/run_folder.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "engine/error.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;

// The first symbolic link at or below `dir`, if any.
std::optional<fs::path> find_symlink(const fs::path& dir) {
  if (fs::is_symlink(dir)) return dir;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it)
    if (it->is_symlink()) return it->path();
  return std::nullopt;
}

}  // namespace

void check_folder_name(const std::string& name, const std::string& what, const std::string& hint) {
  const bool plain = !name.empty() && name != "." && name != ".." &&
                     name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
                         std::string::npos;
  if (!plain)
    fail("{} '{}' is not a plain folder name: use letters, digits, '.', '_' and '-' (not '.' or '..', no '/'){}", what,
         name, hint);
}

RunFolder::RunFolder(const fs::path& parent, const std::string& name, bool resume, const std::string& what,
                     const std::string& marker, io::LockMode lock) {
  check_folder_name(name, what + " name");
  path_ = parent / name;
  fs::create_directories(parent);
  if (::mkdir(path_.c_str(), 0755) == 0) {
    created_ = true;
  } else if (errno != EEXIST) {
    fail("{}: cannot create the {} folder: {}", path_.string(), what, std::strerror(errno));
  } else {
    existed_ = true;
    if (fs::is_symlink(path_) || !fs::is_directory(fs::symlink_status(path_)))
      fail("{}: is not a folder of its own (a symbolic link or a file); sinklab writes only into real folders",
           path_.string());
    if (!resume)
      fail("{}: the {} folder already exists; continue it with --resume, or pick another --name", path_.string(), what);
  }
  lock_ = std::make_unique<io::FileLock>(path_ / ".lock", fmt::format("the {} folder {}", what, path_.string()), lock);
  if (lock == io::LockMode::shared) created_ = false;
  if (!existed_) return;
  bool empty = true;
  for (const auto& e : fs::directory_iterator(path_)) empty = empty && e.path().filename() == ".lock";
  if (!empty && !fs::exists(path_ / marker))
    fail("{}: not a sinklab {} folder (no {}); refusing to write into it", path_.string(), what, marker);
  if (const auto link = find_symlink(path_))
    fail("{}: holds a symbolic link ({}); sinklab never writes through links, remove it first", path_.string(),
         link->string());
}

RunFolder::~RunFolder() {
  if (!created_) return;
  std::error_code ignored;
  fs::remove_all(path_, ignored);  // before the lock goes, so no other process can have taken it
}

}  // namespace sinklab::train
