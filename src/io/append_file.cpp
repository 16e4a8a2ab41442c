#include "io/append_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "engine/error.h"

namespace sinklab::io {

AppendFile::AppendFile(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) fail("{}: cannot open for appending: {}", path.string(), std::strerror(errno));
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

AppendFile::AppendFile(AppendFile&& other) noexcept : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

AppendFile& AppendFile::operator=(AppendFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

bool AppendFile::empty() const {
  struct stat st {};
  return ::fstat(fd_, &st) == 0 && st.st_size == 0;
}

void AppendFile::append(std::string_view record) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("{}: cannot append: {}", path_.string(), std::strerror(errno));
  std::size_t done = 0;
  while (done < record.size()) {
    const ssize_t n = ::write(fd_, record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "nothing written";
      // Cut the partial record off again: the file keeps ending at a whole record.
      const bool restored = ::ftruncate(fd_, st.st_size) == 0;
      fail("{}: cannot append a record ({}){}", path_.string(), why,
           restored ? "; the file still ends with the last whole record" : "; its last record may be cut short");
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace sinklab::io
