#include "data/synthetic.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <cmath>

#include "data/documents.h"
#include "engine/error.h"

namespace sinklab::data {
namespace {

// Normalises non-negative weights into a cumulative row; an all-zero row becomes uniform. The
// row reaches exactly 1 at its last non-zero weight, so rounding never draws a zero-weight entry.
std::vector<double> cumulative(std::vector<double> w) {
  double total = 0;
  for (double v : w) total += v;
  if (!(total > 0)) std::fill(w.begin(), w.end(), 1.0), total = static_cast<double>(w.size());
  std::size_t last = 0;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (w[i] > 0) last = i;
  double run = 0;
  for (double& v : w) run += v / total, v = run;
  std::fill(w.begin() + static_cast<std::ptrdiff_t>(last), w.end(), 1.0);
  return w;
}

// Fisher-Yates and Marsaglia-Tsang on the project's generator: the tables of a seed are the same
// whatever the standard library (its shuffle and distributions are implementation-defined).
template <class T>
void shuffle(std::vector<T>& v, Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

double gamma_draw(double alpha, Rng& rng) {
  if (alpha < 1) return gamma_draw(alpha + 1, rng) * std::pow(1.0 - rng.uniform(), 1.0 / alpha);
  const double d = alpha - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    const double x = rng.normal(), v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const double v = v0 * v0 * v0, u = 1.0 - rng.uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

std::int32_t draw(const std::vector<double>& cdf, Rng& rng) {
  const auto it = std::upper_bound(cdf.begin(), cdf.end(), rng.uniform());
  return static_cast<std::int32_t>(std::min<std::ptrdiff_t>(it - cdf.begin(), static_cast<std::ptrdiff_t>(cdf.size()) - 1));
}

// Bigram counts of the V most frequent bytes of a text file (pairs with another byte are skipped),
// with a pseudo-count so every transition stays possible; and their unigram counts.
void bigrams_from_text(const std::filesystem::path& file, std::int64_t V, std::vector<std::vector<double>>& rows,
                       std::vector<double>& unigram) {
  const std::string text = read_text_file(file);
  std::array<std::uint64_t, 256> freq{};
  for (unsigned char ch : text) ++freq[ch];
  std::array<int, 256> order{};
  for (int i = 0; i < 256; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return freq[a] > freq[b]; });
  std::int64_t distinct = 0;
  for (auto f : freq) distinct += f > 0;
  if (distinct < V)
    fail("{}: data.bigram_from has {} distinct bytes, fewer than data.symbols = {}", file.string(), distinct, V);
  std::array<int, 256> id{};
  id.fill(-1);
  for (std::int64_t s = 0; s < V; ++s) id[order[s]] = static_cast<int>(s);
  rows.assign(V, std::vector<double>(V, 0.01));
  unigram.assign(V, 0.0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int a = id[static_cast<unsigned char>(text[i])];
    if (a < 0) continue;
    unigram[a] += 1;
    if (i + 1 < text.size()) {
      const int b = id[static_cast<unsigned char>(text[i + 1])];
      if (b >= 0) rows[a][b] += 1;
    }
  }
}

// Rows drawn from Dirichlet(alpha) (gamma draws, normalised), and the chain's stationary law.
void random_bigrams(std::int64_t V, double alpha, Rng& gen, std::vector<std::vector<double>>& rows, std::vector<double>& marginal) {
  rows.assign(V, std::vector<double>(V));
  for (auto& row : rows) {
    double total = 0;
    for (double& v : row) total += (v = gamma_draw(alpha, gen));
    for (double& v : row) v = total > 0 ? v / total : 1.0 / static_cast<double>(V);
  }
  marginal.assign(V, 1.0 / static_cast<double>(V));
  for (int it = 0; it < 200; ++it) {
    std::vector<double> next(V, 0.0);
    for (std::int64_t a = 0; a < V; ++a)
      for (std::int64_t b = 0; b < V; ++b) next[b] += marginal[a] * rows[a][b];
    marginal = std::move(next);
  }
}

}  // namespace

SyntheticTask make_task(const DataConfig& c, std::uint64_t seed) {
  SyntheticTask t;
  t.symbols = c.symbols;
  t.bos_slot = c.bos;
  t.random_first = c.first == "random";
  const std::int64_t V = c.symbols;
  // Tables come from their own generator so that they never shift the data stream.
  Rng gen(seed * 0x2545F4914F6CDD1DULL + 0x7A5C);
  std::vector<std::int32_t> all(V);
  for (std::int64_t s = 0; s < V; ++s) all[s] = static_cast<std::int32_t>(s);
  std::vector<std::int32_t> shuffled = all;
  shuffle(shuffled, gen);
  t.triggers.assign(shuffled.begin(), shuffled.begin() + c.triggers);
  std::sort(t.triggers.begin(), t.triggers.end());
  t.is_trigger.assign(V, 0);
  for (auto s : t.triggers) t.is_trigger[s] = 1;

  if (c.task == "bigram-backcopy") {
    t.kind = TaskKind::bigram_backcopy;
    std::vector<std::vector<double>> rows;
    std::vector<double> marginal;
    if (!c.bigram_from.empty()) {
      if (!std::filesystem::exists(c.bigram_from)) fail("{}: file not found (data.bigram_from)", c.bigram_from);
      bigrams_from_text(c.bigram_from, V, rows, marginal);
    } else {
      random_bigrams(V, c.dirichlet, gen, rows, marginal);
    }
    for (auto& row : rows) t.bigram.push_back(cumulative(row));
    for (auto s : t.triggers) marginal[s] = 0;
    t.start = cumulative(marginal);
  } else if (c.task == "switch") {
    t.kind = TaskKind::synthetic_switch;
    t.function = all;
    shuffle(t.function, gen);
  } else {
    fail("data.task: '{}' is not one of: bigram-backcopy, switch", c.task);
  }
  return t;
}

void generate_sequence(const SyntheticTask& t, Rng& rng, std::int64_t length, std::int32_t* inputs, std::int32_t* targets,
                       std::int32_t* needs) {
  const std::int64_t V = t.symbols;
  auto non_trigger = [&] {
    while (true) {
      const auto s = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(V)));
      if (!t.is_trigger[s]) return s;
    }
  };
  const std::int32_t first = t.random_first ? static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(V))) : t.bos();
  std::int64_t p0 = 0;  // the first task position
  if (t.kind == TaskKind::bigram_backcopy) {
    // length + 1 tokens; position p's target is token p + 1, which needs attention when it was copied.
    std::vector<std::int32_t> tok(static_cast<std::size_t>(length + 1));
    std::vector<std::int32_t> copied(tok.size(), 0);
    if (t.bos_slot) tok[p0++] = first;
    tok[p0] = draw(t.start, rng);
    for (std::int64_t p = p0 + 1; p <= length; ++p) {
      const std::int32_t prev = tok[p - 1];
      if (p - 2 >= p0 && t.is_trigger[prev]) {  // never copies the first token (BOS or random)
        tok[p] = tok[p - 2];
        copied[p] = 1;
      } else {
        tok[p] = draw(t.bigram[prev], rng);
      }
    }
    for (std::int64_t p = 0; p < length; ++p) {
      inputs[p] = tok[p];
      targets[p] = tok[p + 1];
      needs[p] = copied[p + 1];
    }
    return;
  }
  if (t.bos_slot) {
    inputs[0] = first;
    targets[0] = ignore_index;
    needs[0] = 0;
    p0 = 1;
  }
  for (std::int64_t p = p0; p < length; ++p) {
    const std::int32_t x = p == p0 ? non_trigger() : static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(V)));
    inputs[p] = x;
    const bool copy = p > p0 && t.is_trigger[x];
    targets[p] = copy ? inputs[p - 1] : t.function[x];
    needs[p] = copy ? 1 : 0;
  }
}

SyntheticSource::SyntheticSource(std::shared_ptr<const SyntheticTask> task, std::int64_t context, std::int64_t batch_size,
                                 std::uint64_t seed)
    : task_(std::move(task)), context_(context), batch_size_(batch_size), rng_(seed) {}

Batch SyntheticSource::next() {
  const std::int64_t B = batch_size_, T = context_;
  Batch batch{Tensor::empty({B, T}, DType::i32), Tensor::empty({B, T}, DType::i32), Tensor::empty({B, T}, DType::i32)};
  for (std::int64_t b = 0; b < B; ++b)
    generate_sequence(*task_, rng_, T, batch.inputs.data<std::int32_t>() + b * T, batch.targets.data<std::int32_t>() + b * T,
                      batch.needs_attention.data<std::int32_t>() + b * T);
  return batch;
}

LoaderState SyntheticSource::state() const { return {0, 0, rng_.state()}; }

void SyntheticSource::set_state(const LoaderState& s) { rng_.set_state(s.rng); }

}  // namespace sinklab::data
