#pragma once
// The data sets sinklab knows how to fetch, with their official sources and the files of the
// offline mirror (SINKLAB_DATA_MIRROR). Listed in data/README.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/documents.h"

namespace sinklab::data {

struct SplitSource {
  std::string split;  // train | valid | test
  std::string file;   // under data/<data set>/
  // Official copy: a URL, or a member of a zip archive at that URL.
  std::string url;
  std::string archive_member;
  std::uint64_t head_bytes = 0;  // > 0: fetch only this many leading bytes, cut at the last whole document
  std::string sha256;            // of the official file, where published; empty when not
  std::uint64_t bytes = 0;       // of the official file, where known
  // Mirror copy: a path under SINKLAB_DATA_MIRROR (a different file for TinyStories: a subset).
  std::string mirror_path;
  std::string mirror_sha256;
};

struct DatasetInfo {
  std::string name;
  TextFormat format;
  std::string description;
  std::vector<SplitSource> splits;

  const SplitSource& split(const std::string& name) const;  // error lists the splits
};

const std::vector<DatasetInfo>& manifest();
const DatasetInfo& dataset_info(const std::string& name);  // error lists the data sets

}  // namespace sinklab::data
