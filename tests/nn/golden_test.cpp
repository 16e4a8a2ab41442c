// The whole model against PyTorch: fixtures written by tests/golden/make_golden.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "nn/transformer.h"
#include "ops/ops.h"
#include "optim/adamw.h"

namespace sinklab {
namespace {

// The fixture's model config read through the model's own config keys (nn/model_config.cpp), so
// a new attention variant needs no change here: its key is parsed like every other.
template <class S>
void apply(const config::Section<S>& section, S& target, const std::string& key, const nlohmann::json& value) {
  for (const auto& k : section.keys())
    if (k.name == key) {
      const YAML::Node node = value.is_string() ? YAML::Node(value.get<std::string>()) : YAML::Load(value.dump());
      return k.set(target, {node, {"golden fixture", -1}}, section.prefix() + "." + key);
    }
  FAIL() << "the golden fixture's key '" << key << "' is no key of " << section.prefix();
}

nn::ModelConfig config_from(const nlohmann::json& j) {
  nn::ModelConfig c;
  for (const auto& [key, value] : j.items()) {
    if (key == "vocab_size") c.vocab_size = value;
    else if (key == "context") c.context = value;
    else if (key == "attention")
      for (const auto& [k, v] : value.items()) apply(nn::attention_section(), c.attention, k, v);
    else apply(nn::model_section(), c, key, value);
  }
  return c;
}

// Every fixture tests/golden/make_golden.py wrote.
std::vector<std::string> fixtures() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(SINKLAB_GOLDEN_DIR))
    if (e.path().extension() == ".safetensors") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// ||got - want|| / ||want||. A tensor whose true gradient is zero (the key bias: softmax ignores a
// score shift shared by a whole row) holds only rounding noise in both, so norms below 1e-5
// count as 1e-5: such a tensor must then agree to an absolute 1e-8.
double relative_error(const Tensor& got, const Tensor& want) {
  const auto g = got.to_vector<float>(), w = want.to_vector<float>();
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    diff += (double(g[i]) - w[i]) * (double(g[i]) - w[i]);
    norm += double(w[i]) * w[i];
  }
  return std::sqrt(diff) / std::max(std::sqrt(norm), 1e-5);
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesPyTorch) {
  const auto fixture = io::read_safetensors(std::string(SINKLAB_GOLDEN_DIR) + "/" + GetParam() + ".safetensors");
  const auto config = config_from(nlohmann::json::parse(fixture.metadata.at("config")));
  const auto adamw = nlohmann::json::parse(fixture.metadata.at("adamw"));
  nn::Transformer model(config, 0);

  // The parameter names are the contract with PyTorch: the same set, the same shapes.
  std::size_t in_fixture = 0;
  for (const auto& [name, t] : fixture.tensors) in_fixture += name.rfind("param.", 0) == 0;
  const auto params = model.named_parameters();
  ASSERT_EQ(params.size(), in_fixture);
  for (const auto& [name, p] : params) {
    const Tensor& want = fixture.get("param." + name);
    ASSERT_EQ(p.shape(), want.shape()) << name;
    copy_into(p, want);
  }

  const Tensor ids = fixture.get("ids"), targets = fixture.get("targets");
  Tensor logits = model.forward(ids);
  EXPECT_LE(relative_error(logits, fixture.get("logits")), 1e-4);
  Tensor loss = ops::cross_entropy(logits, targets);
  const double want_loss = fixture.get("loss").item();
  EXPECT_LE(std::abs(loss.item() - want_loss) / want_loss, 1e-4);
  backward(loss);
  for (const auto& [name, p] : params) EXPECT_LE(relative_error(p.grad(), fixture.get("grad." + name)), 1e-3) << name;

  optim::AdamWConfig oc;
  oc.beta1 = adamw.at("betas")[0];
  oc.beta2 = adamw.at("betas")[1];
  oc.eps = adamw.at("eps");
  optim::AdamW opt(params, oc, optim::WeightDecay{adamw.at("weight_decay")});
  const auto want_losses = fixture.get("adamw_losses").to_vector<double>();
  for (std::size_t step = 0; step < want_losses.size(); ++step) {
    opt.zero_grad();
    Tensor l = ops::cross_entropy(model.forward(ids), targets);
    EXPECT_LE(std::abs(l.item() - want_losses[step]) / want_losses[step], 1e-4) << "after " << step << " AdamW steps";
    if (step + 1 < want_losses.size()) {
      backward(l);
      opt.step(adamw.at("lr"));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Styles, Golden, ::testing::ValuesIn(fixtures()), [](const auto& info) { return info.param; });

TEST(GoldenFixtures, AllStylesArePresent) {
  // A fixture that went missing would otherwise just be one test fewer.
  EXPECT_GE(fixtures().size(), 13u);
}

}  // namespace
}  // namespace sinklab
