// Causal attention forward + backward at the shape of the "small" model (B=8, H=6, T=256, d=64),
// and at tiny's heads (H=4, d=32) for one sequence of 128 to 4096 tokens (BM_attention_long; its
// GFLOP/s count 6·T²·H·d per pass, causal products once each way, as bench/run.py's model FLOPs).
#include <benchmark/benchmark.h>

#include "engine/autograd.h"
#include "engine/rng.h"
#include "ops/attention.h"

namespace sinklab {
namespace {

void forward_backward(benchmark::State& state, const Shape& shape) {
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

void BM_attention_forward_backward(benchmark::State& state) { forward_backward(state, {8, 6, 256, 64}); }

void BM_attention_long(benchmark::State& state) {
  const std::int64_t T = state.range(0), H = 4, D = 32;
  forward_backward(state, {1, H, T, D});
  state.counters["GFLOP/s"] = benchmark::Counter(6.0 * double(T) * double(T) * H * D * double(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
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

BENCHMARK(BM_attention_long)->Arg(128)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_attention_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_attention_forward)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace sinklab
