#pragma once
// A lock on a file (flock), held until the FileLock is destroyed or the process ends (the kernel
// drops it even on kill -9). A holder that may make another process give up writes its PID into
// the file, so that process can name who holds it.
#include <filesystem>
#include <string>

namespace sinklab::io {

enum class LockMode {
  exclusive,  // one holder; taken at once or refused
  shared,     // any number of holders (the shards of one ablation), but never beside an exclusive one; at once or refused
  wait,       // exclusive, waiting for the holder to let go: for short read-modify-write sections
};

class FileLock {
 public:
  // Takes the lock, or (exclusive, shared) throws an Error naming `what`, the file and the
  // holder's PID when another process holds it.
  FileLock(const std::filesystem::path& file, const std::string& what, LockMode mode = LockMode::exclusive);
  ~FileLock();
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace sinklab::io
