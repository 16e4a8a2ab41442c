#include "engine/parallel.h"

#include <gtest/gtest.h>

#include <array>

#include "engine/rng.h"
#include "ops/ops.h"

namespace sinklab {
namespace {

// One training-like step (forward and backward through norm, matmul, attention, loss).
std::vector<float> step_gradient(int threads) {
  set_num_threads(threads);
  Rng rng(9);
  Tensor x = randn({8, 64, 96}, rng), w = randn({96, 96}, rng, 0.1), g = randn({96}, rng);
  w.set_requires_grad();
  g.set_requires_grad();
  Tensor h = ops::matmul(ops::layernorm(x, g, Tensor()), w);
  Tensor q = ops::reshape(h, {8, 2, 64, 48});
  Tensor y = ops::causal_attention(q, q, q).out;
  backward(ops::mean(ops::mul(y, y)));
  auto out = w.grad().to_vector<float>();
  const auto gg = g.grad().to_vector<float>();
  out.insert(out.end(), gg.begin(), gg.end());
  return out;
}

TEST(Parallel, ThreadCountIsSettableAndRunsAreReproducible) {
  const int original = num_threads();
  EXPECT_THROW(set_num_threads(0), Error);
  const auto two_a = step_gradient(2), two_b = step_gradient(2), one = step_gradient(1);
  EXPECT_EQ(num_threads(), 1);
  set_num_threads(original);
  EXPECT_EQ(two_a, two_b);  // bit-identical at a fixed thread count
  ASSERT_EQ(one.size(), two_a.size());
  for (std::size_t i = 0; i < one.size(); ++i) ASSERT_NEAR(one[i], two_a[i], 1e-4 * (1 + std::abs(one[i])));
}

// A contiguous tensor is one long row and a column slice a few long ones: both are cut into pieces
// for the threads. Every element must still be computed once, from the right operands.
TEST(Parallel, ElementwiseLoopsSplitLongRowsAcrossThreads) {
  const int original = num_threads();
  set_num_threads(2);
  Rng rng(3);
  const Tensor a = randn({100003}, rng), b = randn({100003}, rng);
  const Tensor wide = randn({3, 60000}, rng), part = ops::slice(wide, 1, 7, 50008);
  const Tensor sum = ops::add(a, b), copy = ops::contiguous(part), acc = a.clone();
  add_into(acc, b);
  set_num_threads(original);
  const auto va = a.to_vector<float>(), vb = b.to_vector<float>(), vs = sum.to_vector<float>(), vacc = acc.to_vector<float>();
  for (std::size_t i = 0; i < va.size(); ++i) {
    ASSERT_EQ(vs[i], va[i] + vb[i]) << "add at " << i;
    ASSERT_EQ(vacc[i], va[i] + vb[i]) << "add_into at " << i;
  }
  const auto vw = wide.to_vector<float>(), vc = copy.to_vector<float>();
  ASSERT_EQ(copy.shape(), (Shape{3, 50001}));
  for (std::int64_t r = 0; r < 3; ++r)
    for (std::int64_t c = 0; c < 50001; ++c) ASSERT_EQ(vc[r * 50001 + c], vw[r * 60000 + c + 7]) << r << "," << c;
}

TEST(Parallel, PiecesCoverEveryArrayInOrderAndEachPieceRunsOnce) {
  const auto pieces = pieces_of({5, 0, 3}, 2);
  ASSERT_EQ(pieces.size(), 5u);
  const std::vector<std::array<std::int64_t, 3>> want{{0, 0, 2}, {0, 2, 2}, {0, 4, 1}, {2, 0, 2}, {2, 2, 1}};
  for (std::size_t i = 0; i < pieces.size(); ++i)
    EXPECT_EQ((std::array<std::int64_t, 3>{static_cast<std::int64_t>(pieces[i].array), pieces[i].start, pieces[i].length}), want[i]);
  EXPECT_THROW(pieces_of({4}, 0), Error);

  const int original = num_threads();
  set_num_threads(2);
  std::vector<std::vector<int>> hits{std::vector<int>(70000), std::vector<int>(3), std::vector<int>(40000)};
  for_each_piece(pieces_of({70000, 3, 40000}, 4096), [&](std::size_t, const Piece& p) {
    for (std::int64_t i = p.start; i < p.start + p.length; ++i) ++hits[p.array][static_cast<std::size_t>(i)];
  });
  set_num_threads(original);
  for (const auto& h : hits)
    for (int n : h) ASSERT_EQ(n, 1);
}


// parallel_for visits every index once, hands out thread numbers below the thread count, and
// carries a body's exception out of the parallel region.
TEST(Parallel, ParallelForCoversEveryIndexAndRethrows) {
  std::vector<int> visits(37, 0), threads(37, -1);
  parallel_for(37, 3, [&](std::int64_t i, int thread) {
    ++visits[static_cast<std::size_t>(i)];
    threads[static_cast<std::size_t>(i)] = thread;
  });
  for (std::size_t i = 0; i < visits.size(); ++i) {
    EXPECT_EQ(visits[i], 1) << i;
    EXPECT_GE(threads[i], 0);
    EXPECT_LT(threads[i], 3);
  }
  EXPECT_THROW(parallel_for(10, 2, [](std::int64_t i, int) {
                 if (i == 7) fail("index {}", i);
               }),
               Error);
  parallel_for(0, 2, [](std::int64_t, int) { FAIL() << "no index to visit"; });
}
}  // namespace
}  // namespace sinklab
