// Training and sampling with a Hugging Face tokenizer kept in the run folder, as `sinklab import
// hf` leaves it: the data set is tokenized with it, and a run without its files says what is missing.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/tokenizer_files.h"
#include "support/cli_fixture.h"

namespace sinklab::testing {
namespace {

namespace fs = std::filesystem;

class HfTokenizerCli : public CliFixture {};

TEST_F(HfTokenizerCli, TrainsAndSamplesWithTheRunFoldersTokenizer) {
  const fs::path hf = fs::path(SINKLAB_GOLDEN_DIR) / "hf";
  const std::string cfg = (dir / "tiny.yaml").string();
  const auto golden = nlohmann::json::parse(read_file(hf / "tokenizer_encodings.json"));
  for (const auto& [kind, fixture] : {std::pair{"gpt2", "gpt2"}, {"sentencepiece", "llama"}}) {
    const std::string set = std::string(" --set data.tokenizer=") + kind;
    const auto missing = run("train " + cfg + " --name none" + set);
    EXPECT_NE(missing.code, 0);
    EXPECT_NE(missing.output.find("in the run folder (`sinklab import hf` puts them there)"), std::string::npos) << missing.output;
    EXPECT_FALSE(fs::exists(dir / "runs" / "none"));

    // The run folder as an import leaves it: the config and the tokenizer files, no checkpoint yet.
    const fs::path run_dir = dir / "runs" / kind;
    std::string config = read_file(cfg);
    config.replace(config.find("tokenizer: byte"), 15, std::string("tokenizer: ") + kind);
    write_file(run_dir / "config.resolved.yaml", config);
    for (const auto& f : data::tokenizer_files(kind).required) fs::copy(hf / fixture / f, run_dir / f);
    const auto trained = run("train " + cfg + " --name " + kind + " --resume" + set);
    ASSERT_EQ(trained.code, 0) << trained.output;
    const auto vocab = golden.at(std::string(fixture) + "_vocab_size").get<std::int64_t>();
    EXPECT_NE(trained.output.find(fmt::format("vocab {} |", vocab)), std::string::npos) << trained.output;
    bool cached = false;
    for (const auto& e : fs::directory_iterator(dir / "data" / "cache" / "tokens"))
      cached |= e.path().filename().string().find(std::string("-") + kind + "-") != std::string::npos;
    EXPECT_TRUE(cached) << "no token cache keyed by the " << kind << " tokenizer";
    const auto sample = run("sample " + std::string(kind) + " --prompt 'the cat' --tokens 5 --seed 3");
    EXPECT_EQ(sample.code, 0) << sample.output;
    EXPECT_TRUE(sample.output.starts_with("the cat")) << sample.output;
  }
}

}  // namespace
}  // namespace sinklab::testing
