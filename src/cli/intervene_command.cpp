#include "cli/intervene_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "analysis/fields.h"
#include "analysis/recorder.h"
#include "data/dataset.h"
#include "engine/error.h"
#include "io/atomic_file.h"
#include "train/checkpoint.h"
#include "train/evaluation.h"
#include "train/memory_estimate.h"
#include "train/metrics.h"
#include "train/saved_run.h"

namespace sinklab::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

struct Intervention {
  std::string name;
  std::vector<nn::AttentionEdit> edits;  // per layer
};

// "L.H" -> (layer, head), checked against the model.
std::pair<std::int64_t, std::int64_t> head_ref(const std::string& option, const std::string& text, const nn::ModelConfig& m) {
  std::int64_t layer = -1, head = -1;
  const char *p = text.data(), *end = p + text.size();
  auto [dot, e1] = std::from_chars(p, end, layer);
  const bool ok = e1 == std::errc() && dot < end && *dot == '.' && std::from_chars(dot + 1, end, head).ptr == end &&
                  std::from_chars(dot + 1, end, head).ec == std::errc();
  if (!ok) fail("intervene: {} {}: expected LAYER.HEAD, e.g. 0.1", option, text);
  if (layer < 0 || layer >= m.n_layer) fail("intervene: {} {}: layer {} is not a layer of the model (0..{})", option, text, layer, m.n_layer - 1);
  if (head < 0 || head >= m.n_head) fail("intervene: {} {}: head {} is not a head of the model (0..{})", option, text, head, m.n_head - 1);
  return {layer, head};
}

std::vector<Intervention> interventions(const InterveneOptions& o, const nn::ModelConfig& m) {
  std::vector<Intervention> out;
  const auto L = static_cast<std::size_t>(m.n_layer);
  const bool registers = m.attention.registers > 0;
  if ((o.mask_first || o.zero_first_value) && registers)
    fail("intervene: --mask-first and --zero-first-value act on position 0, which is a register in this model "
         "(model.attention.registers = {}), not the first token",
         m.attention.registers);
  if (o.mask_first) {
    if (m.attention.mask != ops::KeyMask::causal) fail("intervene: --mask-first: the model already masks keys (model.attention.mask); the masks do not combine");
    Intervention i{"mask first", std::vector<nn::AttentionEdit>(L)};
    for (auto& e : i.edits) e.mask_first = true;
    out.push_back(std::move(i));
  }
  if (o.zero_first_value) {
    Intervention i{"zero first value", std::vector<nn::AttentionEdit>(L)};
    for (auto& e : i.edits) e.zero_first_value = true;
    out.push_back(std::move(i));
  }
  for (const auto& text : o.ablate_heads) {
    const auto [l, h] = head_ref("--ablate-head", text, m);
    Intervention i{fmt::format("ablate head {}.{}", l, h), std::vector<nn::AttentionEdit>(L)};
    i.edits[static_cast<std::size_t>(l)].ablate_heads = {h};
    out.push_back(std::move(i));
  }
  for (const auto& text : o.uniform_heads) {
    const auto [l, h] = head_ref("--uniform-head", text, m);
    // With equal scores a softmax (or normalised sigmoid) row is uniform; an extra sink column or
    // unnormalised sigmoid rows are not.
    if (m.attention.sink_logit != nn::SinkLogit::none || (m.attention.kind == nn::AttentionKind::sigmoid && !m.attention.normalize))
      fail("intervene: --uniform-head {}: zero queries give uniform attention only for softmax or normalised sigmoid without a sink logit", text);
    Intervention i{fmt::format("uniform head {}.{}", l, h), std::vector<nn::AttentionEdit>(L)};
    i.edits[static_cast<std::size_t>(l)].uniform_heads = {h};
    out.push_back(std::move(i));
  }
  if (out.empty()) fail("intervene: give at least one of --mask-first, --zero-first-value, --ablate-head L.H, --uniform-head L.H");
  return out;
}

// What an intervention changes: the validation losses, and on the probe the oversmoothing, the
// heads' smoothing and the first-token mass. The probe metrics read a head's write from its mixed
// values (captured before the head's output is zeroed) and W_O, which an ablation does not touch:
// ablated heads are left out of the means.
json measure(const nn::Transformer& model, const std::vector<data::Batch>& val, const data::Batch& probe,
             const analysis::AnalysisConfig& config, const std::vector<nn::AttentionEdit>& edits) {
  namespace keys = train::metric_keys;
  namespace fields = analysis::fields;
  const train::EvalLoss loss = train::evaluate(model, val);
  json m{{keys::val_loss, loss.loss}};
  if (loss.needs_attention && loss.no_attention) m[keys::val_loss_needs_attn] = *loss.needs_attention, m[keys::val_loss_no_attn] = *loss.no_attention;
  const json r = analysis::analyze(model, probe, config);
  for (const analysis::Field* f : {&fields::oversmoothing_out, &fields::attn_in_cosine}) m[std::string(f->key)] = r.at(f->key);
  for (const analysis::Field* f : {&fields::smoothing_dense, &fields::first_mass}) {
    double sum = 0, n = 0;
    const auto& grid = r.at(f->key);
    for (std::size_t l = 0; l < grid.size(); ++l)
      for (std::size_t h = 0; h < grid[l].size(); ++h) {
        const auto& ablated = l < edits.size() ? edits[l].ablate_heads : std::vector<std::int64_t>{};
        if (std::find(ablated.begin(), ablated.end(), static_cast<std::int64_t>(h)) != ablated.end()) continue;
        sum += grid[l][h].get<double>(), n += 1;
      }
    m[std::string(f->key)] = n > 0 ? sum / n : 0.0;
  }
  return m;
}

std::string table(const json& baseline, const json& rows) {
  namespace keys = train::metric_keys;
  namespace fields = analysis::fields;
  const bool classes = baseline.contains(keys::val_loss_needs_attn);
  std::string md = fmt::format("| intervention | val loss | Δ val loss |{} oversmoothing, last block | smoothing by the heads (mean) | first-token mass (mean) |\n",
                               classes ? " Δ needs attention | Δ no attention |" : "");
  md += fmt::format("|---|---:|---:|{}---:|---:|---:|\n", classes ? "---:|---:|" : "");
  auto row = [&](const std::string& name, const json& m) {
    const double d = m.at(keys::val_loss).get<double>() - baseline.at(keys::val_loss).get<double>();
    std::string cls;
    if (classes)
      cls = fmt::format(" {:+.4f} | {:+.4f} |", m.at(keys::val_loss_needs_attn).get<double>() - baseline.at(keys::val_loss_needs_attn).get<double>(),
                        m.at(keys::val_loss_no_attn).get<double>() - baseline.at(keys::val_loss_no_attn).get<double>());
    md += fmt::format("| {} | {:.4f} | {:+.4f} |{} {:.4f} | {:.4f} | {:.4f} |\n", name, m.at(keys::val_loss).get<double>(), d, cls,
                      m.at(fields::oversmoothing_out.key).back().get<double>(), m.at(fields::smoothing_dense.key).get<double>(),
                      m.at(fields::first_mass.key).get<double>());
  };
  row("none", baseline);
  for (const auto& r : rows) row(r.at("intervention").get<std::string>(), r);
  return md;
}

}  // namespace

void intervene(const InterveneOptions& o) {
  if (o.checkpoint && *o.checkpoint < 1) fail("intervene: --checkpoint must be a step of the run (>= 1), got {}", *o.checkpoint);
  auto run = train::load_run(o.run_dir, o.checkpoint.value_or(0));
  const std::vector<Intervention> list = interventions(o, run.model->config());
  train::check_memory(train::evaluation_memory(run.config, run.config.train.eval_batches), "intervene on " + o.run_dir.string());
  auto data = data::prepare_data(run.config.data, o.run_dir, run.config.seed, std::cout);
  const auto val = train::validation_batches(run.config, data);
  const data::Batch probe = analysis::probe_batch(run.config.analysis, run.config.data, data, run.config.seed);

  const json baseline = measure(*run.model, val, probe, run.config.analysis, {});
  json rows = json::array();
  for (const auto& i : list) {
    std::cout << fmt::format("intervention: {}\n", i.name) << std::flush;
    for (std::size_t l = 0; l < i.edits.size(); ++l) run.model->edit_attention(static_cast<std::int64_t>(l), i.edits[l]);
    json m{{"intervention", i.name}};
    m.update(measure(*run.model, val, probe, run.config.analysis, i.edits));
    for (std::size_t l = 0; l < i.edits.size(); ++l) run.model->edit_attention(static_cast<std::int64_t>(l), {});
    rows.push_back(std::move(m));
  }
  const std::string md = table(baseline, rows);
  const json out{{analysis::fields::step.key, run.step}, {"batches", val.size()}, {"baseline", baseline}, {"interventions", rows}};
  const fs::path dir = o.run_dir / "intervene";
  fs::create_directories(dir);
  const std::string stem = train::checkpoint_name(run.step);
  io::write_file_atomic(dir / (stem + ".json"), out.dump(2) + "\n");
  io::write_file_atomic(dir / (stem + ".md"), md);
  std::cout << fmt::format("{} at step {}, {} validation batches; the probe's statistics as in docs/metrics.md\n", o.run_dir.string(), run.step,
                           val.size())
            << md << fmt::format("written: {} and {}\n", (dir / (stem + ".json")).string(), (dir / (stem + ".md")).string());
}

}  // namespace sinklab::cli
