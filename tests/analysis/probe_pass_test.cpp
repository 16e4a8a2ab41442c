// The probe pass hands metrics each head's attention maps, kept or recomputed one at a time, and
// pools long probes' mean maps into the snapshot.
#include "analysis/probe_pass.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include "support/tiny_probe.h"

namespace sinklab {
namespace {

using analysis::HeadMap;
using analysis::ProbePass;
using testing::TinyProbe;

analysis::Json all_metrics(const ProbePass& pass) {
  analysis::Record r;
  for (const auto& m : analysis::metrics()) m->compute(pass, r);
  return r.json();
}

// A probe of `sequences` random sequences of `length` tokens for the tiny model.
void long_probe(TinyProbe& s, std::int64_t sequences, std::int64_t length) {
  Rng rng(5);
  std::vector<std::int32_t> ids(static_cast<std::size_t>(sequences * length));
  for (auto& v : ids) v = static_cast<std::int32_t>(rng.below(20));
  s.probe.inputs = Tensor::from_vector(ids, {sequences, length});
}

TEST(ProbePass, RecomputedMapsGiveTheRecordOfKeptMaps) {
  for (const auto mask : {ops::KeyMask::causal, ops::KeyMask::no_self}) {
    const TinyProbe s(2, mask, [](nn::ModelConfig& c) { c.attention.gate = nn::GateKind::headwise; });
    const ProbePass kept(s.model, s.probe, s.analysis), recomputed(s.model, s.probe, s.analysis, 0);
    ASSERT_TRUE(kept.maps_kept());
    ASSERT_FALSE(recomputed.maps_kept());
    EXPECT_EQ(all_metrics(kept).dump(), all_metrics(recomputed).dump());
    const Tensor a = kept.snapshot(), b = recomputed.snapshot();
    EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  }
}

// Up to snapshot_cells positions the snapshot is the probe-mean map itself.
TEST(ProbePass, SnapshotOfAShortProbeIsTheMeanMap) {
  const TinyProbe s;
  const ProbePass p(s.model, s.probe, s.analysis);
  const Tensor snap = p.snapshot();
  ASSERT_EQ(snap.shape(), (Shape{p.L, p.H, p.N, p.N}));
  const auto got = snap.to_vector<float>();
  for (std::int64_t l = 0; l < p.L; ++l)
    for (std::int64_t h = 0; h < p.H; ++h)
      for (std::int64_t k = 0; k < p.N * p.N; ++k) {
        double mean = 0;
        for (std::int64_t b = 0; b < p.B; ++b) mean += p.map(l, b, h).data()[k];
        ASSERT_NEAR(got[static_cast<std::size_t>((l * p.H + h) * p.N * p.N + k)], mean / static_cast<double>(p.B), 1e-6);
      }
}

// 300 positions pool in pairs: 150 x 150 cells, each the mean over its 2 queries of its 2 keys'
// summed weights, so every row still sums to 1 (softmax without a sink).
TEST(ProbePass, SnapshotPoolsALongProbe) {
  TinyProbe s(0, ops::KeyMask::causal, [](nn::ModelConfig& c) { c.context = 300; });
  long_probe(s, 2, 300);
  const ProbePass p(s.model, s.probe, s.analysis);
  const Tensor snap = p.snapshot();
  const std::int64_t n = 150;
  ASSERT_EQ(snap.shape(), (Shape{p.L, p.H, n, n}));
  const auto got = snap.to_vector<float>();
  const std::int64_t l = 1, h = 1, I = 77, J = 40;
  double want = 0;
  for (std::int64_t b = 0; b < p.B; ++b) {
    const HeadMap m = p.map(l, b, h);
    for (std::int64_t i = 2 * I; i < 2 * I + 2; ++i)
      for (std::int64_t j = 2 * J; j < 2 * J + 2; ++j) want += m.data()[i * p.N + j] / 4.0;
  }
  EXPECT_NEAR(got[static_cast<std::size_t>(((l * p.H + h) * n + I) * n + J)], want, 1e-6);
  for (std::int64_t row = 0; row < n; ++row) {
    double sum = 0;
    for (std::int64_t col = 0; col < n; ++col) sum += got[static_cast<std::size_t>(((l * p.H + h) * n + row) * n + col)];
    ASSERT_NEAR(sum, 1.0, 1e-5) << "row " << row;
  }
}

// A probe whose maps (2 layers x 4 sequences x 2 heads x 2048²) exceed the cache is analysed one
// head at a time: every metric runs, and peak memory grows by far less than the maps would take.
TEST(ProbePass, LongProbeKeepsNoMapsOfEveryHead) {
  const auto peak_mib = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024;
  };
  const std::int64_t T = 2048, B = 4;
  TinyProbe s(0, ops::KeyMask::causal, [](nn::ModelConfig& c) { c.context = T; });
  long_probe(s, B, T);
  const double before = peak_mib();
  const ProbePass p(s.model, s.probe, s.analysis);
  const analysis::Json record = all_metrics(p);
  const double grown = peak_mib() - before, maps = 2.0 * B * 2 * T * T * 4 / (1 << 20);
  EXPECT_FALSE(p.maps_kept());
  EXPECT_LT(grown, maps / 4) << "peak memory grew " << grown << " MiB; every head's maps are " << maps << " MiB";
  EXPECT_EQ(p.snapshot().shape(), (Shape{2, 2, 256, 256}));
  EXPECT_TRUE(record.contains("sink_score"));
}

}  // namespace
}  // namespace sinklab
