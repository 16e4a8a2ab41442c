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
    data::prepare_data(c, dir / "run", 0, log);
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

// A mirror that is set but absent stops the fetch and names the folder: no fall-back to the network.
TEST_F(Fetch, AMirrorThatIsNotThereIsAnErrorNamingTheFolder) {
  setenv("SINKLAB_DATA_MIRROR", (dir / "no-such-mirror").c_str(), 1);
  std::ostringstream log;
  try {
    data::fetch_dataset("tinystories", {}, log);
    FAIL() << log.str();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "no-such-mirror").string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(log.str().find("download"), std::string::npos) << log.str();
  // A mirror folder without the split's file is an error too, naming the file it looked for.
  std::filesystem::create_directories(dir / "empty-mirror");
  setenv("SINKLAB_DATA_MIRROR", (dir / "empty-mirror").c_str(), 1);
  const auto& split = data::dataset_info("tinystories").split("train");
  try {
    data::fetch_dataset("tinystories", {"train"}, log);
    FAIL() << log.str();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "empty-mirror" / split.mirror_path).string()), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(log.str().find("download"), std::string::npos) << log.str();
}

// A relative mirror path means the working directory it was given in.
TEST_F(Fetch, ARelativeMirrorIsResolvedAgainstTheWorkingDirectory) {
  const auto& split = data::dataset_info("wikitext2").split("valid");
  write_file(dir / "mirror" / split.mirror_path, "not the real file\n");
  const auto before = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  setenv("SINKLAB_DATA_MIRROR", "./mirror", 1);
  const auto mirror = data::data_mirror();
  std::string error;
  std::ostringstream log;
  try {
    data::fetch_dataset("wikitext2", {"valid"}, log);
  } catch (const Error& e) {
    error = e.what();
  }
  std::filesystem::current_path(before);
  ASSERT_TRUE(mirror.has_value());
  EXPECT_EQ(*mirror, (dir / "mirror").lexically_normal());
  // The file was found through the relative path (and then refused by its checksum).
  EXPECT_NE(error.find("checksum mismatch from mirror " + (dir / "mirror" / split.mirror_path).string()),
            std::string::npos)
      << error;
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
  const auto prepared = data::prepare_data(c, dir / "run", 0, log);
  EXPECT_EQ(prepared.train->documents(), 9714u);
  EXPECT_EQ(prepared.valid->documents(), 1000u);
  EXPECT_EQ(prepared.tokenizer->vocab_size(), 4096);
  // About 4.2 bytes per BPE token on TinyStories; byte level would be 1.
  EXPECT_LT(prepared.train->tokens(), 8087231u / 3);
}

}  // namespace
}  // namespace sinklab::testing
