// Hugging Face checkpoints in and out: the fixtures of tests/golden/make_hf_fixtures.py (PyTorch,
// the exact Hugging Face names and layouts) import to the same logits, and export gives back the
// same tensors.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <fstream>
#include <functional>
#include <sstream>

#include "engine/error.h"
#include "hf/checkpoint_files.h"
#include "hf/export.h"
#include "hf/import.h"
#include "io/safetensors.h"
#include "support/temp_dir.h"
#include "train/config.h"
#include "train/saved_run.h"

namespace sinklab {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const fs::path hf_golden = fs::path(SINKLAB_GOLDEN_DIR) / "hf";

// A run's data: a text file of the test's own, so an import fetches no data set.
std::vector<std::string> settings(const TempDir& dir, std::vector<std::string> overrides = {}) {
  testing::write_file(dir / "text.txt", "Once upon a time there was a cat.\n\nIt sat on a mat.\n");
  for (const char* key : {"data.path", "data.valid_path"}) overrides.push_back(std::string(key) + "=" + (dir / "text.txt").string());
  overrides.push_back("data.name=text");
  return overrides;
}

fs::path import_fixture(const TempDir& dir, const std::string& fixture, const std::string& name,
                        std::vector<std::string> overrides = {}) {
  std::ostringstream log;
  return hf::import_hf({hf_golden / fixture, name, dir / "runs", "", settings(dir, std::move(overrides))}, log);
}

// A checkpoint folder to break: a copy of a fixture.
fs::path copy_fixture(const TempDir& dir, const std::string& fixture) {
  const fs::path to = dir / ("src-" + fixture);
  fs::copy(hf_golden / fixture, to, fs::copy_options::recursive);
  return to;
}

std::string import_error(const TempDir& dir, const fs::path& source, std::vector<std::string> overrides = {}) {
  std::ostringstream log;
  try {
    hf::import_hf({source, "broken", dir / "runs", "", settings(dir, std::move(overrides))}, log);
  } catch (const Error& e) {
    EXPECT_FALSE(fs::exists(dir / "runs" / "broken")) << "a failed import leaves its folder";
    return e.what();
  }
  ADD_FAILURE() << "import of " << source << " did not fail";
  return "";
}

void set_config_field(const fs::path& file, const std::string& key, const nlohmann::json& value) {
  std::ifstream in(file);
  nlohmann::json j = nlohmann::json::parse(in);
  j[key] = value;
  std::ofstream(file) << j.dump();
}

// Bit-identical, not merely equal (-0 and 0 differ).
bool same_bits(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector<float>(), y = b.to_vector<float>();
  return a.shape() == b.shape() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
}

class ImportFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ImportFixture, LogitsAndLossMatchPyTorch) {
  TempDir dir;
  const fs::path run_dir = import_fixture(dir, GetParam(), "imported");
  const train::LoadedRun run = train::load_run(run_dir);
  EXPECT_EQ(run.step, 0);
  const auto expected = io::read_safetensors(hf_golden / (GetParam() + ".expected.safetensors"));
  const Tensor ids = expected.get("ids");
  const auto want = expected.get("logits").to_vector<float>();
  const auto got = run.model->forward(ids).to_vector<float>();
  ASSERT_EQ(got.size(), want.size());
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(got[i] - want[i])));
    scale = std::max(scale, static_cast<double>(std::abs(want[i])));
  }
  EXPECT_LE(worst, 1e-4 * scale) << "largest logit difference " << worst << " of logits up to " << scale;
  RecordProperty("largest_logit_difference_relative", fmt::format("{:.2e}", worst / scale));
  // Hugging Face's causal-LM loss: every position predicts the next id.
  const std::int64_t B = ids.shape()[0], T = ids.shape()[1];
  auto all = ids.to_vector<std::int32_t>();
  std::vector<std::int32_t> targets(all.size(), -100);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t + 1 < T; ++t) targets[static_cast<std::size_t>(b * T + t)] = all[static_cast<std::size_t>(b * T + t + 1)];
  const double loss = run.model->loss(ids, Tensor::from_vector(targets, {B, T}), -100).item();
  EXPECT_NEAR(loss, expected.get("loss").item(), 1e-4 * expected.get("loss").item());
}

TEST_P(ImportFixture, ExportGivesBackTheCheckpointsTensorsAndReimportsBitIdentically) {
  TempDir dir;
  const fs::path first = import_fixture(dir, GetParam(), "first");
  std::ostringstream log;
  hf::export_hf({first, 0, dir / "exported"}, log);
  EXPECT_NE(log.str().find("from_pretrained"), std::string::npos) << log.str();
  // Every tensor Hugging Face would load, under its name, in its layout, with its values (BF16
  // fixtures widen exactly); the old causal-mask buffers are not weights and are not written.
  const auto original = hf::read_weights(hf_golden / GetParam());
  const auto exported = hf::read_weights(dir / "exported");
  std::size_t buffers = 0;
  for (const auto& [name, t] : original) {
    if (name.find(".attn.bias") != std::string::npos) {
      ++buffers;
      continue;
    }
    ASSERT_TRUE(exported.count(name)) << name;
    EXPECT_EQ(exported.at(name).shape(), t.shape()) << name;
    EXPECT_TRUE(same_bits(exported.at(name), t)) << name;
  }
  EXPECT_EQ(exported.size() + buffers, original.size());
  EXPECT_EQ(io::read_safetensors(dir / "exported" / hf::weights_file).metadata.at("format"), "pt");

  const fs::path second = hf::import_hf({dir / "exported", "second", dir / "runs", "", settings(dir)}, log);
  const auto a = io::read_safetensors(first / "checkpoints" / "step_0000000" / "model.safetensors");
  const auto b = io::read_safetensors(second / "checkpoints" / "step_0000000" / "model.safetensors");
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].first, b.tensors[i].first);
    EXPECT_TRUE(same_bits(a.tensors[i].second, b.tensors[i].second)) << a.tensors[i].first;
  }
  // config.json carries every model key sinklab reads back (eps, tying, widths, RoPE base, ...).
  EXPECT_EQ(train::resolved_yaml(train::load_run(first).config), train::resolved_yaml(train::load_run(second).config));
}

INSTANTIATE_TEST_SUITE_P(Hf, ImportFixture, ::testing::Values("gpt2", "llama"));

// GPT-2 as openai-community/gpt2 stores it: names without "transformer." (saved from the bare
// GPT2Model), and a tied checkpoint that still carries its head.
TEST(ImportHf, ReadsBareGpt2NamesAndATiedHeadEqualToTheEmbedding) {
  TempDir dir;
  const fs::path gpt2 = copy_fixture(dir, "gpt2");
  io::TensorList bare;
  Tensor wte;
  for (const auto& [name, t] : io::read_safetensors(gpt2 / hf::weights_file).tensors) {
    bare.emplace_back(name.substr(std::string("transformer.").size()), t);
    if (name == "transformer.wte.weight") wte = t;
  }
  bare.emplace_back("lm_head.weight", wte);
  io::write_safetensors(gpt2 / hf::weights_file, bare);
  std::ostringstream log;
  const auto run = train::load_run(hf::import_hf({gpt2, "bare", dir / "runs", "", settings(dir)}, log));
  const auto expected = io::read_safetensors(hf_golden / "gpt2.expected.safetensors");
  const auto got = run.model->forward(expected.get("ids")).to_vector<float>();
  const auto want = expected.get("logits").to_vector<float>();
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4 * 4) << i;

  bare.back().second = Tensor::zeros(wte.shape());
  io::write_safetensors(gpt2 / hf::weights_file, bare);
  EXPECT_NE(import_error(dir, gpt2).find("'lm_head.weight' differs from the token embedding"), std::string::npos);
}

TEST(ImportHf, ReadsRopeThetaFromRopeParametersAndRefusesScaling) {
  TempDir dir;
  const fs::path llama = copy_fixture(dir, "llama");
  const std::string saved = testing::read_file(llama / "config.json");
  auto with = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = nlohmann::json::parse(saved);
    edit(j);
    testing::write_file(llama / "config.json", j.dump());
  };
  // transformers 5 writes {"rope_parameters": {"rope_theta": ..., "rope_type": "default"}} only.
  with([](nlohmann::json& j) {
    j.erase("rope_theta");
    j.erase("rope_scaling");
    j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 500000.0}};
  });
  std::ostringstream log;
  EXPECT_EQ(train::load_run(hf::import_hf({llama, "theta", dir / "runs", "", settings(dir)}, log)).config.model.rope_base, 500000.0);
  with([](nlohmann::json& j) { j["rope_parameters"] = {{"rope_type", "llama3"}, {"rope_theta", 500000.0}, {"factor", 8.0}}; });
  EXPECT_NE(import_error(dir, llama).find("\"rope_parameters\" has rope_type \"llama3\""), std::string::npos);
  with([](nlohmann::json& j) { j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 10000.0}}; });
  EXPECT_NE(import_error(dir, llama).find("disagree"), std::string::npos);
}

TEST(ImportHf, GroupedQueryAttentionAndRopeThetaComeFromTheConfig) {
  TempDir dir;
  const auto run = train::load_run(import_fixture(dir, "llama", "llama"));
  EXPECT_EQ(run.config.model.n_head, 6);
  EXPECT_EQ(run.config.model.kv_heads(), 2);
  EXPECT_EQ(run.config.model.rope_base, 500000.0);
  EXPECT_EQ(run.config.data.tokenizer, "sentencepiece");
  EXPECT_EQ(run.config.data.context, 64);
}

TEST(ImportHf, AShorterContextCutsTheLearnedPositions) {
  TempDir dir;
  const auto run = train::load_run(import_fixture(dir, "gpt2", "short", {"data.context=8"}));
  EXPECT_EQ(run.config.data.context, 8);
  const auto original = hf::read_weights(hf_golden / "gpt2").at("transformer.wpe.weight").to_vector<float>();
  for (const auto& [name, t] : run.model->named_parameters())
    if (name == "pos_emb.weight") {
      ASSERT_EQ(t.shape(), (Shape{8, 32}));
      EXPECT_EQ(t.to_vector<float>(), std::vector<float>(original.begin(), original.begin() + 8 * 32));
    }
  TempDir other;
  EXPECT_NE(import_error(other, hf_golden / "gpt2", {"data.context=64"}).find("longer than the checkpoint's context 32"), std::string::npos);
}

TEST(ImportHf, RefusesWhatItCannotReproduceByName) {
  TempDir dir;
  const fs::path gpt2 = copy_fixture(dir, "gpt2"), llama = copy_fixture(dir, "llama");
  auto error_with = [&](const fs::path& src, const std::string& key, const nlohmann::json& value) {
    const std::string saved = testing::read_file(src / "config.json");
    set_config_field(src / "config.json", key, value);
    const std::string e = import_error(dir, src);
    testing::write_file(src / "config.json", saved);
    return e;
  };
  EXPECT_NE(error_with(gpt2, "architectures", {"GPTNeoXForCausalLM"}).find("\"GPTNeoXForCausalLM\" is not one sinklab reads"), std::string::npos);
  EXPECT_NE(error_with(gpt2, "activation_function", "relu").find("activation_function"), std::string::npos);
  EXPECT_NE(error_with(gpt2, "scale_attn_by_inverse_layer_idx", true).find("scale_attn_by_inverse_layer_idx"), std::string::npos);
  EXPECT_NE(error_with(gpt2, "n_embd", "32").find("\"n_embd\" must be a whole number"), std::string::npos);
  EXPECT_NE(error_with(gpt2, "n_embd", 48).find("'transformer.wte.weight' has shape (376, 32); the model described by config.json needs (376, 48)"), std::string::npos);
  EXPECT_NE(error_with(llama, "rope_scaling", {{"type", "linear"}, {"factor", 2.0}}).find("rope_scaling"), std::string::npos);
  EXPECT_NE(error_with(llama, "num_key_value_heads", 4).find("not divisible by \"num_key_value_heads\" 4"), std::string::npos);
  EXPECT_NE(error_with(llama, "attention_bias", true).find("attention_bias"), std::string::npos);
  EXPECT_NE(error_with(llama, "vocab_size", 400).find("the tokenizer has 384 tokens"), std::string::npos);
  EXPECT_NE(import_error(dir, gpt2, {"model.d_model=64"}).find("model.d_model comes from the checkpoint"), std::string::npos);
  EXPECT_NE(import_error(dir, gpt2, {"data.tokenizer=byte"}).find("data.tokenizer comes from the checkpoint"), std::string::npos);
}

TEST(ImportHf, RefusesBrokenWeightFilesNamingThem) {
  TempDir dir;
  const fs::path llama = copy_fixture(dir, "llama");
  const fs::path index = llama / hf::weights_index;
  const std::string saved = testing::read_file(index);
  auto with_index = [&](const std::string& from, const std::string& to) {
    std::string text = saved;
    text.replace(text.find(from), from.size(), to);
    testing::write_file(index, text);
    const std::string e = import_error(dir, llama);
    testing::write_file(index, saved);
    return e;
  };
  EXPECT_NE(with_index("\"model-00002-of-00002.safetensors\"", "\"../model-00002-of-00002.safetensors\"").find("not a file of the folder"),
            std::string::npos);
  EXPECT_NE(with_index("\"model.norm.weight\": \"model-00002-of-00002.safetensors\"", "\"model.norm.weight\": \"model-00001-of-00002.safetensors\"")
                .find("'model.norm.weight'"),
            std::string::npos);
  fs::remove(llama / "model-00002-of-00002.safetensors");
  EXPECT_NE(import_error(dir, llama).find("names the shard model-00002-of-00002.safetensors, which is missing"), std::string::npos);

  const fs::path gpt2 = copy_fixture(dir, "gpt2");
  auto tensors = io::read_safetensors(gpt2 / hf::weights_file).tensors;
  io::TensorList without_ln_f, extra = tensors;
  for (const auto& t : tensors)
    if (t.first != "transformer.ln_f.bias") without_ln_f.push_back(t);
  io::write_safetensors(gpt2 / hf::weights_file, without_ln_f);
  EXPECT_NE(import_error(dir, gpt2).find("no tensor 'transformer.ln_f.bias'"), std::string::npos);
  extra.emplace_back("transformer.h.0.attn.extra.weight", Tensor::zeros({2}));
  io::write_safetensors(gpt2 / hf::weights_file, extra);
  EXPECT_NE(import_error(dir, gpt2).find("'transformer.h.0.attn.extra.weight' is not part of a GPT2LMHeadModel"), std::string::npos);
  fs::remove(gpt2 / hf::weights_file);
  testing::write_file(gpt2 / "pytorch_model.bin", "x");
  EXPECT_NE(import_error(dir, gpt2).find("only PyTorch .bin weights"), std::string::npos);
  fs::remove(gpt2 / "vocab.json");
  EXPECT_NE(import_error(dir, gpt2).find("no tokenizer sinklab reads"), std::string::npos);
}

}  // namespace
}  // namespace sinklab
