#pragma once
// Getting data sets: copied from a mirror folder (SINKLAB_DATA_MIRROR) or downloaded from the
// official URLs with curl, checked against the manifest's sha256, then moved into place.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace sinklab::data {

// $SINKLAB_DATA_DIR, else ./data.
std::filesystem::path data_dir();
// $SINKLAB_DATA_MIRROR when set, made absolute against the working directory; an error when that
// folder does not exist.
std::optional<std::filesystem::path> data_mirror();

// Where a fetched split lives: <data_dir>/<data set>/<file>.
std::filesystem::path split_path(const std::string& dataset, const std::string& split);

// Downloads `url` into `out` with curl; false when the server has no such file (HTTP error such as
// 404), an error when it cannot be reached.
bool download_if_present(const std::string& url, const std::filesystem::path& out, std::ostream& log);

// Fetches the given splits (all when empty); splits already present are left alone.
void fetch_dataset(const std::string& dataset, const std::vector<std::string>& splits, std::ostream& log);

}  // namespace sinklab::data
