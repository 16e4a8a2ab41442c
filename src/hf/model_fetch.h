#pragma once
// `sinklab model fetch NAME`: a public checkpoint folder from the Hugging Face hub, into
// <data_dir>/models/<name>/, with the sha256 of every file recorded in fetch.json (like the data
// fetch). A fetched folder is checked against that record when fetched again.
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace sinklab::hf {

inline constexpr const char* fetch_record = "fetch.json";

struct KnownModel {
  std::string name;  // what `model fetch` takes
  std::string repo;  // owner/name on the hub
  std::string description;
};

// Short names for checkpoints sinklab reads (listed by `sinklab model list`).
const std::vector<KnownModel>& known_models();

// NAME is a short name or a hub repository "owner/name"; `revision` a branch, tag or commit.
// The hub is $HF_ENDPOINT when set (as for huggingface_hub), else https://huggingface.co.
// Returns the folder.
std::filesystem::path fetch_model(const std::string& name, const std::string& revision, std::ostream& log);

}  // namespace sinklab::hf
