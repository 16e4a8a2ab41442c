// Synthetic tasks through the binary: the bigram-backcopy control learns its copy head and its
// sink within a CI-sized run, and synthetic runs resume exactly.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/cli_runner.h"
#include "support/temp_dir.h"
#include "train/metrics.h"

namespace sinklab::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class SyntheticCli : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SINKLAB_DATA_DIR", (dir / "data").c_str(), 1);
    setenv("SINKLAB_RUNS_DIR", (dir / "runs").c_str(), 1);
  }

  std::vector<json> analyses(const std::string& run) {
    std::ifstream in(dir / "runs" / run / "analysis.jsonl");
    std::vector<json> out;
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(json::parse(line));
    return out;
  }

  TempDir dir;
};

std::string config(const std::string& name) { return std::string(SINKLAB_SOURCE_DIR) + "/configs/synthetic/" + name; }

// The shipped control, shortened: context 64, a smaller MLP, 400 steps with the shipped cosine
// schedule (lr 1e-2 to 1e-3), analysed every 25 steps. BOS attention of the queries that need none
// wobbles while the lr is high (0.83 then 0.14 at a constant 1e-2) and settles as it decays, so the
// test averages the last eight analyses (steps 225-400). Where it settles is chaotic: last-bit
// changes to the arithmetic (the loss gradient's summation order) leave the loss identical for
// 50 steps and then move it. Measured on one build, seeds 0-7: 0.19 / 0.28 / 0.19 / 0.16 / 0.37 /
// 0.21 / 0.25 / 0.23 (0.06 at step 0); so the bar is 2x the start and 0.12. Trigger queries on the
// token before them, last four: 0.89-0.93 (0.05 at step 0); BOS value ratio at the end 0.14-0.34
// (about 1 at step 0).
// With the gradient of the attention scores set to zero (a hand edit of ops/attention.cpp, tried
// on each version of this test) the sink score stayed at 0.061, the copy score at 0.049 and the
// test failed.
TEST_F(SyntheticCli, BigramBackcopyControlLearnsTheCopyHeadAndTheSink) {
  const auto r = run_sinklab("train " + config("bigram-backcopy.yaml") +
                                 " --name control --set data.context=64 --set model.d_ff=256 --set train.steps=400"
                                 " --set analysis.every=25 --set train.eval_every=0 --set train.threads=1",
                             dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  const auto records = analyses("control");
  ASSERT_EQ(records.size(), 17u);
  auto late_mean = [&](const char* cls, const char* key, std::size_t last) {
    double s = 0;
    for (std::size_t i = records.size() - last; i < records.size(); ++i) s += records[i].at("by_class").at(cls).at(key)[0][0].get<double>();
    return s / static_cast<double>(last);
  };
  const json& start = records.front().at("by_class");
  const double sink0 = start.at("no_attention").at("sink_score")[0][0], sink1 = late_mean("no_attention", "sink_score", 8);
  const double copy0 = start.at("needs_attention").at("prev_score")[0][0], copy1 = late_mean("needs_attention", "prev_score", 4);
  EXPECT_LT(sink0, 0.1);
  EXPECT_GT(sink1, 0.12) << "BOS attention of the queries that need none rose from " << sink0;
  EXPECT_GT(sink1, 2 * sink0);
  EXPECT_LT(copy0, 0.1);
  EXPECT_GT(copy1, 0.7) << "trigger queries attend to the token to copy";
  EXPECT_LT(records.back().at("first_value_ratio")[0][0].get<double>(), 0.6) << "BOS writes little: a nop sink";
  const auto m = train::read_metrics(dir / "runs" / "control" / "metrics.jsonl");
  ASSERT_TRUE(m.back().val_loss_needs_attn && m.back().val_loss_no_attn);
  EXPECT_LT(*m.back().val_loss_needs_attn, 0.5) << "the copy is learned";
  EXPECT_NE(r.output.find("needs attention"), std::string::npos) << "the progress shows both query classes";
}

TEST_F(SyntheticCli, SwitchRunsResumeExactlyAndReportBothQueryClasses) {
  const std::string sets =
      " --set model.d_model=32 --set model.d_ff=64 --set data.context=16 --set data.symbols=12 --set data.first=random"
      " --set train.steps=8 --set train.batch_size=4 --set train.eval_every=4 --set train.checkpoint_every=4"
      " --set analysis.every=4 --set train.threads=1";
  const std::string cmd = "train " + config("switch.yaml") + sets;
  ASSERT_EQ(run_sinklab(cmd + " --name straight", dir.path()).code, 0);
  const auto first = run_sinklab(cmd + " --name split --stop-after 4", dir.path());
  ASSERT_EQ(first.code, 0) << first.output;
  const auto second = run_sinklab(cmd + " --name split --resume", dir.path());
  ASSERT_EQ(second.code, 0) << second.output;
  const auto a = train::read_metrics(dir / "runs" / "straight" / "metrics.jsonl");
  const auto b = train::read_metrics(dir / "runs" / "split" / "metrics.jsonl");
  ASSERT_EQ(a.size(), 8u);
  ASSERT_EQ(b.size(), 8u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].loss, b[i].loss) << "step " << a[i].step;  // exact
    ASSERT_TRUE(a[i].loss_no_attn.has_value());  // a batch may hold no trigger: then loss_needs_attn is absent
    EXPECT_EQ(a[i].loss_needs_attn, b[i].loss_needs_attn);
    EXPECT_EQ(a[i].val_loss_no_attn, b[i].val_loss_no_attn);
  }
  const auto records = analyses("split");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records.back().dump(), analyses("straight").back().dump());
  EXPECT_TRUE(records.back().at("mechanism")[0][0].is_string());
  EXPECT_GT(records.back().at("by_class").at("needs_attention").at("queries").get<double>(), 0);
  const auto eval = run_sinklab("eval split", dir.path());
  ASSERT_EQ(eval.code, 0) << eval.output;
  EXPECT_NE(eval.output.find("targets that need attention"), std::string::npos) << eval.output;
  // Runs named under the runs folder; the report gets the query-class table.
  const auto compare = run_sinklab("compare straight split --out " + (dir / "cmp").string(), dir.path());
  ASSERT_EQ(compare.code, 0) << compare.output;
  EXPECT_NE(read_file(dir / "cmp" / "report.md").find("## Query classes"), std::string::npos);
}

// sinklab intervene on a small switch run (1 layer, 1 head, BOS first): each intervention alone
// against the unedited model, with the answers known without training: the baseline is eval's
// loss, a masked first position receives no attention, and a zero first value leaves the only
// layer's maps (so its first-token mass) as they were.
TEST_F(SyntheticCli, InterveneMeasuresEachEditAgainstTheUneditedModel) {
  const std::string sets =
      " --set model.d_model=32 --set model.d_ff=64 --set data.context=16 --set data.symbols=12 --set train.steps=8"
      " --set train.batch_size=4 --set train.eval_every=4 --set analysis.every=4 --set train.threads=1";
  ASSERT_EQ(run_sinklab("train " + config("switch.yaml") + sets + " --name iv", dir.path()).code, 0);
  const auto r = run_sinklab("intervene iv --mask-first --zero-first-value --ablate-head 0.0 --uniform-head 0.0", dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("| ablate head 0.0 |"), std::string::npos) << r.output;
  const json out = json::parse(read_file(dir / "runs" / "iv" / "intervene" / "step_0000008.json"));
  ASSERT_EQ(run_sinklab("eval iv", dir.path()).code, 0);
  const json eval = json::parse(read_file(dir / "runs" / "iv" / "eval.json"));
  const json& base = out.at("baseline");
  EXPECT_DOUBLE_EQ(base.at("val_loss").get<double>(), eval.at("val_loss").get<double>());
  const json& rows = out.at("interventions");
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& row : rows) EXPECT_TRUE(row.contains("val_loss_needs_attn")) << row.dump();
  EXPECT_EQ(rows[0].at("intervention"), "mask first");
  EXPECT_EQ(rows[0].at("first_mass").get<double>(), 0.0);
  EXPECT_GT(base.at("first_mass").get<double>(), 0.0);
  EXPECT_NE(rows[0].at("val_loss").get<double>(), base.at("val_loss").get<double>());
  EXPECT_EQ(rows[1].at("intervention"), "zero first value");
  EXPECT_DOUBLE_EQ(rows[1].at("first_mass").get<double>(), base.at("first_mass").get<double>());
  // The probe rebuilds a head's write from its map and values, which ablation leaves: the only
  // head, ablated, is left out of the means (nothing left: 0).
  EXPECT_EQ(rows[2].at("intervention"), "ablate head 0.0");
  EXPECT_NE(base.at("smoothing_dense").get<double>(), 0.0);
  EXPECT_EQ(rows[2].at("smoothing_dense").get<double>(), 0.0);
  EXPECT_NE(run_sinklab("intervene iv --ablate-head 0.5", dir.path()).output.find("--ablate-head 0.5: head 5 is not a head of the model (0..0)"),
            std::string::npos);
  EXPECT_NE(run_sinklab("intervene iv --uniform-head x", dir.path()).output.find("--uniform-head x: expected LAYER.HEAD"), std::string::npos);
  EXPECT_NE(run_sinklab("intervene iv", dir.path()).output.find("give at least one of"), std::string::npos);
}

}  // namespace
}  // namespace sinklab::testing
