#include "hf/model_fetch.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "data/fetch.h"
#include "data/tokenizer_files.h"
#include "engine/error.h"
#include "hf/checkpoint_files.h"
#include "io/atomic_file.h"
#include "io/json_parse.h"
#include "io/sha256.h"

namespace sinklab::hf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string endpoint() {
  const char* env = std::getenv("HF_ENDPOINT");
  std::string url = env && *env ? env : "https://huggingface.co";
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// [A-Za-z0-9][A-Za-z0-9._-]* without "..": a hub owner, repository or revision, never a path.
bool plain_name(const std::string& s) {
  const auto allowed = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'; };
  return !s.empty() && std::isalnum(static_cast<unsigned char>(s[0])) && std::all_of(s.begin(), s.end(), allowed) &&
         s.find("..") == std::string::npos;
}

// True when every file of an earlier fetch of this repository and revision is there with its
// recorded sha256.
bool fetched_before(const fs::path& dir, const std::string& repo, const std::string& revision, std::ostream& log) {
  if (!fs::exists(dir / fetch_record)) return false;
  const json record = io::read_json_file(dir / fetch_record, "the fetch record");
  if (!record.is_object() || !record.contains("sha256") || !record.at("sha256").is_object())
    fail("{}: not a fetch record (no \"sha256\" object); remove the folder to fetch again", (dir / fetch_record).string());
  if (record.value("repo", "") != repo || record.value("revision", "") != revision)
    fail("{}: holds {} at revision {}, not {} at {}; remove the folder to fetch it", dir.string(), record.value("repo", "?"),
         record.value("revision", "?"), repo, revision);
  for (const auto& [file, sha] : record.at("sha256").items()) {
    if (!sha.is_string() || fs::path(file).filename().string() != file)
      fail("{}: a damaged record (entry \"{}\"); remove the folder to fetch again", (dir / fetch_record).string(), file);
    if (!fs::is_regular_file(dir / file)) fail("{}: {} is missing; remove the folder to fetch again", dir.string(), file);
    if (io::sha256_file(dir / file) != sha.get<std::string>())
      fail("{}: {} changed since it was fetched (sha256 differs from {}); remove the folder to fetch again", dir.string(), file,
           fetch_record);
  }
  log << fmt::format("{}: present, {} files match their recorded sha256\n", dir.string(), record.at("sha256").size());
  return true;
}

}  // namespace

const std::vector<KnownModel>& known_models() {
  static const std::vector<KnownModel> models{
      {"gpt2", "openai-community/gpt2", "GPT-2 small (124M), 12 layers, context 1024, the seed paper's GPT-2"},
      {"gpt2-medium", "openai-community/gpt2-medium", "GPT-2 medium (355M), 24 layers"},
      {"tinyllama", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "Llama family (1.1B), 22 layers, 32 heads, 4 key/value heads"},
  };
  return models;
}

fs::path fetch_model(const std::string& name, const std::string& revision, std::ostream& log) {
  std::string repo = name;
  for (const auto& m : known_models())
    if (m.name == name) repo = m.repo;
  // A hub repository id: owner/name, each a plain name, so it is also a safe folder path.
  const auto slash = repo.find('/');
  if (slash == std::string::npos || !plain_name(repo.substr(0, slash)) || !plain_name(repo.substr(slash + 1))) {
    std::string names;
    for (const auto& m : known_models()) names += (names.empty() ? "" : ", ") + m.name;
    fail("model fetch: '{}' is neither a known model ({}) nor a hub repository owner/name", name, names);
  }
  if (!plain_name(revision)) fail("model fetch: --revision '{}' is not a branch, tag or commit name", revision);
  const std::string folder_name = repo == name ? repo.substr(0, slash) + "--" + repo.substr(slash + 1) : name;
  const fs::path dir = data::data_dir() / "models" / folder_name;
  if (fetched_before(dir, repo, revision, log)) return dir;
  if (fs::exists(dir) && !fs::is_empty(dir)) fail("{}: exists but holds no {}; remove it to fetch again", dir.string(), fetch_record);

  const std::string base = fmt::format("{}/{}/resolve/{}/", endpoint(), repo, revision);
  log << fmt::format("fetching {} ({}) into {}\n", repo, revision, dir.string());
  const fs::path part = dir.parent_path() / fmt::format(".{}.partial-{}", folder_name, ::getpid());
  fs::create_directories(part);
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } cleanup{part};
  auto get = [&](const std::string& file) { return data::download_if_present(base + file, part / file, log); };
  if (!get(config_file)) fail("{}{}: not found; is '{}' a public model repository?", base, config_file, repo);
  if (!get(weights_file)) {
    if (!get(weights_index)) fail("{}: has neither {} nor {}: sinklab reads safetensors weights only", base, weights_file, weights_index);
    for (const auto& shard : weight_files(part))
      if (shard.filename() != weights_index && !get(shard.filename().string())) fail("{}{}: named by the index, but not found", base, shard.filename().string());
  }
  bool tokenizer = false;
  for (const char* kind : data::hf_tokenizer_kinds) {
    const auto files = data::tokenizer_files(kind);
    bool all = true;
    for (const auto& f : files.required) all = (fs::exists(part / f) || get(f)) && all;
    if (!all) continue;
    tokenizer = true;
    for (const auto& f : files.optional)
      if (!fs::exists(part / f)) get(f);
  }
  if (!tokenizer) fail("{}: no tokenizer sinklab reads (vocab.json + merges.txt, or tokenizer.model)", base);
  json sha = json::object();
  for (const auto& entry : fs::directory_iterator(part)) sha[entry.path().filename().string()] = io::sha256_file(entry.path());
  io::write_file_atomic(part / fetch_record, json{{"repo", repo}, {"revision", revision}, {"url", base}, {"sha256", sha}}.dump(2) + "\n");
  if (fs::exists(dir)) fs::remove(dir);  // an empty folder
  fs::rename(part, dir);
  io::fsync_directory(dir.parent_path());
  for (const auto& [file, digest] : sha.items()) log << fmt::format("  {} sha256 {}\n", file, digest.get<std::string>());
  log << fmt::format("import it with: sinklab import hf {} --name {}\n", dir.string(), fs::path(folder_name).filename().string());
  return dir;
}

}  // namespace sinklab::hf
