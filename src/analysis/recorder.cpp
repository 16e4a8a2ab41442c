#include "analysis/recorder.h"

#include <cmath>
#include <fstream>

#include "analysis/attention_metrics.h"
#include "analysis/query_classes.h"
#include "analysis/residual_metrics.h"
#include "analysis/weight_costs.h"
#include "engine/autograd.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "io/records.h"

namespace sinklab::analysis {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Grid = std::vector<std::vector<double>>;  // [layer][head]

Grid grid(std::int64_t L, std::int64_t H) { return Grid(L, std::vector<double>(H, 0.0)); }

double mean_of(const Grid& g) {
  double s = 0;
  std::size_t n = 0;
  for (const auto& row : g)
    for (double v : row) s += v, ++n;
  return n ? s / static_cast<double>(n) : 0;
}

std::vector<double> flat(const Grid& g) {
  std::vector<double> out;
  for (const auto& row : g) out.insert(out.end(), row.begin(), row.end());
  return out;
}

// Head h's slice of a (out, in) Linear weight as a (d_model, d_head) matrix in the x W convention.
Matrix head_in(const Tensor& w, std::int64_t h, std::int64_t D) {  // rows h*D.. of W (out = heads)
  const std::int64_t C = w.shape()[1];
  Matrix m(C, D);
  const float* p = w.data<float>();
  for (std::int64_t d = 0; d < D; ++d)
    for (std::int64_t c = 0; c < C; ++c) m(c, d) = p[(h * D + d) * C + c];
  return m;
}

Matrix head_out(const Tensor& wo, std::int64_t h, std::int64_t D) {  // columns h*D.. of W_o, as (d_model, d_head)
  const std::int64_t C = wo.shape()[0], in = wo.shape()[1];
  Matrix m(C, D);
  const float* p = wo.data<float>();
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t d = 0; d < D; ++d) m(c, d) = p[c * in + h * D + d];
  return m;
}

double squared_norm(const Tensor& t) {
  double s = 0;
  for (float v : t.to_vector<float>()) s += static_cast<double>(v) * v;
  return s;
}

}  // namespace

data::Batch probe_batch(const AnalysisConfig& c, const data::DataConfig& dc, const data::PreparedData& data, std::uint64_t seed) {
  // Always document-aligned, whatever data.window says: the first position is where sinks form.
  data::DataConfig aligned = dc;
  aligned.window = "document";
  return data::open_batches(aligned, data, data::Split::valid, std::min(c.probe_length, dc.context), c.probe_sequences,
                            seed + 0xA11CE)
      ->next();
}

json analyze(const nn::Transformer& model, const data::Batch& probe_batch, const AnalysisConfig& config, Tensor* snapshot) {
  const Tensor& probe = probe_batch.inputs;
  const bool by_class = probe_batch.needs_attention.defined();
  const auto& mc = model.config();
  const std::int64_t L = mc.n_layer, H = mc.n_head, D = mc.d_head(), C = mc.d_model, R = mc.attention.registers;
  const std::int64_t B = probe.shape()[0], N = R + probe.shape()[1], first = R;
  nn::Captures cap;
  cap.attention = cap.residual = cap.values = true;
  {
    NoGradGuard no_grad;
    model.hidden(probe, &cap);  // the captures are all it needs: no logits
  }
  std::map<std::string, Tensor> params;
  for (const auto& [name, p] : model.named_parameters()) params[name] = p;

  const auto& eps = config.eps;
  Grid sink = grid(L, H), first_mass = grid(L, H), reg_mass = grid(L, H), row_mass = grid(L, H), diag = grid(L, H), entropy = grid(L, H);
  Grid value_ratio = grid(L, H), first_value_ratio = grid(L, H), srank = grid(L, H), dominant = grid(L, H);
  // By query class (synthetic probes): [layer][head][no attention, needs attention].
  std::vector<std::vector<std::array<ClassSums, 2>>> classes(L, std::vector<std::array<ClassSums, 2>>(H));
  const std::int32_t* needs = by_class ? probe_batch.needs_attention.data<std::int32_t>() : nullptr;
  const std::int64_t T = probe.shape()[1];
  std::vector<Grid> sink_rate_head(eps.size(), grid(L, H));
  std::vector<double> diag_rate(eps.size(), 0.0);
  std::vector<double> smooth_in(L), smooth_out(L), bos_cos(L), bos_ratio(L), gate_mean, gate_small;
  if (snapshot) *snapshot = Tensor::zeros({L, H, N, N});
  for (std::int64_t l = 0; l < L; ++l) {
    const std::string prefix = "blocks." + std::to_string(l);
    const Tensor probs = cap.tensors.at(prefix + ".attn.probs");  // (B, H, N, N)
    const Tensor values = cap.tensors.at(prefix + ".attn.v");     // (B, H, N, D)
    const float* pa = probs.data<float>();
    const float* pv = values.data<float>();
    const Tensor wo = params.at(prefix + ".attn.wo.weight");
    const auto gate_it = cap.tensors.find(prefix + ".attn.gate");  // (B, N, H*D) or (B, N, H)
    const bool gated = gate_it != cap.tensors.end();
    for (std::int64_t h = 0; h < H; ++h) {
      // The head's mean gate at each position, for the by-class statistics.
      std::vector<float> head_gate;
      if (by_class && gated) {
        const Tensor& g = gate_it->second;
        const std::int64_t G = g.shape()[2], width = G / H;
        const float* pg = g.data<float>();
        head_gate.resize(static_cast<std::size_t>(B * N));
        for (std::int64_t q = 0; q < B * N; ++q) {
          double m = 0;
          for (std::int64_t d = 0; d < width; ++d) m += pg[q * G + h * width + d];
          head_gate[q] = static_cast<float>(m / static_cast<double>(width));
        }
      }
      std::vector<double> mean_map(static_cast<std::size_t>(N * N), 0.0);
      for (std::int64_t b = 0; b < B; ++b) {
        const float* a = pa + ((b * H + h) * N) * N;
        const MapStats s = map_stats(a, N, first);
        if (by_class) add_class_sums(a, N, first, needs + b * T, gated ? head_gate.data() + b * N : nullptr, classes[l][h].data());
        sink[l][h] += s.sink_score;
        first_mass[l][h] += s.first_mass;
        reg_mass[l][h] += s.register_mass;
        row_mass[l][h] += s.row_mass;
        diag[l][h] += s.diag_score;
        entropy[l][h] += s.entropy;
        for (std::size_t e = 0; e < eps.size(); ++e) {
          sink_rate_head[e][l][h] += s.sink_score > eps[e];
          diag_rate[e] += s.diag_score > eps[e];
        }
        for (std::int64_t k = 0; k < N * N; ++k) mean_map[k] += a[k];
      }
      for (auto& v : mean_map) v /= static_cast<double>(B);
      if (snapshot) {
        float* dst = snapshot->data<float>() + (l * H + h) * N * N;
        for (std::int64_t k = 0; k < N * N; ++k) dst[k] = static_cast<float>(mean_map[k]);
      }
      // Nop vs broadcast: how large the dominant key's value is after W_O, and how low-rank the update.
      const std::int64_t s_key = dominant_key(mean_map.data(), N, first);
      dominant[l][h] = static_cast<double>(s_key);
      const Matrix wo_h = head_out(wo, h, D).transpose();  // (D, C): row vector v W_O^h
      const Matrix gram_o = wo_h * wo_h.transpose();       // ||v W_O||^2 = v S v^T
      for (std::int64_t b = 0; b < B; ++b) {
        Matrix v(N, D), a(N, N);
        for (std::int64_t j = 0; j < N; ++j)
          for (std::int64_t d = 0; d < D; ++d) v(j, d) = pv[((b * H + h) * N + j) * D + d];
        for (std::int64_t i = 0; i < N; ++i)
          for (std::int64_t j = 0; j < N; ++j) a(i, j) = pa[((b * H + h) * N + i) * N + j];
        std::vector<double> norm(static_cast<std::size_t>(N));
        double total = 0;
        for (std::int64_t j = 0; j < N; ++j)
          total += norm[j] = std::sqrt(std::max(0.0, (v.row(j) * gram_o * v.row(j).transpose())(0, 0)));
        auto ratio = [&](std::int64_t k) {
          const double others = (total - norm[k]) / static_cast<double>(N - 1);
          return others > 0 ? norm[k] / others : 0.0;
        };
        value_ratio[l][h] += ratio(s_key);
        first_value_ratio[l][h] += ratio(first);
        srank[l][h] += stable_rank(a * v, wo_h);
      }
      for (Grid* g : {&value_ratio, &first_value_ratio, &srank}) (*g)[l][h] /= static_cast<double>(B);
      for (Grid* g : {&sink, &first_mass, &reg_mass, &row_mass, &diag, &entropy}) (*g)[l][h] /= static_cast<double>(B);
      for (auto& g : sink_rate_head) g[l][h] /= static_cast<double>(B);
    }
    // Residual stream: oversmoothing at the block's input and output, and the first token's state.
    for (const auto& [name, out] : {std::pair{".resid_pre", &smooth_in}, std::pair{".resid_post", &smooth_out}}) {
      const Tensor states = cap.tensors.at(prefix + name);  // (B, N, C)
      double sum = 0, cos = 0, ratio = 0;
      for (std::int64_t b = 0; b < B; ++b) {
        const float* hb = states.data<float>() + b * N * C;
        sum += mean_pairwise_cosine(hb, N, C, first);
        if (name == std::string(".resid_post")) {
          const auto f = first_token_stats(hb, N, C, first);
          cos += f.cosine;
          ratio += f.norm_ratio;
        }
      }
      (*out)[l] = sum / static_cast<double>(B);
      if (name == std::string(".resid_post")) {
        bos_cos[l] = cos / static_cast<double>(B);
        bos_ratio[l] = ratio / static_cast<double>(B);
      }
    }
    if (cap.tensors.count(prefix + ".attn.gate")) {
      const auto g = cap.tensors.at(prefix + ".attn.gate").to_vector<float>();
      double m = 0, small = 0;
      for (float v : g) m += v, small += v < 0.1f;
      gate_mean.push_back(m / static_cast<double>(g.size()));
      gate_small.push_back(small / static_cast<double>(g.size()));
    }
  }

  // Representation cost, from the weights.
  Grid cost_qk = grid(L, H), cost_ov = grid(L, H), frob_qk = grid(L, H), frob_ov = grid(L, H), nuc_qk = grid(L, H),
       nuc_ov = grid(L, H), ratio_qk = grid(L, H), ratio_ov = grid(L, H);
  std::vector<double> attn_cost(L, 0.0), mlp_cost(L, 0.0), block_cost(L, 0.0);
  double model_cost = 0;
  for (const auto& [name, p] : params) {
    const double sq = squared_norm(p);
    model_cost += sq;
    for (std::int64_t l = 0; l < L; ++l) {
      const std::string b = "blocks." + std::to_string(l) + ".";
      if (name.starts_with(b + "attn.")) attn_cost[l] += sq;
      if (name.starts_with(b + "mlp.")) mlp_cost[l] += sq;
    }
  }
  for (std::int64_t l = 0; l < L; ++l) {
    block_cost[l] = attn_cost[l] + mlp_cost[l];
    const std::string b = "blocks." + std::to_string(l) + ".attn.";
    for (std::int64_t h = 0; h < H; ++h) {
      const auto qk = product_cost(head_in(params.at(b + "wq.weight"), h, D), head_in(params.at(b + "wk.weight"), h, D));
      const auto ov = product_cost(head_in(params.at(b + "wv.weight"), h, D), head_out(params.at(b + "wo.weight"), h, D));
      cost_qk[l][h] = qk.factor_cost, frob_qk[l][h] = qk.frobenius, nuc_qk[l][h] = qk.nuclear, ratio_qk[l][h] = qk.ratio();
      cost_ov[l][h] = ov.factor_cost, frob_ov[l][h] = ov.frobenius, nuc_ov[l][h] = ov.nuclear, ratio_ov[l][h] = ov.ratio();
    }
  }

  json r;
  r["eps"] = eps;
  std::vector<double> rate(eps.size());
  std::vector<std::vector<double>> rate_layer(eps.size(), std::vector<double>(L, 0.0));
  for (std::size_t e = 0; e < eps.size(); ++e) {
    rate[e] = mean_of(sink_rate_head[e]);
    for (std::int64_t l = 0; l < L; ++l) {
      for (double v : sink_rate_head[e][l]) rate_layer[e][l] += v;
      rate_layer[e][l] /= static_cast<double>(H);
    }
    diag_rate[e] /= static_cast<double>(B * L * H);
  }
  r["sink_rate"] = rate;
  r["sink_rate_layer"] = rate_layer;
  r["sink_rate_head"] = sink_rate_head;
  r["sink_score"] = sink;
  const auto scores = flat(sink);
  r["sink_score_max"] = *std::max_element(scores.begin(), scores.end());
  r["sink_score_median"] = quantile(scores, 0.5);
  r["sink_score_p90"] = quantile(scores, 0.9);
  r["first_mass"] = first_mass;
  if (R > 0) r["register_mass"] = reg_mass;
  if (mc.attention.sink_logit != nn::SinkLogit::none) {
    Grid sink_mass = row_mass;
    for (auto& row : sink_mass)
      for (auto& v : row) v = 1 - v;
    r["sink_logit_mass"] = sink_mass;
  }
  if (mc.attention.kind == nn::AttentionKind::sigmoid && !mc.attention.normalize) r["row_mass"] = row_mass;
  r["diag_score"] = diag;
  r["diag_rate"] = diag_rate;
  std::vector<std::vector<int>> switch_heads(L, std::vector<int>(H, 0));
  std::vector<std::vector<std::string>> head_class(L, std::vector<std::string>(H));
  int switches = 0, nops = 0, broadcasts = 0;
  for (std::int64_t l = 0; l < L; ++l)
    for (std::int64_t h = 0; h < H; ++h) {
      switch_heads[l][h] = sink[l][h] + diag[l][h] > 1 - config.delta;
      switches += switch_heads[l][h];
      const bool nop = value_ratio[l][h] <= 0.2, broadcast = !nop && value_ratio[l][h] >= 0.5 && srank[l][h] <= 1.5;
      head_class[l][h] = nop ? "nop" : broadcast ? "broadcast" : "neither";
      nops += nop;
      broadcasts += broadcast;
    }
  r["switch_heads"] = switch_heads;
  r["switch_count"] = switches;
  r["entropy"] = entropy;
  if (!gate_mean.empty()) {
    r["gate_mean"] = gate_mean;
    r["gate_small_frac"] = gate_small;
  }
  r["dominant_key"] = dominant;
  r["value_norm_ratio"] = value_ratio;
  r["first_value_ratio"] = first_value_ratio;
  if (by_class) {
    const bool logit = mc.attention.sink_logit != nn::SinkLogit::none;
    const double threshold = *std::max_element(eps.begin(), eps.end());
    json split;
    for (const auto& [k, name] : {std::pair{1, "needs_attention"}, {0, "no_attention"}}) {
      Grid first_g = grid(L, H), diag_g = grid(L, H), prev_g = grid(L, H), ent_g = grid(L, H), logit_g = grid(L, H), gate_g = grid(L, H);
      for (std::int64_t l = 0; l < L; ++l)
        for (std::int64_t h = 0; h < H; ++h) {
          const ClassSums& c = classes[l][h][k];
          const double n = std::max(1.0, c.queries);
          first_g[l][h] = c.first / n, diag_g[l][h] = c.diag / n, prev_g[l][h] = c.prev / n, ent_g[l][h] = c.entropy / n;
          logit_g[l][h] = c.queries > 0 ? 1 - c.row_mass / n : 0, gate_g[l][h] = c.gate / n;
        }
      json j{{"queries", classes[0][0][k].queries}, {"sink_score", first_g}, {"diag_score", diag_g}, {"prev_score", prev_g}, {"entropy", ent_g}};
      if (logit) j["sink_logit_mass"] = logit_g;
      if (!gate_mean.empty()) j["gate_mean"] = gate_g;
      split[name] = j;
    }
    r["by_class"] = split;
    std::vector<std::vector<std::string>> mech(L, std::vector<std::string>(H));
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t h = 0; h < H; ++h) mech[l][h] = mechanism(classes[l][h][0], threshold, logit, !gate_mean.empty());
    r["mechanism"] = mech;
  }
  r["stable_rank"] = srank;
  r["head_class"] = head_class;
  r["nop_count"] = nops;
  r["broadcast_count"] = broadcasts;
  r["oversmoothing_in"] = smooth_in;
  r["oversmoothing_out"] = smooth_out;
  r["bos_cosine"] = bos_cos;
  r["bos_norm_ratio"] = bos_ratio;
  r["cost_qk"] = cost_qk;
  r["cost_ov"] = cost_ov;
  r["frob_qk"] = frob_qk;
  r["frob_ov"] = frob_ov;
  r["nuc_qk"] = nuc_qk;
  r["nuc_ov"] = nuc_ov;
  r["ratio_qk"] = ratio_qk;
  r["ratio_ov"] = ratio_ov;
  r["attn_cost"] = attn_cost;
  r["mlp_cost"] = mlp_cost;
  r["block_cost"] = block_cost;
  r["model_cost"] = model_cost;
  return r;
}

namespace {

// The scalar summaries of a record, in analysis.csv column order.
std::vector<std::pair<std::string, double>> scalars(const json& r) {
  auto mean_of_grid = [](const json& g) {
    double s = 0;
    std::size_t n = 0;
    for (const auto& row : g)
      for (const auto& v : row) s += v.get<double>(), ++n;
    return n ? s / static_cast<double>(n) : 0.0;
  };
  auto grid_mean = [&](const char* key) { return mean_of_grid(r.at(key)); };
  auto vec_mean = [&](const char* key) {
    double s = 0;
    for (const auto& v : r.at(key)) s += v.get<double>();
    return r.at(key).empty() ? 0.0 : s / static_cast<double>(r.at(key).size());
  };
  std::vector<std::pair<std::string, double>> out{{"step", r.at("step")}, {"tokens", r.at("tokens")}};
  const auto eps = r.at("eps").get<std::vector<double>>();
  for (std::size_t e = 0; e < eps.size(); ++e) out.emplace_back(fmt::format("sink_rate_{}", eps[e]), r.at("sink_rate")[e]);
  for (const char* k : {"sink_score_max", "sink_score_median", "sink_score_p90"}) out.emplace_back(k, r.at(k));
  out.emplace_back("first_mass", grid_mean("first_mass"));
  out.emplace_back("diag_score", grid_mean("diag_score"));
  for (std::size_t e = 0; e < eps.size(); ++e) out.emplace_back(fmt::format("diag_rate_{}", eps[e]), r.at("diag_rate")[e]);
  out.emplace_back("entropy", grid_mean("entropy"));
  for (const char* k : {"switch_count", "nop_count", "broadcast_count"}) out.emplace_back(k, r.at(k));
  out.emplace_back("oversmoothing_out", vec_mean("oversmoothing_out"));
  out.emplace_back("bos_norm_ratio", vec_mean("bos_norm_ratio"));
  out.emplace_back("cost_qk", grid_mean("cost_qk"));
  out.emplace_back("cost_ov", grid_mean("cost_ov"));
  out.emplace_back("block_cost", vec_mean("block_cost"));
  out.emplace_back("model_cost", r.at("model_cost"));
  for (const char* k : {"register_mass", "sink_logit_mass", "row_mass"})
    if (r.contains(k)) out.emplace_back(k, grid_mean(k));
  if (r.contains("gate_mean")) out.emplace_back("gate_mean", vec_mean("gate_mean"));
  out.emplace_back("first_value_ratio", grid_mean("first_value_ratio"));
  if (r.contains("by_class")) {
    for (const auto& [name, suffix] : {std::pair{"needs_attention", "needs_attn"}, {"no_attention", "no_attn"}}) {
      const json& c = r.at("by_class").at(name);
      for (const char* k : {"sink_score", "diag_score", "prev_score", "entropy", "sink_logit_mass", "gate_mean"})
        if (c.contains(k)) out.emplace_back(fmt::format("{}_{}", k, suffix), mean_of_grid(c.at(k)));
    }
    for (const char* m : {"sink", "diagonal", "sink-logit", "gate", "other"}) {
      double n = 0;
      for (const auto& row : r.at("mechanism"))
        for (const auto& v : row) n += v.get<std::string>() == m;
      std::string col = fmt::format("mechanism_{}", m);
      std::replace(col.begin(), col.end(), '-', '_');
      out.emplace_back(col, n);
    }
  }
  return out;
}

}  // namespace

namespace {

// A run restarting from scratch (no checkpoint) records step 0 again: keep nothing then.
io::AppendFile cut_back(const fs::path& file, std::int64_t resume_step, io::RecordFormat format) {
  io::keep_records_until(file, resume_step > 0 ? resume_step : -1, format);
  return io::AppendFile(file);
}

}  // namespace

Recorder::Recorder(const AnalysisConfig& config, fs::path run_dir, data::Batch probe, std::int64_t resume_step)
    : config_(config),
      run_dir_(std::move(run_dir)),
      probe_(std::move(probe)),
      jsonl_(cut_back(run_dir_ / "analysis.jsonl", resume_step, io::RecordFormat::jsonl)),
      csv_(cut_back(run_dir_ / "analysis.csv", resume_step, io::RecordFormat::csv)),
      analyses_(static_cast<std::int64_t>(io::read_jsonl(run_dir_ / "analysis.jsonl").size())) {}

bool Recorder::due(std::int64_t step, bool last) const {
  return config_.every > 0 && (last || step % config_.every == 0);
}

json Recorder::record(const nn::Transformer& model, std::int64_t step, std::int64_t tokens, bool last) {
  const bool snap = analyses_ == 0 || last || (config_.snapshot_every > 0 && analyses_ % config_.snapshot_every == 0);
  Tensor maps;
  json r{{"step", step}, {"tokens", tokens}};
  const json body = analyze(model, probe_, config_, snap ? &maps : nullptr);
  for (const auto& [k, v] : body.items()) r[k] = v;
  if (snap) {
    const std::string rel = fmt::format("attn/step_{:07d}.npy", step);
    fs::create_directories(run_dir_ / "attn");
    io::write_npy(run_dir_ / rel, maps);
    r["snapshot"] = rel;
  }
  ++analyses_;
  jsonl_.append(r.dump() + "\n");
  const auto cols = scalars(r);
  std::string header, row;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    header += (i ? "," : "") + cols[i].first;
    row += fmt::format("{}{}", i ? "," : "", cols[i].second);
  }
  if (csv_.empty()) csv_.append(header + "\n");
  csv_.append(row + "\n");
  return r;
}

void Recorder::write_summary() const {
  std::vector<json> records;
  for (auto& r : io::read_jsonl(run_dir_ / "analysis.jsonl")) records.push_back(std::move(r.value));
  if (records.empty()) return;
  const json& last = records.back();
  json summary{{"step", last.at("step")}, {"tokens", last.at("tokens")}};
  json final_values;
  for (const auto& [k, v] : scalars(last)) final_values[k] = v;
  summary["final"] = final_values;
  // Emergence: the first analysis step at which the sink rate reaches 10% and 50% of its final value.
  json emergence = json::array();
  const auto eps = last.at("eps").get<std::vector<double>>();
  for (std::size_t e = 0; e < eps.size(); ++e) {
    const double final_rate = last.at("sink_rate")[e];
    json entry{{"eps", eps[e]}, {"final_sink_rate", final_rate}};
    for (double frac : {0.1, 0.5}) {
      json at = nullptr;
      if (final_rate > 0)
        for (const auto& rec : records)
          if (rec.at("sink_rate")[e].get<double>() >= frac * final_rate) {
            at = json{{"step", rec.at("step")}, {"tokens", rec.at("tokens")}};
            break;
          }
      entry[fmt::format("reached_{}pct", static_cast<int>(frac * 100))] = at;
    }
    emergence.push_back(entry);
  }
  summary["sink_rate_emergence"] = emergence;
  io::write_file_atomic(run_dir_ / "summary.json", summary.dump(2) + "\n");
}

}  // namespace sinklab::analysis
