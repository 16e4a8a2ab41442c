// The fused LM head + loss (ops::linear_cross_entropy) at bench/tiny.yaml's shape: 2048 tokens,
// d=128, V=4096, forward with gradients and backward. Its three products are 6·M·C·V FLOPs.
#include <benchmark/benchmark.h>

#include "engine/autograd.h"
#include "engine/rng.h"
#include "ops/linear_cross_entropy.h"

namespace sinklab {
namespace {

void BM_linear_cross_entropy(benchmark::State& state) {
  const std::int64_t m = state.range(0), c = state.range(1), v = state.range(2);
  Rng rng(3);
  Tensor x = randn({m, c}, rng), w = randn({v, c}, rng, 0.02);
  std::vector<std::int32_t> ids(static_cast<std::size_t>(m));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int32_t>((i * 2654435761u) % static_cast<std::size_t>(v));
  const Tensor targets = Tensor::from_vector(ids, {m});
  x.set_requires_grad();
  w.set_requires_grad();
  for (auto _ : state) {
    Tensor loss = ops::linear_cross_entropy(x, w, targets);
    backward(loss);
    benchmark::DoNotOptimize(w.grad().raw_data());
    x.zero_grad();
    w.zero_grad();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(6.0 * m * c * v * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_linear_cross_entropy)->ArgNames({"m", "c", "v"})->Args({2048, 128, 4096})->Args({2048, 384, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace sinklab
