// Matmul through the engine against raw dnnl_sgemm at the shape of a d=384 transformer's MLP
// (M=2048 tokens, K=384, N=1536), plain (NN) and with a transposed right operand (NT, as in
// linear layers that store weights as (out, in)).
#include <benchmark/benchmark.h>

#include <oneapi/dnnl/dnnl.h>

#include "engine/autograd.h"
#include "engine/rng.h"
#include "ops/matmul.h"
#include "ops/shape_ops.h"

namespace sinklab {
namespace {

constexpr std::int64_t M = 2048, K = 384, N = 1536;

void report_flops(benchmark::State& state) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * M * N * K * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_dnnl_sgemm(benchmark::State& state) {
  const bool nt = state.range(0) == 1;
  Rng rng(1);
  Tensor a = randn({M, K}, rng), b = nt ? randn({N, K}, rng) : randn({K, N}, rng), c = Tensor::empty({M, N});
  for (auto _ : state) {
    dnnl_sgemm('N', nt ? 'T' : 'N', M, N, K, 1.0f, a.data<float>(), K, b.data<float>(), nt ? K : N, 0.0f,
               c.data<float>(), N);
    benchmark::DoNotOptimize(c.data<float>());
  }
  report_flops(state);
}

void BM_engine_matmul(benchmark::State& state) {
  const bool nt = state.range(0) == 1;
  Rng rng(1);
  Tensor a = randn({M, K}, rng);
  Tensor b = nt ? ops::transpose(randn({N, K}, rng), 0, 1) : randn({K, N}, rng);
  NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor c = ops::matmul(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
  report_flops(state);
}

BENCHMARK(BM_dnnl_sgemm)->ArgName("nt")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_engine_matmul)->ArgName("nt")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace sinklab
