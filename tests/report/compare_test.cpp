// sinklab compare on small synthetic run folders written here.
#include "report/compare.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "io/npy.h"
#include "report/runs.h"
#include "support/temp_dir.h"

namespace sinklab::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A run whose sink rate (eps 0.3) follows `rates` at steps 0, 10, 20, ...
void write_run(const fs::path& dir, const std::vector<double>& rates, double cost, bool half_written_tail = false) {
  write_file(dir / "config.resolved.yaml", "seed: 0\n");
  std::string metrics, analysis;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    const int step = static_cast<int>(i) * 10;
    metrics += json{{"step", step}, {"tokens", step * 100}, {"loss", 3.0}, {"lr", 1e-3}, {"grad_norm", 1.0}, {"step_ms", 1.0},
                    {"tokens_per_s", 1.0}, {"val_loss", 4.0 - 0.25 * static_cast<double>(i)}}.dump() + "\n";
    json r{{"step", step}, {"tokens", step * 100}, {"eps", {0.1, 0.3}}, {"sink_rate", {rates[i] + 0.125, rates[i]}},
           {"sink_score", {{rates[i], 0.5}, {0.25, 0.75}}}, {"sink_score_max", 0.75}, {"first_mass", {{0.5, 0.5}, {0.5, 0.5}}},
           {"diag_score", {{0.125, 0.125}, {0.125, 0.125}}}, {"cost_qk", {{cost, cost}, {cost, cost}}}, {"cost_ov", {{1.0, 1.0}, {1.0, 1.0}}},
           {"block_cost", {cost, cost}}, {"oversmoothing_out", {0.25, 0.5}}, {"nop_count", 1}, {"broadcast_count", 2}};
    if (i == 0 || i + 1 == rates.size()) {
      const std::string rel = fmt::format("attn/step_{:07d}.npy", step);
      fs::create_directories(dir / "attn");
      io::write_npy(dir / rel, Tensor::full({2, 2, 4, 4}, 0.25));
      r["snapshot"] = rel;
    }
    analysis += r.dump() + "\n";
  }
  if (half_written_tail) analysis += "{\"step\": 99, \"tok";
  write_file(dir / "metrics.jsonl", metrics);
  write_file(dir / "analysis.jsonl", analysis);
}

std::pair<std::uint32_t, std::uint32_t> png_size(const fs::path& file) {
  const std::string b = read_file(file);
  EXPECT_EQ(b.substr(1, 3), "PNG") << file;
  auto be32 = [&](std::size_t at) {
    return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint32_t(std::uint8_t(b[at + 3]));
  };
  return {be32(16), be32(20)};
}

TEST(Compare, WritesEveryPlotWithItsDataAndTheReport) {
  TempDir dir;
  const fs::path ablation = dir / "abl";
  write_run(ablation / "base-s0", {0.0, 0.0, 0.25, 0.5}, 2.0);
  write_run(ablation / "base-s1", {0.0, 0.125, 0.25, 0.25}, 4.0, true);  // crashed mid-line: still usable
  write_run(ablation / "gated-s0", {0.0, 0.0, 0.0, 0.0}, 3.0);
  write_file(ablation / "empty-s0" / "config.resolved.yaml", "seed: 0\n");  // never analysed

  report::CompareOptions o;
  o.inputs = {ablation};
  o.width = 640;
  o.height = 400;
  const auto r = report::compare(o);
  EXPECT_EQ(r.out, ablation / "compare");
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_NE(r.skipped[0].find("empty-s0"), std::string::npos);
  for (const char* name : {"sink_rate", "first_token_mass", "diagonal_score", "cost_qk", "cost_ov", "cost_block", "oversmoothing",
                           "oversmoothing_by_layer", "val_loss"}) {
    for (const char* ext : {".png", ".svg", ".csv", ".gp"}) EXPECT_TRUE(fs::exists(r.out / (std::string(name) + ext))) << name << ext;
    EXPECT_EQ(png_size(r.out / (std::string(name) + ".png")), (std::pair<std::uint32_t, std::uint32_t>{640, 400})) << name;
  }
  EXPECT_FALSE(fs::exists(r.out / "register_mass.png"));  // no run has registers
  for (const char* f : {"sink_score_heatmap.png", "attention_base.png", "attention_gated.png", "report.md", "report.html", "summary.json"})
    EXPECT_TRUE(fs::exists(r.out / f)) << f;

  // The CSV behind the sink-rate plot holds exactly the runs' values: mean, min and max over seeds.
  std::ifstream csv(r.out / "sink_rate.csv");
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "variant_index,variant,x,mean,min,max,seeds");
  std::vector<std::string> rows;
  while (std::getline(csv, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[1], "0,base,10,0.0625,0,0.125,2");
  EXPECT_EQ(rows[3], "0,base,30,0.375,0.25,0.5,2");
  EXPECT_EQ(rows[7], "1,gated,30,0,0,0,1");

  // Emergence by hand: base's mean rate is 0, 0.0625, 0.25, 0.375; 10% of 0.375 is first reached
  // at step 10, 50% (0.1875) at step 20. gated never rises.
  const auto table = json::parse(read_file(r.out / "summary.json"));
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[0].at("variant"), "base");
  EXPECT_EQ(table[0].at("emergence_10pct"), 10);
  EXPECT_EQ(table[0].at("emergence_50pct"), 20);
  EXPECT_TRUE(table[1].at("emergence_10pct").is_null());
  EXPECT_DOUBLE_EQ(table[0].at("val_loss").get<double>(), 3.25);
  EXPECT_DOUBLE_EQ(table[1].at("sink_rate_vs_baseline").get<double>(), -0.375);
  EXPECT_DOUBLE_EQ(table[0].at("cost_qk").get<double>(), 3.0);
  const std::string html = read_file(r.out / "report.html");
  EXPECT_NE(html.find("<img src='sink_rate.png'"), std::string::npos);
  EXPECT_NE(read_file(r.out / "report.md").find("| base | 2 | 3.2500 (+0.0000) | 0.3750 (+0.0000)"), std::string::npos);
  EXPECT_EQ(read_file(r.out / "report.md").find("Query classes"), std::string::npos) << "text runs have no query classes";
  EXPECT_FALSE(fs::exists(r.out / "query_classes.json"));
}

// Turns a written run into a synthetic-task run: by-class attention, mechanisms, class losses.
void add_query_classes(const fs::path& dir, const json& mechanism, double free_first) {
  std::string analysis, metrics;
  for (const auto& line : {"analysis.jsonl", "metrics.jsonl"}) {
    std::ifstream in(dir / line);
    for (std::string l; std::getline(in, l);) {
      json r = json::parse(l);
      if (std::string(line) == "analysis.jsonl") {
        const json grid = {{free_first, free_first}, {free_first, free_first}}, low = {{0.0, 0.0}, {0.0, 0.0}};
        r["by_class"] = {{"no_attention", {{"queries", 10}, {"sink_score", grid}, {"diag_score", low}, {"prev_score", low}, {"entropy", low}}},
                         {"needs_attention", {{"queries", 2}, {"sink_score", low}, {"diag_score", low}, {"prev_score", {{1.0, 1.0}, {1.0, 1.0}}}, {"entropy", low}}}};
        r["mechanism"] = mechanism;
        r["first_value_ratio"] = {{0.5, 0.5}, {0.5, 0.5}};
        analysis += r.dump() + "\n";
      } else {
        r["val_loss_needs_attn"] = 0.125;
        r["val_loss_no_attn"] = 2.5;
        metrics += r.dump() + "\n";
      }
    }
  }
  write_file(dir / "analysis.jsonl", analysis);
  write_file(dir / "metrics.jsonl", metrics);
}

TEST(Compare, SyntheticRunsGetTheQueryClassTable) {
  TempDir dir;
  const fs::path ablation = dir / "switch";
  write_run(ablation / "bos-s0", {0.0, 0.5}, 2.0);
  add_query_classes(ablation / "bos-s0", json::array({json::array({"sink", "sink"}), json::array({"diagonal", "gate"})}), 0.75);
  write_run(ablation / "random-s0", {0.0, 0.0}, 2.0);
  add_query_classes(ablation / "random-s0", json::array({json::array({"other", "other"}), json::array({"other", "other"})}), 0.25);
  report::CompareOptions o;
  o.inputs = {ablation};
  const auto r = report::compare(o);
  const std::string md = read_file(r.out / "report.md");
  EXPECT_NE(md.find("## Query classes"), std::string::npos);
  EXPECT_NE(md.find("| bos-s0 | diagonal 1, gate 1, sink 2 | 0.750 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| random-s0 | other 4 | 0.250 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 0.125 | 2.5 |"), std::string::npos) << "the class losses";
  const auto records = json::parse(read_file(r.out / "query_classes.json"));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_DOUBLE_EQ(records[0].at("needs_attention_prev").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(records[1].at("no_attention_first").get<double>(), 0.25);
  EXPECT_TRUE(fs::exists(r.out / "no_attention_first.png"));
  EXPECT_NE(read_file(r.out / "report.html").find("<h2>Query classes</h2>"), std::string::npos);
}

TEST(Compare, TokensOnTheXAxisAndErrors) {
  TempDir dir;
  write_run(dir / "one", {0.0, 0.5}, 1.0);
  report::CompareOptions o;
  o.inputs = {dir / "one"};
  o.out = dir / "out";
  o.x = "tokens";
  report::compare(o);
  EXPECT_NE(read_file(dir / "out" / "sink_rate.csv").find("0,one,1000,0.5,0.5,0.5,1"), std::string::npos);
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

// Found by fuzzing collect_runs (tests/fuzz/fuzz_records): it copied the newest metrics record
// with a val_loss, and a value nested 400,000 deep overflowed the stack.
TEST(Compare, DeeplyNestedRecordIsAnErrorNamingItsLine) {
  TempDir dir;
  write_run(dir / "one", {0.0, 0.5}, 1.0);
  std::ofstream(dir / "one" / "metrics.jsonl", std::ios::app)
      << R"({"step": 20, "tokens": 2000, "val_loss": 1.0, "x": )" << std::string(400000, '[') << std::string(400000, ']') << "}\n";
  try {
    report::collect_runs({dir / "one"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.jsonl:3: JSON nested more than 64 levels deep"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sinklab::testing
