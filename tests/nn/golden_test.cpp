// The whole model against PyTorch: fixtures written by tests/golden/make_golden.py.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "nn/transformer.h"
#include "ops/ops.h"
#include "optim/adamw.h"

namespace sinklab {
namespace {

nn::ModelConfig config_from(const nlohmann::json& j) {
  nn::ModelConfig c;
  c.vocab_size = j.at("vocab_size");
  c.context = j.at("context");
  c.d_model = j.at("d_model");
  c.n_layer = j.at("n_layer");
  c.n_head = j.at("n_head");
  c.d_ff = j.at("d_ff");
  c.norm = j.at("norm") == "layernorm" ? nn::NormKind::layernorm : nn::NormKind::rmsnorm;
  c.pos = j.at("pos") == "learned" ? nn::PosKind::learned : j.at("pos") == "none" ? nn::PosKind::none : nn::PosKind::rope;
  c.mlp = j.at("mlp") == "gelu" ? nn::MlpKind::gelu : nn::MlpKind::swiglu;
  c.bias = j.at("bias");
  c.tie_embeddings = j.at("tie_embeddings");
  const auto a = j.value("attention", nlohmann::json::object());
  c.attention.kind = a.value("kind", "softmax") == "sigmoid" ? nn::AttentionKind::sigmoid : nn::AttentionKind::softmax;
  c.attention.normalize = a.value("normalize", false);
  c.attention.sigmoid_bias = a.value("sigmoid_bias", 0.0);
  const std::string gate = a.value("gate", "none");
  c.attention.gate = gate == "elementwise" ? nn::GateKind::elementwise : gate == "headwise" ? nn::GateKind::headwise : nn::GateKind::none;
  c.attention.registers = a.value("registers", 0);
  const std::string sink = a.value("sink_logit", "none");
  c.attention.sink_logit = sink == "learned" ? nn::SinkLogit::learned : sink == "zero" ? nn::SinkLogit::zero : nn::SinkLogit::none;
  c.attention.qk_norm = a.value("qk_norm", false);
  return c;
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
  oc.weight_decay = adamw.at("weight_decay");
  optim::AdamW opt(params, oc);
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

INSTANTIATE_TEST_SUITE_P(Styles, Golden,
                         ::testing::Values("gpt2", "llama", "gated_elementwise", "gated_headwise", "registers",
                                           "registers_learned_pos", "sink_learned", "sigmoid", "sigmoid_normalized_qk_norm",
                                           "sink_zero_no_positions"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sinklab
