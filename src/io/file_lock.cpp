#include "io/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/error.h"

namespace sinklab::io {

FileLock::FileLock(const std::filesystem::path& file, const std::string& what, LockMode mode) {
  // O_CLOEXEC: programs sinklab starts (gnuplot, curl, child runs) must not inherit the lock.
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) fail("{}: cannot open the lock file of {}: {}", file.string(), what, std::strerror(errno));
  const int operation = mode == LockMode::shared ? LOCK_SH | LOCK_NB : mode == LockMode::exclusive ? LOCK_EX | LOCK_NB : LOCK_EX;
  int rc = 0;
  do rc = ::flock(fd_, operation);
  while (rc != 0 && errno == EINTR);  // a signal while waiting: its handler has set its flag, wait on
  if (rc != 0) {
    const int why = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (why == EWOULDBLOCK) {
      // The first line: shared holders write over each other, and a shorter PID leaves the
      // tail of a longer one behind it.
      std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
      holder = holder.substr(0, holder.find('\n'));
      while (!holder.empty() && holder.back() == ' ') holder.pop_back();
      fail("{} is in use by another sinklab process (PID {}; lock {}): wait for it to end, or stop it first", what,
           holder.empty() ? "unknown" : holder, file.string());
    }
    fail("{}: cannot lock {}: {}", file.string(), what, std::strerror(why));
  }
  // A waiting lock refuses no one, so it has no PID to give (and its file stays the same bytes).
  if (mode == LockMode::wait) return;
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    fail("{}: cannot write the lock file of {}: {}", file.string(), what, why);
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

}  // namespace sinklab::io
