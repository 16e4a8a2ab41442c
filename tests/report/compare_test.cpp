// sinklab compare on runs the real recorder wrote (short trainings through the binary), so a
// field renamed or dropped in the analysis shows up here as a missing plot or column.
#include "report/compare.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/chance.h"
#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/registry.h"
#include "engine/error.h"
#include "io/records.h"
#include "report/runs.h"
#include "support/cli_fixture.h"

namespace sinklab::testing {
namespace {

namespace fs = std::filesystem;
namespace fields = analysis::fields;
using json = nlohmann::json;

class Compare : public CliFixture {
 protected:
  // An ablation of tiny.yaml: variants x seeds, analysed every 2 of 8 steps.
  fs::path ablation(const std::string& name, const std::string& variants, const std::string& seeds = "[0, 1]") {
    write_file(dir / (name + ".yaml"), "base: tiny.yaml\noverrides:\n  analysis.every: 2\n  analysis.probe_sequences: 8\n"
                                       "  analysis.probe_length: 16\nvariants:\n" + variants + "seeds: " + seeds + "\n");
    const auto r = run("ablate " + (dir / (name + ".yaml")).string());
    EXPECT_EQ(r.code, 0) << r.output;
    return dir / "runs" / name;
  }

  static std::vector<json> records(const fs::path& run) {
    std::vector<json> out;
    for (auto& r : io::read_jsonl(run / "analysis.jsonl")) out.push_back(std::move(r.value));
    return out;
  }
};

std::pair<std::uint32_t, std::uint32_t> png_size(const fs::path& file) {
  const std::string b = read_file(file);
  EXPECT_EQ(b.substr(1, 3), "PNG") << file;
  auto be32 = [&](std::size_t at) {
    return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint32_t(std::uint8_t(b[at + 3]));
  };
  return {be32(16), be32(20)};
}

std::vector<std::string> csv_rows(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(line);
  return rows;
}

TEST_F(Compare, WritesEveryPlotWithItsDataAndTheReport) {
  const fs::path abl = ablation("abl", "  - name: base\n  - name: gated\n    overrides: {model.attention.gate: headwise}\n");
  fs::create_directories(abl / "empty-s0");
  write_file(abl / "empty-s0" / "config.resolved.yaml", "seed: 0\n");  // never analysed
  report::CompareOptions o;
  o.inputs = {abl};
  o.width = 640;
  o.height = 400;
  const auto r = report::compare(o);
  EXPECT_EQ(r.out, abl / "compare");
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_NE(r.skipped[0].find("empty-s0"), std::string::npos);
  // Every threshold of analysis.eps gets its sink-rate plot.
  for (const char* name : {"sink_rate_eps0.1", "sink_rate_eps0.3", "sink_score_max", "first_token_mass", "diagonal_score", "cost_qk",
                           "cost_ov", "cost_block", "oversmoothing", "oversmoothing_by_layer", "val_loss"}) {
    for (const char* ext : {".png", ".svg", ".csv", ".gp"}) EXPECT_TRUE(fs::exists(r.out / (std::string(name) + ext))) << name << ext;
    EXPECT_EQ(png_size(r.out / (std::string(name) + ".png")), (std::pair<std::uint32_t, std::uint32_t>{640, 400})) << name;
  }
  EXPECT_FALSE(fs::exists(r.out / "register_mass.png"));  // no run has registers
  for (const char* f : {"sink_score_heatmap.png", "attention_base.png", "attention_gated.png", "report.md", "report.html", "summary.json"})
    EXPECT_TRUE(fs::exists(r.out / f)) << f;

  // The CSV behind a plot holds the runs' own values: mean, min and max over the two seeds.
  const auto s0 = records(abl / "base-s0"), s1 = records(abl / "base-s1");
  ASSERT_EQ(s0.size(), 5u);  // steps 0, 2, 4, 6, 8
  const auto rows = csv_rows(r.out / "first_token_mass.csv");
  EXPECT_EQ(rows[0], "variant_index,variant,x,mean,min,max,seeds");
  ASSERT_EQ(rows.size(), 11u);
  for (std::size_t i = 0; i < s0.size(); ++i) {
    const double a = analysis::grid_mean(s0[i].at(fields::first_mass.key)), b = analysis::grid_mean(s1[i].at(fields::first_mass.key));
    EXPECT_EQ(rows[1 + i], fmt::format("0,base,{},{},{},{},2", 2 * i, (a + b) / 2, std::min(a, b), std::max(a, b))) << i;
  }

  // The summary table: the final values of the declared summary fields, the emergence of the
  // strict rate, differences from the baseline; the same cells in report.md and report.html.
  const auto table = json::parse(read_file(r.out / "summary.json"));
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[0].at("variant"), "base");
  const double c0 = analysis::grid_mean(s0.back().at(fields::cost_qk.key)), c1 = analysis::grid_mean(s1.back().at(fields::cost_qk.key));
  const double cost = (c0 + c1) / 2;
  EXPECT_DOUBLE_EQ(table[0].at("cost_qk").get<double>(), cost);
  for (const char* key : {"sink_rate_0.1", "sink_rate_0.3", "first_mass", "diag_score", "cost_ov", "block_cost", "nop_count",
                          "broadcast_count", "val_loss", "val_loss_vs_baseline", "sink_rate_vs_baseline", "emergence_10pct"})
    EXPECT_TRUE(table[1].contains(key)) << key;
  EXPECT_DOUBLE_EQ(table[0].at("val_loss_vs_baseline").get<double>(), 0.0);
  const std::string md = read_file(r.out / "report.md"), html = read_file(r.out / "report.html");
  // Cells: the mean over seeds and their range.
  const std::string cell = fmt::format("{:.2f} [{:.2f}–{:.2f}]", cost, std::min(c0, c1), std::max(c0, c1));
  EXPECT_NE(md.find("| " + cell + " |"), std::string::npos) << md;
  EXPECT_NE(html.find("<td>" + cell + "</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<img src='sink_rate_eps0.3.png'"), std::string::npos);
  EXPECT_NE(md.find("| variant | seeds | final val loss (Δ) |"), std::string::npos) << md;
  EXPECT_EQ(md.find("Query classes"), std::string::npos) << "text runs have no query classes";
  EXPECT_FALSE(fs::exists(r.out / "query_classes.json"));
}

TEST_F(Compare, ChanceLevelsFollowTheKeyMask) {
  const fs::path abl = ablation("masked", "  - name: no_self\n    overrides: {model.attention.mask: no_self}\n", "[0]");
  const fs::path run = abl / "no_self-s0";
  const auto recorded = records(run);
  const auto probe = analysis::recorded_probe(recorded.front());
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->mask, ops::KeyMask::no_self);
  auto reference = [](const fs::path& gp, double level) {
    return read_file(gp).find(fmt::format("{} with lines dt 2", level)) != std::string::npos;
  };
  auto check = [&](const fs::path& out) {
    report::CompareOptions o;
    o.inputs = {abl};
    o.out = out;
    report::compare(o);
    // The diagonal is hidden: uniform attention puts nothing there, and 1/i (not 1/(i+1)) on the first token.
    EXPECT_TRUE(reference(out / "diagonal_score.gp", 0.0)) << read_file(out / "diagonal_score.gp");
    EXPECT_TRUE(reference(out / "first_token_mass.gp", analysis::chance::first_mass(*probe)));
    EXPECT_FALSE(reference(out / "first_token_mass.gp", analysis::chance::first_mass({probe->positions, probe->first})));
  };
  check(dir / "cmp-recorded");
  // Records from before the key mask was recorded: compare takes it from the run's config.
  std::string old;
  for (auto r : recorded) {
    r.erase(std::string(fields::key_mask.key));
    old += r.dump() + "\n";
  }
  write_file(run / "analysis.jsonl", old);
  check(dir / "cmp-config");
  // Runs under different masks share no chance level.
  const fs::path mixed = ablation("mixed", "  - name: causal\n  - name: no_self\n    overrides: {model.attention.mask: no_self}\n", "[0]");
  report::CompareOptions o;
  o.inputs = {mixed};
  const auto r = report::compare(o);
  EXPECT_EQ(read_file(r.out / "diagonal_score.gp").find("with lines dt 2"), std::string::npos);
}

TEST_F(Compare, SyntheticRunsGetTheQueryClassTable) {
  write_file(dir / "switch.yaml", "extends: " + std::string(SINKLAB_SOURCE_DIR) + "/configs/synthetic/switch.yaml\n");
  write_file(dir / "sw.yaml", "base: switch.yaml\noverrides:\n  train.steps: 30\n  train.threads: 1\n  train.batch_size: 8\n"
                              "  model.d_model: 32\n  model.d_ff: 64\n  analysis.every: 15\n  analysis.probe_sequences: 8\nvariants:\n  - name: bos\n  - name: random\n"
                              "    overrides: {data.first: random}\nseeds: [0]\n");
  const auto run_output = run("ablate " + (dir / "sw.yaml").string());
  ASSERT_EQ(run_output.code, 0) << run_output.output;
  report::CompareOptions o;
  o.inputs = {dir / "runs" / "sw"};
  const auto r = report::compare(o);
  const std::string md = read_file(r.out / "report.md");
  EXPECT_NE(md.find("## Query classes"), std::string::npos);
  const auto last = records(dir / "runs" / "sw" / "bos-s0").back();
  const double first = analysis::grid_mean(last.at(json::json_pointer("/" + std::string(fields::free_first.key))));
  EXPECT_NE(md.find(fmt::format("| bos-s0 | {} 1 | {:.3f} |", last.at(fields::mechanism.key)[0][0].get<std::string>(), first)),
            std::string::npos)
      << md;
  const auto classes = json::parse(read_file(r.out / "query_classes.json"));
  ASSERT_EQ(classes.size(), 2u);
  EXPECT_DOUBLE_EQ(classes[0].at("no_attention_first").get<double>(), first);
  EXPECT_TRUE(fs::exists(r.out / "no_attention_first.png"));
  EXPECT_TRUE(fs::exists(r.out / "needs_attention_previous.png"));
  EXPECT_NE(read_file(r.out / "report.html").find("<h2>Query classes</h2>"), std::string::npos);
}

TEST_F(Compare, TokensOnTheXAxisAndErrors) {
  ASSERT_EQ(run("train " + (dir / "tiny.yaml").string() + " --name one --set analysis.every=4").code, 0);
  report::CompareOptions o;
  o.inputs = {dir / "runs" / "one"};
  o.out = dir / "out";
  o.x = "tokens";
  report::compare(o);
  const auto last = records(dir / "runs" / "one").back();
  const double rate = last.at(fields::sink_rate.key)[1].get<double>();
  EXPECT_EQ(csv_rows(dir / "out" / "sink_rate_eps0.3.csv").back(), fmt::format("0,one,512,{},{},{},1", rate, rate, rate));
  o.baseline = "nope";
  EXPECT_THROW(report::compare(o), Error);
  write_file(dir / "bare" / "config.resolved.yaml", "seed: 0\n");
  o.inputs = {dir / "bare"};
  o.baseline.clear();
  try {
    report::compare(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("none of the 1 runs is usable"), std::string::npos) << e.what();
  }
}

// Final values against a grid key, as the cost-vs-width experiment plots them: one point per
// width (mean over seeds), log-log with a guide line.
TEST_F(Compare, FinalValuesAgainstAGridKey) {
  write_file(dir / "width.yaml", "base: tiny.yaml\noverrides:\n  train.steps: 4\n  analysis.every: 4\n  analysis.probe_sequences: 4\n"
                                 "grid:\n  model.d_model: [16, 32]\nseeds: [0, 1]\n");
  const auto r = run("ablate " + (dir / "width.yaml").string());
  ASSERT_EQ(r.code, 0) << r.output;
  const auto c = run("compare width --against model.d_model --slopes 0.5,-0.5 --out " + (dir / "cmp").string());
  ASSERT_EQ(c.code, 0) << c.output;
  EXPECT_TRUE(fs::exists(dir / "cmp" / "cost_block_vs_d_model.png"));
  EXPECT_TRUE(fs::exists(dir / "cmp" / "cost_attention_vs_d_model.png"));
  const auto rows = csv_rows(dir / "cmp" / "cost_block_vs_d_model.csv");
  ASSERT_EQ(rows.size(), 3u);  // header, d = 16, d = 32
  for (const auto& [row, d] : {std::pair{1, 16}, {2, 32}}) {
    const auto a = analysis::list_mean(records(dir / "runs" / "width" / fmt::format("d_model-{}-s0", d)).back().at(fields::block_cost.key));
    const auto b = analysis::list_mean(records(dir / "runs" / "width" / fmt::format("d_model-{}-s1", d)).back().at(fields::block_cost.key));
    EXPECT_EQ(rows[row], fmt::format("0,all runs,{},{},{},{},2", d, (a + b) / 2, std::min(a, b), std::max(a, b)));
  }
  EXPECT_NE(read_file(dir / "cmp" / "cost_block_vs_d_model.gp").find("logscale x"), std::string::npos);
  // Over training, the costs (which fall by orders of magnitude) get a log y axis, the rest not.
  EXPECT_NE(read_file(dir / "cmp" / "cost_attention.gp").find("set logscale y"), std::string::npos);
  EXPECT_NE(read_file(dir / "cmp" / "nuclear_qk.gp").find("set logscale y"), std::string::npos);
  EXPECT_EQ(read_file(dir / "cmp" / "diagonal_score.gp").find("logscale"), std::string::npos);
  EXPECT_NE(read_file(dir / "cmp" / "cost_block_vs_d_model.gp").find("slope +0.5"), std::string::npos);
  EXPECT_NE(run("compare width --against model.norm --out " + (dir / "cmp2").string()).output.find("not a number"), std::string::npos);
  EXPECT_NE(run("compare width --slopes 0.5 --out " + (dir / "cmp4").string()).output.find("--slopes requires --against"),
            std::string::npos);
  // A run still training (its last analysis earlier than its group's) is left out, not mixed in.
  const fs::path unfinished = dir / "runs" / "width" / "d_model-32-s1" / "analysis.jsonl";
  write_file(unfinished, read_file(unfinished).substr(0, read_file(unfinished).find('\n') + 1));
  const auto l = run("compare width --against model.d_model --out " + (dir / "cmp3").string());
  ASSERT_EQ(l.code, 0) << l.output;
  EXPECT_NE(l.output.find("leaving out d_model-32-s1 (last analysis at step 0, its group's other runs reach 4)"), std::string::npos)
      << l.output;
  const auto a = analysis::list_mean(records(dir / "runs" / "width" / "d_model-32-s0").back().at(fields::block_cost.key));
  EXPECT_EQ(csv_rows(dir / "cmp3" / "cost_block_vs_d_model.csv")[2], fmt::format("0,all runs,32,{},{},{},1", a, a, a));
}

// Found by fuzzing collect_runs (tests/fuzz/fuzz_records): it copied the newest metrics record
// with a val_loss, and a value nested 400,000 deep overflowed the stack.
TEST_F(Compare, DeeplyNestedRecordIsAnErrorNamingItsLine) {
  ASSERT_EQ(run("train " + (dir / "tiny.yaml").string() + " --name one --set train.steps=2").code, 0);
  std::ofstream(dir / "runs" / "one" / "metrics.jsonl", std::ios::app)
      << R"({"step": 20, "tokens": 2000, "val_loss": 1.0, "x": )" << std::string(400000, '[') << std::string(400000, ']') << "}\n";
  try {
    report::collect_runs({dir / "runs" / "one"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.jsonl:3: JSON nested more than 64 levels deep"), std::string::npos) << e.what();
  }
}

TEST_F(Compare, UnknownKeyMaskOrHeadClassIsAnErrorNamingItsLine) {
  ASSERT_EQ(run("train " + (dir / "tiny.yaml").string() + " --name one --set train.steps=2").code, 0);
  const fs::path file = dir / "runs" / "one" / "analysis.jsonl";
  const auto good = records(dir / "runs" / "one");
  for (const auto& [pointer, bad, message] :
       {std::tuple{"/key_mask", "no_second", "'key_mask' is 'no_second', not one of: causal no_first no_self"},
        std::tuple{"/head_class/0/0", "sinky", "'head_class' must hold names among: nop broadcast neither no-sink"}}) {
    json r = good.back();
    r[json::json_pointer(pointer)] = bad;
    write_file(file, good.front().dump() + "\n" + r.dump() + "\n");
    try {
      report::collect_runs({dir / "runs" / "one"});
      FAIL() << pointer;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("analysis.jsonl:2: " + std::string(message)), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace sinklab::testing
