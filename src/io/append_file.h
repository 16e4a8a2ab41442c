#pragma once
// A log that grows by whole records (metrics.jsonl, analysis.csv, log.txt): every append is
// checked, and one that fails (disk full, I/O error, file size limit) is cut back off, so the file
// always ends with a whole record, and the error names the file. Never writes through a symlink.
#include <filesystem>
#include <string_view>

namespace sinklab::io {

class AppendFile {
 public:
  explicit AppendFile(const std::filesystem::path& path);
  ~AppendFile();
  AppendFile(AppendFile&& other) noexcept;
  AppendFile& operator=(AppendFile&& other) noexcept;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  // Appends `record` (which should end with a newline) completely, or throws an Error and leaves
  // the file as it was before the call.
  void append(std::string_view record);
  bool empty() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace sinklab::io
