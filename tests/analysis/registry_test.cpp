// The metric table: docs follow it, keys are unique, and the chance levels it declares are what
// the metrics measure on uniform causal attention.
#include "analysis/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "analysis/attention_metrics.h"
#include "analysis/chance.h"
#include "analysis/fields.h"
#include "support/temp_dir.h"

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

// A (n, n) causal map in which query i attends evenly to keys 0..i.
std::vector<double> uniform_map(std::int64_t n) {
  std::vector<double> a(static_cast<std::size_t>(n * n), 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j <= i; ++j) a[i * n + j] = 1.0 / static_cast<double>(i + 1);
  return a;
}

TEST(Registry, ChanceLevelsAreWhatTheMetricsMeasureOnUniformAttention) {
  double h64 = 0;
  for (int k = 1; k <= 64; ++k) h64 += 1.0 / k;
  EXPECT_NEAR(chance::sink_score({64, 0}), h64 / 64, 1e-15);  // 0.0741
  EXPECT_NEAR(chance::later_query_mean({64, 0}), (h64 - 1) / 63, 1e-15);  // 0.0594
  for (const ProbeShape probe : {ProbeShape{64, 0}, ProbeShape{68, 4}, ProbeShape{7, 2}}) {
    const auto a = uniform_map(probe.positions);
    const MapStats s = map_stats(a.data(), probe.positions, probe.first);
    EXPECT_NEAR(s.sink_score, chance::sink_score(probe), 1e-12) << probe.positions;
    EXPECT_NEAR(s.first_mass, chance::later_query_mean(probe), 1e-12) << probe.positions;
    EXPECT_NEAR(s.diag_score, chance::later_query_mean(probe), 1e-12) << probe.positions;
    EXPECT_NEAR(s.register_mass, chance::register_mass(probe), 1e-12) << probe.positions;
    EXPECT_NEAR(s.entropy, chance::entropy(probe), 1e-12) << probe.positions;
  }
}

}  // namespace
}  // namespace sinklab::testing
