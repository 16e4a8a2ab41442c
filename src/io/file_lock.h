#pragma once
// An exclusive lock on a file (flock), held until the FileLock is destroyed or the process ends
// (the kernel drops it even on kill -9). The holder writes its PID into the file, so a process
// that finds the lock taken can name who holds it.
#include <filesystem>
#include <string>

namespace sinklab::io {

class FileLock {
 public:
  // Takes the lock at once or throws an Error naming `what`, the file and the holder's PID.
  FileLock(const std::filesystem::path& file, const std::string& what);
  ~FileLock();
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace sinklab::io
