#include "ops/attention.h"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <cmath>
#include <limits>

#include "engine/parallel.h"
#include "ops/ops.h"
#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(Attention, Gradient) {
  Rng rng(111);
  for (bool strided : {false, true}) {
    const Shape shape{random_size(rng, 1, 2), random_size(rng, 1, 3), random_size(rng, 2, 7), random_size(rng, 2, 5)};
    Tensor q = random_input(shape, rng, strided), k = random_input(shape, rng), v = random_input(shape, rng, strided);
    expect_gradcheck("causal_attention", [](const Inputs& in) { return ops::causal_attention(in[0], in[1], in[2]).out; },
                     {q, k, v});
  }
}

TEST(Attention, SinkLogitGradient) {
  Rng rng(114);
  const Shape shape{2, 3, 5, 4};
  Tensor q = random_input(shape, rng), k = random_input(shape, rng, true), v = random_input(shape, rng);
  Tensor sink = random_input({3}, rng);
  expect_gradcheck("causal_attention",
                   [](const Inputs& in) { return ops::causal_attention(in[0], in[1], in[2], {}, in[3]).out; }, {q, k, v, sink});
}

TEST(Attention, SigmoidGradientWithAndWithoutNormalisation) {
  Rng rng(115);
  const Shape shape{1, 2, 6, 3};
  Tensor q = random_input(shape, rng), k = random_input(shape, rng), v = random_input(shape, rng, true);
  for (bool normalize : {false, true}) {
    const ops::AttentionOptions o{.kind = ops::AttentionKind::sigmoid, .normalize = normalize, .sigmoid_bias = -0.7};
    expect_gradcheck("causal_attention", [o](const Inputs& in) { return ops::causal_attention(in[0], in[1], in[2], o).out; },
                     {q, k, v});
  }
}

// One key tile and 44 rows: nine query blocks, and two key tiles for the last queries (the running
// maximum and sum carried from one tile to the next; under no_self the tile's first query sees
// nothing of its second tile). One head of width 1 keeps the numerical gradients affordable under
// the sanitizers; plain causal softmax over two tiles is MatchesComposedOps's.
TEST(Attention, GradientAcrossQueryBlocksAndKeyTiles) {
  Rng rng(117);
  const Shape shape{1, 1, ops::attention_key_tile + 44, 1};
  Tensor q = random_input(shape, rng, true), k = random_input(shape, rng), v = random_input(shape, rng);
  Tensor sink = random_input({1}, rng);
  const ops::AttentionOptions masked{.mask = ops::KeyMask::no_self};
  expect_gradcheck("causal_attention",
                   [masked](const Inputs& in) { return ops::causal_attention(in[0], in[1], in[2], masked, in[3]).out; },
                   {q, k, v, sink});
  const ops::AttentionOptions o{.kind = ops::AttentionKind::sigmoid, .normalize = true, .sigmoid_bias = -0.7};
  expect_gradcheck("causal_attention", [o](const Inputs& in) { return ops::causal_attention(in[0], in[1], in[2], o).out; },
                   {q, k, v});
}

// q, k, v packed as (B, T, 3, H, D), one projection's output: the same outputs as the three
// separate tensors, and one gradient holding theirs.
TEST(Attention, PackedMatchesSeparate) {
  Rng rng(118);
  const std::int64_t B = 2, T = 70, H = 3, D = 4;
  Tensor qkv = randn({B, T, 3, H, D}, rng, 1.0, DType::f64).set_requires_grad();
  Tensor sink = randn({H}, rng, 1.0, DType::f64).set_requires_grad();
  const Tensor weights = randn({B, H, T, D}, rng, 1.0, DType::f64);
  const Tensor packed = ops::causal_attention_packed(qkv, {}, sink).out;
  backward(ops::sum(packed * weights));
  const Tensor packed_grad = qkv.grad(), packed_sink_grad = sink.grad();
  sink.zero_grad();
  Inputs parts;
  for (std::int64_t n = 0; n < 3; ++n)
    parts.push_back(ops::contiguous(ops::permute(ops::reshape(ops::slice(qkv.detach(), 2, n, n + 1), {B, T, H, D}), {0, 2, 1, 3}))
                        .set_requires_grad());
  const Tensor separate = ops::causal_attention(parts[0], parts[1], parts[2], {}, sink).out;
  backward(ops::sum(separate * weights));
  const auto got = packed.to_vector<double>(), want = separate.to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-12);
  for (std::int64_t n = 0; n < 3; ++n) {
    const Tensor part_grad = ops::permute(ops::reshape(ops::slice(packed_grad, 2, n, n + 1), {B, T, H, D}), {0, 2, 1, 3});
    const auto g = part_grad.to_vector<double>(), w = parts[static_cast<std::size_t>(n)].grad().to_vector<double>();
    for (std::size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], 1e-12) << "part " << n << " element " << i;
  }
  const auto gs = packed_sink_grad.to_vector<double>(), ws = sink.grad().to_vector<double>();
  for (std::size_t i = 0; i < gs.size(); ++i) ASSERT_NEAR(gs[i], ws[i], 1e-12);

  Tensor small = random_input({2, 5, 3, 2, 3}, rng, true);  // not contiguous: read through a copy
  Tensor small_sink = random_input({2}, rng);
  expect_gradcheck("causal_attention_packed",
                   [](const Inputs& in) { return ops::causal_attention_packed(in[0], {}, in[1]).out; }, {small, small_sink});
  const ops::AttentionOptions sigmoid{.kind = ops::AttentionKind::sigmoid, .normalize = true, .sigmoid_bias = -0.5};
  expect_gradcheck("causal_attention_packed",
                   [sigmoid](const Inputs& in) { return ops::causal_attention_packed(in[0], sigmoid).out; }, {small});
  try {
    ops::causal_attention_packed(Tensor::zeros({2, 5, 2, 3, 4}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("qkv must be (..., T, 3, H, d_head); got (2, 5, 2, 3, 4)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::causal_attention_packed(Tensor::zeros({2, 5, 3, 2, 0})), Error);
  EXPECT_THROW(ops::causal_attention_packed(Tensor::zeros({2, 5, 3, 2, 4}), {}, Tensor::zeros({3})), Error);
}

// What training runs: fp32, packed rows 3·H·D apart, several query blocks, against fp64.
TEST(Attention, PackedFp32MatchesFp64) {
  Rng rng(119);
  Tensor qkv64 = randn({2, 150, 3, 3, 8}, rng, 1.0, DType::f64).set_requires_grad();
  Tensor qkv32 = qkv64.to(DType::f32).set_requires_grad();
  const Tensor weights = randn({2, 3, 150, 8}, rng, 1.0, DType::f64);
  const Tensor want = ops::causal_attention_packed(qkv64).out;
  backward(ops::sum(want * weights));
  const Tensor got = ops::causal_attention_packed(qkv32).out;
  backward(ops::sum(got * weights.to(DType::f32)));
  const auto g = got.to_vector<float>();
  const auto w = want.to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], 1e-5) << "output " << i;
  const auto gg = qkv32.grad().to_vector<float>();
  const auto gw = qkv64.grad().to_vector<double>();
  for (std::size_t i = 0; i < gg.size(); ++i) ASSERT_NEAR(gg[i], gw[i], 2e-4 * (1 + std::abs(gw[i]))) << "gradient " << i;
}

// Pairs are split over threads, each with its own scratch: the bits do not depend on how many.
TEST(Attention, SameBitsAtAnyThreadCount) {
  Rng rng(120);
  const Tensor q = randn({3, 5, 70, 8}, rng), k = randn({3, 5, 70, 8}, rng), v = randn({3, 5, 70, 8}, rng);
  const Tensor sink = randn({5}, rng), weights = randn({3, 5, 70, 8}, rng);
  const int before = num_threads();
  std::vector<std::vector<float>> results;
  for (int threads : {1, 3}) {
    set_num_threads(threads);
    std::vector<Tensor> in{q.clone().set_requires_grad(), k.clone().set_requires_grad(), v.clone().set_requires_grad(),
                           sink.clone().set_requires_grad()};
    const Tensor out = ops::causal_attention(in[0], in[1], in[2], {}, in[3]).out;
    backward(ops::sum(out * weights));
    std::vector<float> all = out.to_vector<float>();
    for (const Tensor& t : in) {
      const auto g = t.grad().to_vector<float>();
      all.insert(all.end(), g.begin(), g.end());
    }
    results.push_back(all);
  }
  set_num_threads(before);
  ASSERT_EQ(results[0].size(), results[1].size());
  for (std::size_t i = 0; i < results[0].size(); ++i) ASSERT_EQ(results[0][i], results[1][i]) << "value " << i;
}

// Per-head views of (B, T, H, D) projections are read in place, the output is such a view too, and
// gradients flow back through the permutes without copies: the same numbers as contiguous inputs.
TEST(Attention, ReadsAndWritesPerHeadViewsOfTokenMajorBuffers) {
  Rng rng(116);
  const Shape shape{2, 5, 3, 4};  // (B, T, H, D)
  const auto as_heads = [](const Tensor& t) { return ops::permute(t, {0, 2, 1, 3}); };
  Tensor q = random_input(shape, rng), k = random_input(shape, rng), v = random_input(shape, rng);
  expect_gradcheck("causal_attention",
                   [&](const Inputs& in) { return ops::causal_attention(as_heads(in[0]), as_heads(in[1]), as_heads(in[2])).out; },
                   {q, k, v});
  Tensor sink = random_input({3}, rng);
  expect_gradcheck("causal_attention", [&](const Inputs& in) {
    return ops::causal_attention(as_heads(in[0]), as_heads(in[1]), as_heads(in[2]), {}, in[3]).out;
  }, {q, k, v, sink});
  Tensor out = ops::causal_attention(as_heads(q), as_heads(k), as_heads(v)).out;
  EXPECT_TRUE(as_heads(out).is_contiguous());  // (B, T, H, D) memory

  // f32 reads and writes the strided rows through dnnl_sgemm: compare with contiguous copies, values
  // and gradients.
  const auto run = [&](bool views) {
    Rng r(117);
    std::vector<Tensor> xs;
    for (int i = 0; i < 3; ++i) xs.push_back(randn({2, 9, 3, 8}, r).set_requires_grad());
    const auto prep = [&](const Tensor& x) { return views ? as_heads(x) : ops::contiguous(as_heads(x)); };
    const Tensor y = ops::causal_attention(prep(xs[0]), prep(xs[1]), prep(xs[2])).out;
    // Through permute, as in the model: the gradient reaches attention as a strided view.
    const Tensor merged = ops::permute(y, {0, 2, 1, 3}), weights = randn(merged.shape(), r);
    backward(ops::sum(merged * merged * weights));
    std::vector<std::vector<float>> got{y.to_vector<float>()};
    for (const auto& x : xs) got.push_back(x.grad().to_vector<float>());
    return got;
  };
  const auto viewed = run(true), copied = run(false);
  for (std::size_t t = 0; t < viewed.size(); ++t)
    for (std::size_t i = 0; i < viewed[t].size(); ++i) ASSERT_NEAR(viewed[t][i], copied[t][i], 1e-5) << t << " " << i;
}

// A sink logit adds exp(b) to every row's denominator; sigmoid weights are sigmoid(z + b).
TEST(Attention, VariantsMatchTheirDefinitions) {
  Rng rng(116);
  const std::int64_t H = 2, T = 4, D = 3;
  Tensor q = randn({1, H, T, D}, rng, 1.0, DType::f64), k = randn({1, H, T, D}, rng, 1.0, DType::f64),
         v = randn({1, H, T, D}, rng, 1.0, DType::f64);
  Tensor sink = Tensor::from_vector<double>({0.3, -1.2}, {H});
  const auto with_sink = ops::causal_attention(q, k, v, {.return_maps = true}, sink).maps.all();
  const auto sig = ops::causal_attention(q, k, v, {.kind = ops::AttentionKind::sigmoid, .sigmoid_bias = 0.5, .return_maps = true}).maps.all();
  const auto sig_norm = ops::causal_attention(q, k, v, {.kind = ops::AttentionKind::sigmoid, .normalize = true, .return_maps = true}).maps.all();
  const double scale = 1 / std::sqrt(double(D));
  for (std::int64_t h = 0; h < H; ++h)
    for (std::int64_t i = 0; i < T; ++i) {
      std::vector<double> z(T);
      double denom = std::exp(sink.at({h})), sig_sum = 0;
      for (std::int64_t j = 0; j <= i; ++j) {
        for (std::int64_t c = 0; c < D; ++c) z[j] += q.at({0, h, i, c}) * k.at({0, h, j, c}) * scale;
        denom += std::exp(z[j]);
        sig_sum += 1 / (1 + std::exp(-z[j]));
      }
      for (std::int64_t j = 0; j < T; ++j) {
        const bool seen = j <= i;
        EXPECT_NEAR(with_sink.at({0, h, i, j}), seen ? std::exp(z[j]) / denom : 0.0, 1e-12);
        EXPECT_NEAR(sig.at({0, h, i, j}), seen ? 1 / (1 + std::exp(-(z[j] + 0.5))) : 0.0, 1e-12);
        EXPECT_NEAR(sig_norm.at({0, h, i, j}), seen ? 1 / (1 + std::exp(-z[j])) / sig_sum : 0.0, 1e-12);
      }
    }
  EXPECT_THROW(ops::causal_attention(q, k, v, {.kind = ops::AttentionKind::sigmoid}, sink), Error);
  EXPECT_THROW(ops::causal_attention(q, k, v, {}, Tensor::zeros({3}, DType::f64)), Error);
}

// Key masks: no_first hides key 0 and no_self the query's own key from the second query on.
// Gradients through every normalisation, across query blocks (130 rows), packed and separate.
TEST(Attention, KeyMaskGradients) {
  Rng rng(118);
  for (const ops::KeyMask mask : {ops::KeyMask::no_first, ops::KeyMask::no_self}) {
    const Shape shape{1, 2, 130, 2};
    Tensor q = random_input(shape, rng, true), k = random_input(shape, rng), v = random_input(shape, rng);
    Tensor sink = random_input({2}, rng);
    const ops::AttentionOptions soft{.mask = mask};
    expect_gradcheck("causal_attention",
                     [soft](const Inputs& in) { return ops::causal_attention(in[0], in[1], in[2], soft, in[3]).out; }, {q, k, v, sink});
    for (bool normalize : {false, true}) {
      const ops::AttentionOptions sig{.kind = ops::AttentionKind::sigmoid, .normalize = normalize, .sigmoid_bias = -0.7, .mask = mask};
      expect_gradcheck("causal_attention", [sig](const Inputs& in) { return ops::causal_attention(in[0], in[1], in[2], sig).out; },
                       {q, k, v});
    }
    Tensor qkv = random_input({2, 5, 3, 2, 3}, rng);
    expect_gradcheck("causal_attention_packed", [soft](const Inputs& in) { return ops::causal_attention_packed(in[0], soft).out; },
                     {qkv});
  }
}

// Every normalisation under every mask, against its formula written out (ops/attention.h).
TEST(Attention, KeyMasksMatchTheirDefinitions) {
  Rng rng(119);
  const std::int64_t H = 2, T = 5, D = 3;
  Tensor q = randn({1, H, T, D}, rng, 1.0, DType::f64), k = randn({1, H, T, D}, rng, 1.0, DType::f64),
         v = randn({1, H, T, D}, rng, 1.0, DType::f64);
  const std::vector<double> b{0.4, -1.3};  // sink logits per head
  Tensor sink = Tensor::from_vector(b, {H});
  const double scale = 1 / std::sqrt(double(D)), bias = -0.7;
  enum class Form { softmax, sink, sigmoid, sigmoid_normalized };
  for (const ops::KeyMask mask : {ops::KeyMask::causal, ops::KeyMask::no_first, ops::KeyMask::no_self})
    for (const Form form : {Form::softmax, Form::sink, Form::sigmoid, Form::sigmoid_normalized}) {
      const bool sig = form == Form::sigmoid || form == Form::sigmoid_normalized;
      const ops::AttentionOptions o{.kind = sig ? ops::AttentionKind::sigmoid : ops::AttentionKind::softmax,
                                    .normalize = form == Form::sigmoid_normalized,
                                    .sigmoid_bias = bias,
                                    .mask = mask,
                                    .return_maps = true};
      const auto p = ops::causal_attention(q, k, v, o, form == Form::sink ? sink : Tensor()).maps.all();
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t i = 0; i < T; ++i) {
          const auto seen = [&](std::int64_t j) {
            if (j > i) return false;
            if (i == 0) return true;  // the first query keeps its one key
            return !(mask == ops::KeyMask::no_first && j == 0) && !(mask == ops::KeyMask::no_self && j == i);
          };
          std::vector<double> a(T);
          double sum = form == Form::sink ? std::exp(b[h]) : 0.0;
          for (std::int64_t j = 0; j < T; ++j)
            if (seen(j)) {
              double z = 0;
              for (std::int64_t c = 0; c < D; ++c) z += q.at({0, h, i, c}) * k.at({0, h, j, c}) * scale;
              a[j] = sig ? 1 / (1 + std::exp(-(z + bias))) : std::exp(z);
              sum += a[j];
            }
          if (form != Form::sigmoid)
            for (double& x : a) x /= sum;
          for (std::int64_t j = 0; j < T; ++j)
            EXPECT_NEAR(p.at({0, h, i, j}), a[j], 1e-12) << "form " << int(form) << " query " << i << " key " << j;
        }
    }
}

// The fused op equals the composition of its parts: scores, causal mask, softmax, weighted sum, in
// its outputs, probabilities and gradients. Keys of the second key tile are scaled up, so the rows'
// maxima move from tile to tile.
TEST(Attention, MatchesComposedOps) {
  Rng rng(112);
  const std::int64_t B = 2, H = 3, T = ops::attention_key_tile + 44, D = 4;  // nine query blocks, two key tiles
  std::vector<double> key_scale(T, 1.0);
  std::fill(key_scale.begin() + ops::attention_key_tile, key_scale.end(), 4.0);
  Tensor q = randn({B, H, T, D}, rng, 1.0, DType::f64).set_requires_grad(),
         k = (randn({B, H, T, D}, rng, 1.0, DType::f64) * Tensor::from_vector(key_scale, {1, 1, T, 1})).detach().set_requires_grad(),
         v = randn({B, H, T, D}, rng, 1.0, DType::f64).set_requires_grad();
  const Tensor weights = randn({B, H, T, D}, rng, 1.0, DType::f64);
  std::vector<double> mask(T * T);
  for (std::int64_t i = 0; i < T; ++i)
    for (std::int64_t j = 0; j < T; ++j) mask[i * T + j] = j <= i ? 0.0 : -1e30;
  Tensor scores = ops::matmul(q, ops::transpose(k, -1, -2)) * (1.0 / std::sqrt(double(D))) + Tensor::from_vector(mask, {T, T});
  Tensor probs = ops::softmax(scores);
  Tensor expected = ops::matmul(probs, v);
  auto result = ops::causal_attention(q, k, v, {.return_maps = true});
  const auto got = result.out.to_vector<double>(), want = expected.to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-12);
  const Tensor maps = result.maps.all();
  const auto p = maps.to_vector<double>(), pw = probs.to_vector<double>();
  ASSERT_EQ(maps.shape(), (Shape{B, H, T, T}));
  for (std::size_t i = 0; i < p.size(); ++i) ASSERT_NEAR(p[i], pw[i], 1e-12);
  EXPECT_FALSE(maps.requires_grad());
  std::vector<std::vector<double>> grads[2];  // fused, composed
  for (int n = 0; n < 2; ++n) {
    backward(ops::sum((n == 0 ? result.out : expected) * weights));
    for (Tensor* t : {&q, &k, &v}) {
      grads[n].push_back(t->grad().to_vector<double>());
      t->zero_grad();
    }
  }
  for (std::size_t n = 0; n < 3; ++n)
    for (std::size_t i = 0; i < grads[0][n].size(); ++i)
      ASSERT_NEAR(grads[0][n][i], grads[1][n][i], 1e-10) << "input " << n << " element " << i;
}

// Forward and backward at T = 16384 keep no T x T matrix: the probabilities alone would be 1 GiB,
// and the process's peak memory grows by far less (ctest runs each test in its own process).
// A map recomputed into a reused buffer writes every entry: the keys a query does not see are 0,
// over more than one query block, under every key mask.
TEST(Attention, MapsFillEveryEntry) {
  Rng rng(121);
  const std::int64_t T = 130, H = 2, D = 4;
  const Tensor q = randn({1, H, T, D}, rng), k = randn({1, H, T, D}, rng), v = randn({1, H, T, D}, rng);
  for (const auto mask : {ops::KeyMask::causal, ops::KeyMask::no_first, ops::KeyMask::no_self}) {
    const auto maps = ops::causal_attention(q, k, v, {.mask = mask, .return_maps = true}).maps;
    ASSERT_EQ(maps.pairs(), H);
    ASSERT_EQ(maps.positions(), T);
    std::vector<float> a(static_cast<std::size_t>(T * T), std::numeric_limits<float>::quiet_NaN());
    maps.fill<float>(1, a.data());
    for (std::int64_t i = 0; i < T; ++i) {
      double sum = 0;
      for (std::int64_t j = 0; j < T; ++j) {
        const bool hidden = j > i || (i > 0 && ((mask == ops::KeyMask::no_first && j == 0) || (mask == ops::KeyMask::no_self && j == i)));
        const float w = a[static_cast<std::size_t>(i * T + j)];
        if (hidden) ASSERT_EQ(w, 0.0f) << i << " " << j;
        else ASSERT_GT(w, 0.0f) << i << " " << j;
        sum += w;
      }
      ASSERT_NEAR(sum, 1.0, 1e-5) << i;
    }
  }
}

TEST(Attention, KeepsNoTByTMatrix) {
  const auto peak_mib = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024;
  };
  const std::int64_t T = 16384;
  Rng rng(120);
  Tensor q = randn({1, 1, T, 8}, rng).set_requires_grad(), k = randn({1, 1, T, 8}, rng).set_requires_grad(),
         v = randn({1, 1, T, 8}, rng).set_requires_grad();
  const Tensor weights = randn({1, 1, T, 8}, rng);
  const double before = peak_mib();
  backward(ops::sum(ops::causal_attention(q, k, v).out * weights));
  const double grown = peak_mib() - before, t_by_t = double(T) * T * 4 / (1 << 20);
  EXPECT_LT(grown, t_by_t / 8) << "peak memory grew " << grown << " MiB; a T x T matrix is " << t_by_t << " MiB";
  EXPECT_TRUE(std::isfinite(q.grad().to_vector<float>()[0]));
}

// fp32 (oneDNN, in query blocks, split over threads) against fp64 (Eigen): outputs and every
// gradient, on per-head views of token-major buffers, with a sink, over query blocks and key tiles.
TEST(Attention, Fp32MatchesFp64) {
  Rng rng(113);
  for (const std::int64_t T : {std::int64_t{16}, ops::attention_key_tile + 44}) {  // one key tile, two
    const Shape shape{2, T, 3, 8};  // (B, T, H, D)
    std::vector<Tensor> f64{randn(shape, rng, 1.0, DType::f64), randn(shape, rng, 1.0, DType::f64),
                            randn(shape, rng, 1.0, DType::f64), randn({3}, rng, 1.0, DType::f64)};
    const Tensor weights = randn({2, 3, T, 8}, rng, 1.0, DType::f64);
    std::vector<Tensor> f32;
    for (const Tensor& t : f64) f32.push_back(t.to(DType::f32).set_requires_grad());
    for (Tensor& t : f64) t.set_requires_grad();
    const auto run = [&](const std::vector<Tensor>& in, DType dtype) {
      const auto as_heads = [](const Tensor& t) { return ops::permute(t, {0, 2, 1, 3}); };
      const Tensor out = ops::causal_attention(as_heads(in[0]), as_heads(in[1]), as_heads(in[2]), {}, in[3]).out;
      backward(ops::sum(out * weights.to(dtype)));
      return out;
    };
    const auto want = run(f64, DType::f64).to_vector<double>();
    const auto got = run(f32, DType::f32).to_vector<float>();
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5) << "T=" << T << " output " << i;
    for (std::size_t n = 0; n < f64.size(); ++n) {
      const auto gw = f64[n].grad().to_vector<double>();
      const auto gg = f32[n].grad().to_vector<float>();
      ASSERT_EQ(gg.size(), gw.size());
      for (std::size_t i = 0; i < gg.size(); ++i) ASSERT_NEAR(gg[i], gw[i], 2e-4 * (1 + std::abs(gw[i]))) << "T=" << T << " input " << n << " element " << i;
    }
  }
  Tensor q = randn({2, 2, 16, 8}, rng, 1.0, DType::f64);
  EXPECT_THROW(ops::causal_attention(q, q, Tensor::zeros({2, 2, 16, 4}, DType::f64)), Error);
}

}  // namespace
}  // namespace sinklab::testing
