#include "data/manifest.h"

#include "engine/error.h"

namespace sinklab::data {
namespace {

constexpr const char* tinystories_base = "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/";
constexpr const char* wikitext_base = "https://wikitext.smerity.com/";

}  // namespace

const SplitSource& DatasetInfo::split(const std::string& wanted) const {
  std::vector<std::string> names;
  for (const auto& s : splits) {
    if (s.split == wanted) return s;
    names.push_back(s.split);
  }
  fail("data set '{}' has no split '{}' (it has: {})", name, wanted, fmt::join(names, ", "));
}

const std::vector<DatasetInfo>& manifest() {
  static const std::vector<DatasetInfo> sets = [] {
    const std::string ts = tinystories_base;
    const std::string wt = wikitext_base;
    // The mirror's TinyStories files are a real 10,714-story subset in the official format, not the
    // official files: their checksums are the mirror's own.
    const SplitSource ts_valid{"valid", "valid.txt", ts + "TinyStoriesV2-GPT4-valid.txt", "", 0, "", 0,
                               "tinystories/valid.txt", "9a0a91455887f688219a8a2a3bc97a6e2ea3c60d0f680761a27855515640ef2d"};
    const std::string ts_train_mirror_sha = "1fb9ad779b8d55f00e149d99c706b0961586f62c646cb6e7de410774c24371f6";
    const std::string wt2_valid_sha = "4cd0f6876d07a413aa911261ff6d363c72d757d47f0fdd6015702014c89cb9c7";
    const std::string wt2_test_sha = "173c87a53759e0201f33e0ccf978e510c2042d7f2cb78229d9a50d79b9e7dd08";
    return std::vector<DatasetInfo>{
        {"tinystories", TextFormat::tinystories,
         "TinyStories V2 (GPT-4): the first 20 MB of the official train file (a byte range, cut at the last whole "
         "story) and the official valid file; from a mirror, its subset files",
         {{"train", "train.txt", ts + "TinyStoriesV2-GPT4-train.txt", "", 20'000'000, "", 0, "tinystories/train.txt",
           ts_train_mirror_sha},
          ts_valid}},
        {"tinystories-full", TextFormat::tinystories, "TinyStories V2 (GPT-4), the whole official train file (about 2.2 GB)",
         {{"train", "train.txt", ts + "TinyStoriesV2-GPT4-train.txt", "", 0, "", 0, "", ""}, ts_valid}},
        {"wikitext2", TextFormat::wikitext,
         "WikiText-2 raw (Merity et al. 2016); the mirror has valid and test only (train on valid, validate on test)",
         {{"train", "wiki.train.raw", wt + "wikitext-2-raw-v1.zip", "wikitext-2-raw/wiki.train.raw", 0,
           "6707892fa3788b5ab9ed78ab5ff37d9fe825f6011a2ad4fcd6a6d467f0e7da57", 10'940'747, "", ""},
          {"valid", "wiki.valid.raw", wt + "wikitext-2-raw-v1.zip", "wikitext-2-raw/wiki.valid.raw", 0, wt2_valid_sha,
           1'146'846, "wikitext-2-raw/wiki.valid.raw", wt2_valid_sha},
          {"test", "wiki.test.raw", wt + "wikitext-2-raw-v1.zip", "wikitext-2-raw/wiki.test.raw", 0, wt2_test_sha,
           1'290'590, "wikitext-2-raw/wiki.test.raw", wt2_test_sha}}},
        {"wikitext103", TextFormat::wikitext, "WikiText-103 raw (Merity et al. 2016), from the official archive",
         {{"train", "wiki.train.raw", wt + "wikitext-103-raw-v1.zip", "wikitext-103-raw/wiki.train.raw", 0, "", 0, "", ""},
          {"valid", "wiki.valid.raw", wt + "wikitext-103-raw-v1.zip", "wikitext-103-raw/wiki.valid.raw", 0, "", 0, "", ""},
          {"test", "wiki.test.raw", wt + "wikitext-103-raw-v1.zip", "wikitext-103-raw/wiki.test.raw", 0, "", 0, "", ""}}},
    };
  }();
  return sets;
}

const DatasetInfo& dataset_info(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& d : manifest()) {
    if (d.name == name) return d;
    names.push_back(d.name);
  }
  fail("unknown data set '{}' (known: {}, or data.name: text with data.path)", name, fmt::join(names, ", "));
}

}  // namespace sinklab::data
