#include "data/fetch.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "data/manifest.h"
#include "engine/error.h"
#include "io/atomic_file.h"
#include "io/sha256.h"

extern char** environ;

namespace sinklab::data {
namespace {

namespace fs = std::filesystem;

int run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
    fail("cannot run '{}': is it installed? (scripts/setup.sh installs it)", args[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int curl(const std::string& url, const fs::path& out, std::uint64_t head_bytes, std::ostream& log) {
  std::vector<std::string> args{"curl", "-fL", "--retry", "3", "--progress-bar", "-o", out.string()};
  if (head_bytes > 0) {
    args.push_back("-r");
    args.push_back(fmt::format("0-{}", head_bytes - 1));
  }
  args.push_back(url);
  log << "  downloading " << url << (head_bytes ? fmt::format(" (first {} bytes)", head_bytes) : "") << "\n" << std::flush;
  return run(args);
}

void download(const std::string& url, const fs::path& out, std::uint64_t head_bytes, std::ostream& log) {
  if (curl(url, out, head_bytes, log) != 0) fail("download of {} failed (no network? offline machines set SINKLAB_DATA_MIRROR)", url);
}

// Drops a partial last story so a byte-range download ends at a whole document.
void cut_to_last_document(const fs::path& file, TextFormat format) {
  if (format != TextFormat::tinystories) return;
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string sep = "<|endoftext|>\n";
  const auto at = text.rfind(sep);
  if (at == std::string::npos) fail("{}: the downloaded range holds no whole story", file.string());
  text.resize(at + sep.size());
  io::write_file_atomic(file, text);
}

void fetch_split(const DatasetInfo& set, const SplitSource& src, const std::optional<fs::path>& mirror,
                 std::ostream& log) {
  const fs::path dest = split_path(set.name, src.split);
  const fs::path record = dest.string() + ".source";
  if (fs::exists(dest) && fs::exists(record)) {
    log << "  " << set.name << "/" << src.split << ": present (" << dest.string() << ")\n";
    return;
  }
  fs::create_directories(dest.parent_path());
  const fs::path part = dest.string() + ".part";
  std::string origin, expected;
  if (mirror && !src.mirror_path.empty()) {
    if (!fs::exists(*mirror / src.mirror_path))
      fail("{}/{}: the mirror SINKLAB_DATA_MIRROR={} has no {}", set.name, src.split, mirror->string(),
           (*mirror / src.mirror_path).string());
    fs::copy_file(*mirror / src.mirror_path, part, fs::copy_options::overwrite_existing);
    origin = "mirror " + (*mirror / src.mirror_path).string();
    expected = src.mirror_sha256;
  } else {
    if (mirror)
      log << "  " << set.name << "/" << src.split << " is not mirrored (the mirror holds no such split):"
          << " downloading it from the official URL\n";
    if (!src.archive_member.empty()) {
      const fs::path archive = dest.parent_path() / fs::path(src.url).filename();
      if (!fs::exists(archive)) {
        download(src.url, archive.string() + ".part", 0, log);
        fs::rename(archive.string() + ".part", archive);
      }
      const fs::path tmpdir = dest.parent_path() / ".unzip";
      fs::create_directories(tmpdir);
      if (run({"unzip", "-q", "-o", "-j", archive.string(), src.archive_member, "-d", tmpdir.string()}) != 0)
        fail("{}: could not extract {}", archive.string(), src.archive_member);
      fs::rename(tmpdir / fs::path(src.archive_member).filename(), part);
      fs::remove_all(tmpdir);
    } else {
      download(src.url, part, src.head_bytes, log);
      if (src.head_bytes > 0) cut_to_last_document(part, set.format);
    }
    origin = "official " + src.url + (src.head_bytes ? fmt::format(" (first {} bytes, whole stories)", src.head_bytes) : "");
    expected = src.head_bytes ? "" : src.sha256;
    if (src.bytes > 0 && src.head_bytes == 0 && fs::file_size(part) != src.bytes) {
      const auto got = fs::file_size(part);
      fs::remove(part);
      fail("{}/{}: {} is {} bytes, the manifest expects {}", set.name, src.split, origin, got, src.bytes);
    }
  }
  const std::string sha = io::sha256_file(part);
  if (!expected.empty() && sha != expected) {
    fs::remove(part);
    fail("{}/{}: checksum mismatch from {}: got sha256 {}, expected {}", set.name, src.split, origin, sha, expected);
  }
  fs::rename(part, dest);
  io::write_file_atomic(record, fmt::format("{}\nsha256 {}{}\n", origin, sha, expected.empty() ? " (not pinned)" : " (verified)"));
  log << "  " << set.name << "/" << src.split << ": " << dest.string() << " from " << origin << ", sha256 " << sha
      << (expected.empty() ? " (no published checksum to verify against)" : " (verified)") << "\n";
}

}  // namespace

bool download_if_present(const std::string& url, const fs::path& out, std::ostream& log) {
  const int status = curl(url, out, 0, log);
  // 22: the server answered with an error (404: no such file); 37: a file:// URL names no file.
  if (status == 22 || status == 37) {
    std::error_code ec;
    fs::remove(out, ec);
    return false;
  }
  if (status != 0) fail("download of {} failed (curl exit status {}: no network?)", url, status);
  return true;
}

fs::path data_dir() {
  const char* env = std::getenv("SINKLAB_DATA_DIR");
  return env && *env ? fs::path(env) : fs::path("data");
}

std::optional<fs::path> data_mirror() {
  const char* env = std::getenv("SINKLAB_DATA_MIRROR");
  if (!env || !*env) return std::nullopt;
  // A relative mirror means the directory sinklab was started in; a mirror that is set but not
  // there is an error, never a quiet fall-back to the network.
  const fs::path mirror = fs::absolute(env).lexically_normal();
  std::error_code ec;
  if (!fs::is_directory(mirror, ec))
    fail("SINKLAB_DATA_MIRROR is '{}', but there is no folder {} (unset it to download from the official URLs)", env,
         mirror.string());
  return mirror;
}

fs::path split_path(const std::string& dataset, const std::string& split) {
  return data_dir() / dataset / dataset_info(dataset).split(split).file;
}

void fetch_dataset(const std::string& dataset, const std::vector<std::string>& splits, std::ostream& log) {
  const DatasetInfo& set = dataset_info(dataset);
  log << "fetching " << set.name << ": " << set.description << "\n";
  const auto mirror = data_mirror();
  for (const auto& src : set.splits) {
    bool wanted = splits.empty();
    for (const auto& s : splits) wanted = wanted || s == src.split;
    if (splits.empty() && mirror && src.mirror_path.empty()) {
      log << "  " << set.name << "/" << src.split << ": not in the mirror, skipped (fetch it by name with a network)\n";
      continue;
    }
    if (wanted) fetch_split(set, src, mirror, log);
  }
  for (const auto& s : splits) set.split(s);  // an unknown split name is an error, after the rest
}

}  // namespace sinklab::data
