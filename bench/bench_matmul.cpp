// Matmul through the engine against raw dnnl_sgemm at the shape of a d=384 transformer's MLP
// (M=2048 tokens, K=384, N=1536, the benchmark's GEMM ceiling), plain (NN) and with a transposed
// right operand (NT, as in linear layers that store weights as (out, in)); and the linear layers
// of bench/tiny.yaml, to see how far small GEMMs fall below it.
#include <benchmark/benchmark.h>

#include <oneapi/dnnl/dnnl.h>

#include "engine/autograd.h"
#include "engine/rng.h"
#include "ops/linear.h"
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

// ops::linear forward, x (M, K) times weight (N, K)^T.
void BM_linear(benchmark::State& state) {
  const std::int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  Rng rng(1);
  Tensor x = randn({m, k}, rng), w = randn({n, k}, rng);
  NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor y = ops::linear(x, w);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * m * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// The two products of ops::linear's backward, through ops::matmul: the input gradient g (M, N)
// times weight (N, K), and the weight gradient g^T (N, M) times x (M, K), reduced over M tokens.
void BM_linear_backward(benchmark::State& state) {
  const std::int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  Rng rng(1);
  Tensor x = randn({m, k}, rng), w = randn({n, k}, rng), g = randn({m, n}, rng);
  NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor gx = ops::matmul(g, w);
    Tensor gw = ops::matmul(ops::transpose(g, 0, 1), x);
    benchmark::DoNotOptimize(gx.raw_data());
    benchmark::DoNotOptimize(gw.raw_data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * m * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// tiny: attention projections (q, k, v separate and fused, output), MLP in and out, the tied LM head
// (M = 16 x 128 tokens).
BENCHMARK(BM_linear)->ArgNames({"m", "k", "n"})->Args({2048, 128, 128})->Args({2048, 128, 384})->Args({2048, 128, 512})->Args({2048, 512, 128})
    ->Args({2048, 128, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_linear_backward)->ArgNames({"m", "k", "n"})->Args({2048, 128, 128})->Args({2048, 128, 384})->Args({2048, 128, 512})
    ->Args({2048, 512, 128})->Args({2048, 128, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_dnnl_sgemm)->ArgName("nt")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_engine_matmul)->ArgName("nt")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace sinklab
