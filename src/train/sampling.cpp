#include "train/sampling.h"

#include <algorithm>
#include <cmath>

#include "engine/autograd.h"
#include "engine/rng.h"

namespace sinklab::train {

std::string sample(const LoadedRun& run, const SampleOptions& o) {
  if (o.temperature < 0) fail("sample: temperature must not be negative, got {}", o.temperature);
  const auto& tok = *run.tokenizer;
  std::vector<std::int32_t> ids{tok.bos()};
  const auto prompt = tok.encode(o.prompt);
  ids.insert(ids.end(), prompt.begin(), prompt.end());
  Rng rng(o.seed);
  NoGradGuard no_grad;
  const auto V = tok.vocab_size();
  const std::int64_t context = run.config.data.context;
  for (std::int64_t n = 0; n < o.tokens; ++n) {
    const std::size_t start = ids.size() > static_cast<std::size_t>(context) ? ids.size() - context : 0;
    const std::vector<std::int32_t> window(ids.begin() + static_cast<std::ptrdiff_t>(start), ids.end());
    const auto T = static_cast<std::int64_t>(window.size());
    const Tensor logits = run.model->forward(Tensor::from_vector(window, {1, T}));
    const float* last = logits.data<float>() + (T - 1) * V;
    std::int32_t next = 0;
    if (o.temperature == 0) {
      next = static_cast<std::int32_t>(std::max_element(last, last + V) - last);
    } else {
      const float m = *std::max_element(last, last + V);
      std::vector<double> p(static_cast<std::size_t>(V));
      double z = 0;
      for (std::int64_t v = 0; v < V; ++v) z += (p[v] = std::exp((last[v] - m) / o.temperature));
      double u = rng.uniform() * z;
      for (next = 0; next < V - 1 && (u -= p[next]) > 0; ++next) {
      }
    }
    if (next == tok.eos()) break;
    ids.push_back(next);
  }
  // Decoding prompt and continuation together keeps the spacing between them right.
  return tok.decode(std::vector<std::int32_t>(ids.begin() + 1, ids.end()));
}

}  // namespace sinklab::train
