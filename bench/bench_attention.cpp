// Causal attention forward + backward at the shape of the "small" model: B=8, H=6, T=256, d=64.
#include <benchmark/benchmark.h>

#include "engine/autograd.h"
#include "engine/rng.h"
#include "ops/attention.h"

namespace sinklab {
namespace {

void BM_attention_forward_backward(benchmark::State& state) {
  const Shape shape{8, 6, 256, 64};
  Rng rng(2);
  Tensor q = randn(shape, rng), k = randn(shape, rng), v = randn(shape, rng), g = randn(shape, rng);
  for (auto* t : {&q, &k, &v}) t->set_requires_grad();
  for (auto _ : state) {
    Tensor out = ops::causal_attention(q, k, v).out;
    backward(out, g);
    benchmark::DoNotOptimize(q.grad().raw_data());
    for (auto* t : {&q, &k, &v}) t->zero_grad();
  }
}

void BM_attention_forward(benchmark::State& state) {
  const Shape shape{8, 6, 256, 64};
  Rng rng(2);
  Tensor q = randn(shape, rng), k = randn(shape, rng), v = randn(shape, rng);
  NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor out = ops::causal_attention(q, k, v).out;
    benchmark::DoNotOptimize(out.raw_data());
  }
}

BENCHMARK(BM_attention_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_attention_forward)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace sinklab
