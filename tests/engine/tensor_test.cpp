#include <gtest/gtest.h>

#include <cstdint>

#include "engine/tensor.h"
#include "ops/shape_ops.h"

namespace sinklab {
namespace {

TEST(Tensor, StorageIs64ByteAligned) {
  for (std::int64_t n : {1, 3, 17, 1000}) {
    Tensor t = Tensor::empty({n});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.storage()->data()) % 64, 0u);
  }
}

TEST(Tensor, LargeBlocksAreReusedForTheSameSizeOnly) {
  const Shape logits{16, 128, 4096};  // 32 MiB: glibc would map it afresh every time
  const void* first = nullptr;
  {
    const Tensor a = Tensor::empty(logits);
    first = a.raw_data();
  }
  const Tensor other = Tensor::empty({17, 128, 4096});  // another size gets its own block
  EXPECT_NE(other.raw_data(), first);
  const Tensor again = Tensor::empty(logits);
  EXPECT_EQ(again.raw_data(), first) << "a released 32 MiB block comes back for the same size";
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(again.raw_data()) % 64, 0u);
}

TEST(Tensor, RowMajorStridesAndValues) {
  Tensor t = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.strides(), (Shape{3, 1}));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.at({1, 2}), 6.0);
  EXPECT_EQ(Tensor::full({2}, 2.5).to_vector<float>(), (std::vector<float>{2.5f, 2.5f}));
}

TEST(Tensor, ViewsShareStorageUntilContiguous) {
  Tensor t = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor tt = ops::transpose(t, 0, 1);
  EXPECT_EQ(tt.shape(), (Shape{3, 2}));
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.storage(), t.storage());
  EXPECT_EQ(tt.at({2, 1}), 6.0);
  Tensor c = ops::contiguous(tt);
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_NE(c.storage(), t.storage());
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  Tensor s = ops::slice(t, 1, 1, 3);
  EXPECT_EQ(s.storage(), t.storage());
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{2, 3, 5, 6}));
  Tensor r = ops::reshape(t, {3, -1});
  EXPECT_EQ(r.storage(), t.storage());
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
}

TEST(Tensor, ConversionAndClone) {
  Tensor t = Tensor::from_vector<double>({1.5, -2.25}, {2});
  Tensor f = t.to(DType::f32);
  EXPECT_EQ(f.dtype(), DType::f32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1.5f, -2.25f}));
  Tensor c = t.clone();
  c.data<double>()[0] = 7;
  EXPECT_EQ(t.at({0}), 1.5);
}

TEST(Tensor, ErrorsNameTheOpAndShapes) {
  Tensor t = Tensor::zeros({2, 3});
  try {
    ops::reshape(t, {4, 2});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("reshape"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos);
  }
  EXPECT_THROW(t.data<double>(), Error);
  EXPECT_THROW(broadcast_shapes({2, 3}, {4, 3}, "add"), Error);
  EXPECT_EQ(broadcast_shapes({2, 1, 3}, {4, 1}, "add"), (Shape{2, 4, 3}));
  EXPECT_THROW(Tensor::zeros({2}, DType::i32).set_requires_grad(), Error);
}

TEST(Tensor, SumOfReadsAnyStridesAndWritesANewTensor) {
  const Tensor a = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor bt = ops::transpose(Tensor::from_vector<double>({10, 40, 20, 50, 30, 60}, {3, 2}), 0, 1);
  const Tensor s = sum_of(a, bt);
  EXPECT_TRUE(s.is_contiguous());
  EXPECT_EQ(s.to_vector<double>(), (std::vector<double>{11, 22, 33, 44, 55, 66}));
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_THROW(sum_of(a, Tensor::zeros({3, 2}, DType::f64)), Error);
}

}  // namespace
}  // namespace sinklab
