#pragma once
#include <filesystem>
#include <string_view>

namespace sinklab::io {

// Writes `bytes` to path so that readers see either the old file or the whole new one: write a
// temporary beside it, fsync, rename over, fsync the folder.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Makes a completed rename or new file durable.
void fsync_directory(const std::filesystem::path& dir);

}  // namespace sinklab::io
