// The normalised attention entropy: 1 on uniform attention, and the value of its definition on
// the maps a random model makes.
#include <gtest/gtest.h>

#include <cmath>

#include "support/tiny_probe.h"

namespace sinklab::testing {
namespace {

using namespace analysis;

TEST(NormalizedEntropy, IsOneOnUniformAttention) {
  TinyProbe s;
  s.make_attention_uniform();
  const Json r = s.run("normalized entropy");  // kept: a range-for over a temporary's member dangles
  for (const auto& layer : r.at("entropy_normalized"))
    for (const auto& v : layer) EXPECT_NEAR(v.get<double>(), 1.0, 1e-6);
}

TEST(NormalizedEntropy, IsOneOnUniformAttentionUnderAKeyMask) {
  for (auto mask : {ops::KeyMask::no_first, ops::KeyMask::no_self}) {
    TinyProbe s(0, mask);
    s.make_attention_uniform();  // uniform over the i keys each later query sees
    const Json r = s.run("normalized entropy");  // kept: a range-for over a temporary's member dangles
  for (const auto& layer : r.at("entropy_normalized"))
      for (const auto& v : layer) EXPECT_NEAR(v.get<double>(), 1.0, 1e-6);
  }
}

TEST(NormalizedEntropy, FollowsItsDefinitionOnARandomModel) {
  TinyProbe s;
  const ProbePass pass(s.model, s.probe, s.analysis);
  const Json got = s.run("normalized entropy").at("entropy_normalized");
  for (std::int64_t l = 0; l < pass.L; ++l)
    for (std::int64_t h = 0; h < pass.H; ++h) {
      double want = 0;
      for (std::int64_t b = 0; b < pass.B; ++b) {
        const HeadMap map = pass.map(l, b, h);
        const float* a = map.data();
        double rows = 0;
        for (std::int64_t i = pass.first + 1; i < pass.N; ++i) {
          double e = 0;
          for (std::int64_t j = 0; j <= i; ++j) e -= a[i * pass.N + j] * std::log(static_cast<double>(a[i * pass.N + j]));
          rows += e / std::log(static_cast<double>(i + 1));
        }
        want += rows / static_cast<double>(pass.N - pass.first - 1) / static_cast<double>(pass.B);
      }
      EXPECT_NEAR(got[l][h].get<double>(), want, 1e-7) << l << " " << h;  // the metric takes float logs
      EXPECT_GT(want, 0.5);  // a random model attends broadly
      EXPECT_LT(want, 1.0);
    }
}

}  // namespace
}  // namespace sinklab::testing
