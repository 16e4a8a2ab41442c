#include "ops/elementwise.h"

#include <gtest/gtest.h>

#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

struct BinaryCase {
  const char* op;
  Tensor (*fn)(const Tensor&, const Tensor&);
};

void PrintTo(const BinaryCase& c, std::ostream* os) { *os << c.op; }

class Binary : public ::testing::TestWithParam<BinaryCase> {};

TEST_P(Binary, GradientWithBroadcastAndStrides) {
  Rng rng(21);
  for (int trial = 0; trial < 3; ++trial) {
    const auto a = random_size(rng, 1, 4), b = random_size(rng, 2, 5), c = random_size(rng, 1, 3);
    Tensor x = random_input({a, b, c}, rng, trial == 1);
    Tensor y = random_input({b, 1}, rng, trial == 2);  // broadcasts over a and c
    if (std::string(GetParam().op) == "div") y = Tensor::full({b, 1}, 1.5 + trial, DType::f64);
    const auto fn = GetParam().fn;
    expect_gradcheck(GetParam().op, [fn](const Inputs& in) { return fn(in[0], in[1]); }, {x, y});
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, Binary,
                         ::testing::Values(BinaryCase{"add", ops::add}, BinaryCase{"sub", ops::sub},
                                           BinaryCase{"mul", ops::mul}, BinaryCase{"div", ops::div}),
                         [](const auto& info) { return std::string(info.param.op); });

TEST(Elementwise, ForwardValuesAndScalars) {
  Tensor a = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2}), b = Tensor::from_vector<float>({10, 20}, {2});
  EXPECT_EQ((a + b).to_vector<float>(), (std::vector<float>{11, 22, 13, 24}));
  EXPECT_EQ((a - b).to_vector<float>(), (std::vector<float>{-9, -18, -7, -16}));
  EXPECT_EQ((a * b).to_vector<float>(), (std::vector<float>{10, 40, 30, 80}));
  EXPECT_EQ((b / a).to_vector<float>(), (std::vector<float>{10, 10, 10.0f / 3, 5}));
  EXPECT_EQ((a * 2.0 + 1.0).to_vector<float>(), (std::vector<float>{3, 5, 7, 9}));
  EXPECT_THROW(a + Tensor::zeros({3}), Error);
  EXPECT_THROW(a + Tensor::zeros({2}, DType::f64), Error);
}

}  // namespace
}  // namespace sinklab::testing
