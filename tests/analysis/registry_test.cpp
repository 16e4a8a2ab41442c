// The metric table: docs follow it, keys are unique, and the chance levels it declares are what
// the metrics measure on uniform causal attention.
#include "analysis/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "analysis/attention_metrics.h"
#include "analysis/chance.h"
#include "analysis/fields.h"
#include "nn/model_config.h"
#include "support/temp_dir.h"
#include "support/tiny_probe.h"

namespace sinklab::testing {
namespace {

using namespace analysis;

TEST(Registry, DocsListEveryFieldAsTheTableDeclaresIt) {
  const std::string docs = read_file(std::string(SINKLAB_SOURCE_DIR) + "/docs/metrics.md");
  EXPECT_NE(docs.find(fields_markdown()), std::string::npos)
      << "docs/metrics.md is out of date: run scripts/generated-docs.sh";
}

TEST(Registry, EveryKeyAndColumnIsDeclaredOnce) {
  std::set<std::string> keys, columns, plots;
  for (const Field* f : record_fields()) {
    EXPECT_TRUE(keys.insert(std::string(f->key)).second) << f->key;
    if (!f->csv.empty()) {
      EXPECT_TRUE(columns.insert(std::string(f->csv)).second) << f->csv;
    }
    if (!f->plot.file.empty()) {
      EXPECT_TRUE(plots.insert(std::string(f->plot.file)).second) << f->plot.file;
    }
    EXPECT_FALSE(f->doc.empty()) << f->key;
    if (f->layout == Layout::head_labels) {
      EXPECT_FALSE(f->labels.empty()) << f->key;
    }
  }
}

// A (n, n) map in which query i attends evenly to the keys it sees: 0..i, from query 1 on without
// key 0 (no_first) or without i itself (no_self).
std::vector<double> uniform_map(std::int64_t n, ops::KeyMask mask) {
  std::vector<double> a(static_cast<std::size_t>(n * n), 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    std::vector<std::int64_t> seen;
    for (std::int64_t j = 0; j <= i; ++j)
      if (i == 0 || !((mask == ops::KeyMask::no_first && j == 0) || (mask == ops::KeyMask::no_self && j == i))) seen.push_back(j);
    for (std::int64_t j : seen) a[i * n + j] = 1.0 / static_cast<double>(seen.size());
  }
  return a;
}

TEST(Registry, ChanceLevelsAreWhatTheMetricsMeasureOnUniformAttention) {
  double h64 = 0;
  for (int k = 1; k <= 64; ++k) h64 += 1.0 / k;
  EXPECT_NEAR(chance::sink_score({64, 0}), h64 / 64, 1e-15);  // 0.0741
  EXPECT_NEAR(chance::first_mass({64, 0}), (h64 - 1) / 63, 1e-15);  // 0.0594
  EXPECT_NEAR(chance::first_mass({64, 0, ops::KeyMask::no_first}), 0.0, 1e-15);
  EXPECT_NEAR(chance::diag_score({64, 0, ops::KeyMask::no_self}), 0.0, 1e-15);
  EXPECT_NEAR(chance::first_mass({64, 0, ops::KeyMask::no_self}), h64 / 63 - 1.0 / (64 * 63), 1e-15);  // mean_{i=1..63} 1/i
  for (const ops::KeyMask mask : {ops::KeyMask::causal, ops::KeyMask::no_first, ops::KeyMask::no_self})
    for (const ProbeShape probe : {ProbeShape{64, 0, mask}, ProbeShape{68, 4, mask}, ProbeShape{7, 2, mask}}) {
      const auto a = uniform_map(probe.positions, mask);
      const MapStats s = map_stats(a.data(), probe.positions, probe.first);
      const std::string at = fmt::format("N {} first {} mask {}", probe.positions, probe.first, config::enum_name(mask));
      EXPECT_NEAR(s.sink_score, chance::sink_score(probe), 1e-12) << at;
      EXPECT_NEAR(s.first_mass, chance::first_mass(probe), 1e-12) << at;
      EXPECT_NEAR(s.diag_score, chance::diag_score(probe), 1e-12) << at;
      EXPECT_NEAR(s.register_mass, chance::register_mass(probe), 1e-12) << at;
      EXPECT_NEAR(s.entropy, chance::entropy(probe), 1e-12) << at;
    }
}

TEST(Registry, KeyMaskLabelsAreTheConfigsMaskNames) {
  std::string names;
  for (const auto& [name, value] : config::EnumNames<ops::KeyMask>::values) names += (names.empty() ? "" : " ") + std::string(name);
  EXPECT_EQ(fields::key_mask.labels, names);
}

// Every field that declares a chance level measures it on a model whose attention is uniform
// (zero query and key weights), under each key mask, read at the probe shape its record states.
TEST(Registry, EveryChanceLevelIsWhatItsFieldMeasuresAtUniformAttention) {
  for (const ops::KeyMask mask : {ops::KeyMask::causal, ops::KeyMask::no_first, ops::KeyMask::no_self}) {
    TinyProbe s(0, mask);
    s.make_attention_uniform();
    const Json r = s.run("BOS alignment");
    const auto probe = recorded_probe(r);
    ASSERT_TRUE(probe.has_value());
    EXPECT_EQ(r.at(fields::key_mask.key).get<std::string>(), config::enum_name(mask));
    EXPECT_EQ(probe->mask, mask);
    const auto eps = r.at(fields::eps.key).get<std::vector<double>>();
    std::set<std::string> checked;
    for (const Field* f : record_fields()) {
      const Json* v = find(r, *f);
      if (v == nullptr || (f->chance == nullptr && f->chance_at == nullptr)) continue;
      const auto at = [&](std::size_t e) { return f->chance ? f->chance(*probe) : f->chance_at(*probe, eps[e]); };
      const auto leaves = [&](auto&& self, const Json& x, std::size_t e) -> void {
        if (x.is_array()) {
          for (const auto& y : x) self(self, y, e);
        } else {
          EXPECT_NEAR(x.get<double>(), at(e), 1e-5) << f->key << " under " << config::enum_name(mask);
          checked.insert(std::string(f->key));
        }
      };
      const bool per_eps = f->layout == Layout::per_eps || f->layout == Layout::per_eps_layer || f->layout == Layout::per_eps_head;
      if (per_eps)
        for (std::size_t e = 0; e < eps.size(); ++e) leaves(leaves, (*v)[e], e);
      else
        leaves(leaves, *v, 0);
    }
    for (const char* key : {"sink_rate", "sink_score", "first_mass", "diag_score", "diag_rate", "entropy", "sink_query_share",
                            "entropy_normalized", "smoothing_uniform"})
      EXPECT_TRUE(checked.contains(key)) << key << " under " << config::enum_name(mask);
  }
}

}  // namespace
}  // namespace sinklab::testing
