// Pretrained models through the sinklab binary, as a person would: fetch (from a hub served by
// file:// URLs), import, analyze, eval, sample, continue training, export.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "hf/import.h"
#include "hf/model_fetch.h"
#include "io/safetensors.h"
#include "support/cli_fixture.h"

namespace sinklab {
namespace {

namespace fs = std::filesystem;

const fs::path hf_golden = fs::path(SINKLAB_GOLDEN_DIR) / "hf";

class HfCli : public testing::CliFixture {};

TEST_F(HfCli, ImportedGpt2IsAnalysedEvaluatedSampledTrainedAndExported) {
  const std::string settings = "--config " + (dir / "tiny.yaml").string() +
                               " --set analysis.probe_length=16 --set train.steps=3 --set train.checkpoint_every=3"
                               " --set data.window=random";
  auto r = run("import hf " + (hf_golden / "gpt2").string() + " --name gpt2 " + settings);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("imported GPT2LMHeadModel"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("context 16 (of 32)"), std::string::npos) << r.output;  // tiny.yaml's
  EXPECT_NE(r.output.find("\"resid_pdrop\" 0.1 is not used"), std::string::npos) << r.output;
  const fs::path run_dir = dir / "runs" / "gpt2";
  for (const char* f : {"config.resolved.yaml", "vocab.json", "merges.txt", hf::import_record, "checkpoints/step_0000000/model.safetensors"})
    EXPECT_TRUE(fs::exists(run_dir / f)) << f;
  r = run("import hf " + (hf_golden / "gpt2").string() + " --name gpt2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;

  r = run("analyze gpt2");
  ASSERT_EQ(r.code, 0) << r.output;
  // The full record, the seed paper's metrics among them.
  const auto record = nlohmann::json::parse(testing::read_file(run_dir / "analyze" / "step_0000000.json"));
  for (const char* key : {"sink_rate", "first_mass", "diag_score", "bos_alignment", "attn_in_cosine", "smoothing_dense",
                          "head_out_norm", "block_cost"})
    EXPECT_TRUE(record.contains(key) && !record.at(key).is_null()) << key;
  EXPECT_TRUE(fs::exists(run_dir / "analyze" / "step_0000000.npy"));
  r = run("eval gpt2");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run("sample gpt2 --tokens 8");
  ASSERT_EQ(r.code, 0) << r.output;

  // Continued training from the imported weights: the run's own config, resumed at step 0 (whose
  // loader has read nothing: random windows start from the seed).
  r = run("train " + (run_dir / "config.resolved.yaml").string() + " --name gpt2 --resume");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(run_dir / "checkpoints" / "step_0000003")) << r.output;
  EXPECT_EQ(metrics("gpt2").size(), 3u);

  r = run("export hf gpt2 --out " + (dir / "out").string() + "/");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("at step 3"), std::string::npos) << r.output;
  // transformers refuses inputs longer than the tokenizer's model_max_length: the model's context.
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(dir / "out" / "tokenizer_config.json")).at("model_max_length"), 16);
  for (const char* f : {"config.json", "model.safetensors", "vocab.json", "merges.txt"}) EXPECT_TRUE(fs::exists(dir / "out" / f)) << f;
  r = run("export hf gpt2 --out " + (dir / "out").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;
  r = run("import hf " + (dir / "out").string() + " --name again --set data.context=16");
  ASSERT_EQ(r.code, 0) << r.output;
}

TEST_F(HfCli, ByteLevelRunsExportWithAGpt2VocabularyOfBytes) {
  auto r = run("train " + (dir / "tiny.yaml").string() + " --name byte --set model.norm=layernorm --set model.pos=learned "
               "--set model.mlp=gelu --set model.bias=true");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run("export hf byte --out " + (dir / "byte-hf").string());
  ASSERT_EQ(r.code, 0) << r.output;
  r = run("import hf " + (dir / "byte-hf").string() + " --name byte2 --config " + (dir / "tiny.yaml").string());
  ASSERT_EQ(r.code, 0) << r.output;
  // The same weights, and text encodes to the same byte ids with the same BOS and EOS.
  const auto a = io::read_safetensors(dir / "runs" / "byte" / "checkpoints" / "step_0000008" / "model.safetensors").tensors;
  const auto b = io::read_safetensors(dir / "runs" / "byte2" / "checkpoints" / "step_0000000" / "model.safetensors").tensors;
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    const auto x = a[i].second.to_vector<float>(), y = b[i].second.to_vector<float>();
    EXPECT_TRUE(x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0) << a[i].first;
  }
  r = run("eval byte");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string before = r.output.substr(r.output.find("loss"));
  r = run("eval byte2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.substr(r.output.find("loss")), before);
}

TEST_F(HfCli, ExportRefusesVariantsWithoutAHuggingFaceEquivalentByName) {
  auto r = run("train " + (dir / "tiny.yaml").string() + " --name gated --set model.attention.gate=headwise --set train.steps=4");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run("export hf gated --out " + (dir / "gated-hf").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("model.attention.gate headwise has no Hugging Face equivalent"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "gated-hf"));
  r = run("train " + (dir / "tiny.yaml").string() + " --name mixed --set model.pos=learned --set train.steps=4");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run("export hf mixed --out " + (dir / "mixed-hf").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("model.pos learned has no equivalent in LlamaForCausalLM"), std::string::npos) << r.output;
}

TEST_F(HfCli, ModelFetchRecordsAndChecksSha256) {
  // A hub with one repository, served by file:// URLs the way huggingface.co serves resolve/main/.
  const fs::path repo = dir / "hub" / "someone" / "tiny-gpt2" / "resolve" / "main";
  fs::create_directories(repo);
  for (const auto& e : fs::directory_iterator(hf_golden / "gpt2")) fs::copy_file(e.path(), repo / e.path().filename());
  setenv("HF_ENDPOINT", ("file://" + (dir / "hub").string()).c_str(), 1);
  auto r = run("model fetch someone/tiny-gpt2");
  unsetenv("HF_ENDPOINT");
  ASSERT_EQ(r.code, 0) << r.output;
  const fs::path fetched = dir / "data" / "models" / "someone--tiny-gpt2";
  EXPECT_TRUE(fs::exists(fetched / hf::fetch_record)) << r.output;
  EXPECT_NE(r.output.find("model.safetensors sha256 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sinklab import hf"), std::string::npos) << r.output;
  r = run("model fetch someone/tiny-gpt2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("present, 4 files match"), std::string::npos) << r.output;
  r = run("model fetch someone/tiny-gpt2 --revision v2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("holds someone/tiny-gpt2 at revision main, not someone/tiny-gpt2 at v2"), std::string::npos) << r.output;
  r = run("import hf " + fetched.string() + " --name tiny --set data.context=16");
  ASSERT_EQ(r.code, 0) << r.output;
  testing::write_file(fetched / "merges.txt", "#version: 0.2\n");
  r = run("model fetch someone/tiny-gpt2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("merges.txt changed since it was fetched"), std::string::npos) << r.output;

  setenv("HF_ENDPOINT", ("file://" + (dir / "hub").string()).c_str(), 1);
  r = run("model fetch someone/missing");
  unsetenv("HF_ENDPOINT");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("is 'someone/missing' a public model repository?"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "data" / "models" / "someone--missing"));
  r = run("model fetch ../etc");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("neither a known model"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace sinklab
