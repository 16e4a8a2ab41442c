#include "train/memory_estimate.h"

#include <algorithm>

#include "engine/error.h"
#include "engine/memory.h"
#include "engine/parallel.h"

namespace sinklab::train {
namespace {

constexpr double f32 = 4;  // bytes per float and per token id

double parameters(const Config& c, double vocab) {
  const auto& m = c.model;
  const double d = static_cast<double>(m.d_model), f = static_cast<double>(m.d_ff), L = static_cast<double>(m.n_layer);
  const double R = static_cast<double>(m.attention.registers), T = static_cast<double>(c.data.context);
  const double kv = static_cast<double>(m.kv_heads() * m.d_head());  // wk, wv outputs
  double block = 2 * d * d + 2 * d * kv + (m.mlp == nn::MlpKind::swiglu ? 3 : 2) * d * f + 4 * d;
  if (m.attention.gate == nn::GateKind::elementwise) block += d * d + d;
  if (m.attention.gate == nn::GateKind::headwise) block += d * static_cast<double>(m.n_head);
  double p = vocab * d + L * block + 2 * d + R * d;
  if (m.pos == nn::PosKind::learned) p += (T + R) * d;
  if (!m.tie_embeddings) p += vocab * d;
  return p;
}

// Floats kept per layer for the backward pass of a batch of `rows` positions: projections,
// norms, MLP activations, the attention output and one statistic per query row and head
// (`sequences` x H x N; the backward recomputes the probabilities tile by tile).
double layer_activations(const Config& c, double rows, double sequences, double positions) {
  const auto& m = c.model;
  const double d = static_cast<double>(m.d_model), f = static_cast<double>(m.d_ff), H = static_cast<double>(m.n_head);
  return rows * (12 * d + (m.mlp == nn::MlpKind::swiglu ? 5 : 3) * f) + sequences * H * positions;
}

}  // namespace

double MemoryEstimate::total() const {
  double t = 0;
  for (const auto& p : parts) t += p.bytes;
  return t;
}

MemoryEstimate import_memory(const Config& c, std::int64_t vocab) {
  MemoryEstimate e;
  e.parts.push_back({"the weights three times: read, in the model, written (model.*, from config.json)",
                     3 * f32 * parameters(c, static_cast<double>(vocab))});
  return e;
}

std::int64_t vocab_size_of(const Config& c) {
  if (c.data.name == "synthetic") return c.data.symbols + 2;
  if (c.data.name != "random" && c.data.tokenizer == "byte") return 258;
  return c.data.vocab_size;
}

MemoryEstimate training_memory(const Config& c) {
  const double V = static_cast<double>(vocab_size_of(c)), L = static_cast<double>(c.model.n_layer);
  const double B = static_cast<double>(c.train.batch_size), T = static_cast<double>(c.data.context);
  const double N = T + static_cast<double>(c.model.attention.registers), d = static_cast<double>(c.model.d_model);
  MemoryEstimate e;
  e.parts.push_back({"weights, gradients and optimizer state (model.d_model, model.d_ff, model.n_layer, vocabulary, optim.name)",
                     (2 + optim::state_buffers(c.optim)) * f32 * parameters(c, V)});
  double act = f32 * (L * layer_activations(c, B * N, B, N) + 2 * B * N * d);
  // Synthetic tasks' class losses need the logits (and their gradient); other runs never make them.
  if (c.data.name == "synthetic") act += 2 * f32 * B * T * V;
  e.parts.push_back({"activations of one micro-batch (train.batch_size, data.context, model.n_head, model.d_model)", act});
  e.parts.push_back({"validation batches (train.eval_batches, train.batch_size, data.context)",
                     2 * f32 * static_cast<double>(c.train.eval_batches) * B * T});
  if (c.analysis.every > 0) {
    const double P = static_cast<double>(c.analysis.probe_sequences);
    const double n = std::min(static_cast<double>(c.analysis.probe_length), T) + static_cast<double>(c.model.attention.registers);
    const double H = static_cast<double>(c.model.n_head);
    // Its captures (residuals, q/k/v, mixed values, row statistics), the maps when small enough
    // to keep (analysis/probe_pass.h), else one map per thread (at most one per head), and the snapshot.
    const double maps = analysis::probe_map_bytes(L, P, H, n);
    const double threads = c.train.threads > 0 ? static_cast<double>(c.train.threads) : std::max(1, num_threads());
    const double kept = maps <= analysis::probe_map_cache_bytes ? maps : f32 * std::min(threads, L * H) * n * n;
    const double cells = std::min(n, static_cast<double>(analysis::snapshot_cells));
    e.parts.push_back({"analysis probe (analysis.probe_sequences, analysis.probe_length, model.n_head)",
                       f32 * L * (8 * P * n * d + P * H * n) + kept + 8 * L * H * cells * cells});
  }
  return e;
}

MemoryEstimate evaluation_memory(const Config& c, std::int64_t batches) {
  const double V = static_cast<double>(vocab_size_of(c)), B = static_cast<double>(c.train.batch_size);
  const double T = static_cast<double>(c.data.context), N = T + static_cast<double>(c.model.attention.registers);
  MemoryEstimate e;
  e.parts.push_back({"weights (model.d_model, model.d_ff, model.n_layer, vocabulary)", f32 * parameters(c, V)});
  e.parts.push_back({"one batch's forward pass (train.batch_size, data.context, model.n_head)",
                     f32 * layer_activations(c, B * N, B, N)});
  e.parts.push_back({"validation batches (--batches, train.batch_size, data.context)",
                     2 * f32 * static_cast<double>(batches) * B * T});
  return e;
}

MemoryEstimate process_memory(const Config& config, int local, int processes) {
  if (local == 1 && processes == 1) return training_memory(config);
  Config mine = config;
  mine.train.batch_size = (config.train.batch_size + processes - 1) / processes;
  MemoryEstimate estimate = training_memory(mine);
  for (auto& part : estimate.parts) {
    part.bytes *= local;
    part.what += fmt::format(" (x {} processes on this machine)", local);
  }
  return estimate;
}

void check_memory(const MemoryEstimate& estimate, const std::string& what) {
  const auto available = available_memory();
  const double total = estimate.total();
  if (!available || total <= static_cast<double>(*available)) return;
  auto parts = estimate.parts;
  std::sort(parts.begin(), parts.end(), [](const MemoryPart& a, const MemoryPart& b) { return a.bytes > b.bytes; });
  std::string detail;
  for (const auto& p : parts)
    if (p.bytes >= 0.01 * total) detail += fmt::format("\n  {:.3g} GB: {}", p.bytes / 1e9, p.what);
  fail("{} would need about {:.3g} GB of memory, and {:.3g} GB are available; the largest parts:{}\n"
       "Lower the sizes named above.",
       what, total / 1e9, static_cast<double>(*available) / 1e9, detail);
}

}  // namespace sinklab::train
