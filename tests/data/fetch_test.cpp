// Fetching from a mirror folder, as CI and offline machines do.
#include "data/fetch.h"

#include <gtest/gtest.h>

#include <sstream>

#include "data/dataset.h"
#include "data/manifest.h"
#include "engine/error.h"
#include "support/temp_dir.h"

namespace sinklab::testing {
namespace {

class Fetch : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SINKLAB_DATA_DIR", (dir / "data").c_str(), 1);
    if (const char* m = std::getenv("SINKLAB_DATA_MIRROR")) real_mirror = m;
    unsetenv("SINKLAB_DATA_MIRROR");
  }
  void TearDown() override {
    if (real_mirror.empty()) unsetenv("SINKLAB_DATA_MIRROR");
    else setenv("SINKLAB_DATA_MIRROR", real_mirror.c_str(), 1);
  }
  TempDir dir;
  std::string real_mirror;  // the caller's SINKLAB_DATA_MIRROR (CI: ../shared/data)
};

TEST_F(Fetch, MissingDataSaysHowToFetchIt) {
  data::DataConfig c;
  std::ostringstream log;
  try {
    data::prepare_data(c, 0, log);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Fetch it with: sinklab data fetch tinystories"), std::string::npos) << e.what();
  }
  EXPECT_THROW(data::dataset_info("wikitext5"), Error);
}

TEST_F(Fetch, MirrorCopiesAreVerifiedAgainstTheManifest) {
  const auto& split = data::dataset_info("wikitext2").split("valid");
  write_file(dir / "mirror" / split.mirror_path, "not the real file\n");
  setenv("SINKLAB_DATA_MIRROR", (dir / "mirror").c_str(), 1);
  std::ostringstream log;
  try {
    data::fetch_dataset("wikitext2", {"valid"}, log);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(data::split_path("wikitext2", "valid")));
}

// The real mirror (CI sets SINKLAB_DATA_MIRROR): fetch TinyStories, tokenize with BPE.
TEST_F(Fetch, RealMirrorTinyStoriesFetchesAndTokenizes) {
  if (real_mirror.empty()) GTEST_SKIP() << "SINKLAB_DATA_MIRROR is not set";
  setenv("SINKLAB_DATA_MIRROR", real_mirror.c_str(), 1);
  std::ostringstream log;
  data::fetch_dataset("tinystories", {}, log);
  EXPECT_NE(log.str().find("(verified)"), std::string::npos) << log.str();
  std::ostringstream again;
  data::fetch_dataset("tinystories", {}, again);
  EXPECT_NE(again.str().find("present"), std::string::npos);
  data::DataConfig c;
  const auto prepared = data::prepare_data(c, 0, log);
  EXPECT_EQ(prepared.train->documents(), 9714u);
  EXPECT_EQ(prepared.valid->documents(), 1000u);
  EXPECT_EQ(prepared.tokenizer->vocab_size(), 4096);
  // About 4.2 bytes per BPE token on TinyStories; byte level would be 1.
  EXPECT_LT(prepared.train->tokens(), 8087231u / 3);
}

}  // namespace
}  // namespace sinklab::testing
