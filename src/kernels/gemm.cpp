#include "kernels/gemm.h"

#include <Eigen/Core>
#include <array>
#include <map>
#include <mutex>
#include <unordered_map>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "engine/error.h"

namespace sinklab::kernels {
namespace {

using Key = std::array<std::int64_t, 21>;

struct Onednn {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::mutex mutex;
  std::map<Key, dnnl::matmul> primitives;
};

Onednn& onednn() {
  static Onednn instance;
  return instance;
}

// A batch as oneDNN's two batch axes (outer, inner) with their strides. Every operand is split
// the same way (`inner` matrices per group, 0 for one group); a batch of one is broadcast.
struct Nesting {
  std::int64_t outer, inner, outer_stride, inner_stride;
};

Nesting nesting(std::int64_t batch, std::int64_t own_inner, std::int64_t outer_stride, std::int64_t batch_stride,
                std::int64_t extent, std::int64_t inner) {
  if (batch == 1) return {1, 1, extent, extent};  // a stride past the matrix, which oneDNN accepts
  if (own_inner > 0) return {batch / own_inner, own_inner, outer_stride, batch_stride};
  if (inner > 0) return {batch / inner, inner, inner * batch_stride, batch_stride};
  return {1, batch, batch * batch_stride, batch_stride};
}

dnnl::memory::desc describe(const MatrixView& m, std::int64_t inner) {
  const std::int64_t extent = (m.rows - 1) * m.row_stride + (m.cols - 1) * m.col_stride + 1;
  const Nesting n = nesting(m.batch, m.inner, m.outer_stride, m.batch_stride, extent, inner);
  return dnnl::memory::desc({n.outer, n.inner, m.rows, m.cols}, dnnl::memory::data_type::f32,
                            {n.outer_stride, n.inner_stride, m.row_stride, m.col_stride});
}

dnnl::memory::desc describe(const OutputView& c, std::int64_t batch, std::int64_t rows, std::int64_t cols, std::int64_t inner) {
  const Nesting n = nesting(batch, c.inner, c.outer_stride, c.batch_stride, (rows - 1) * c.row_stride + cols, inner);
  return dnnl::memory::desc({n.outer, n.inner, rows, cols}, dnnl::memory::data_type::f32,
                            {n.outer_stride, n.inner_stride, c.row_stride, 1});
}

void gemm_onednn(const MatrixView& a, const MatrixView& b, const OutputView& c, bool accumulate, const void* bias) {
  auto& dnn = onednn();
  const std::int64_t batch = std::max(a.batch, b.batch);
  const std::int64_t inner = std::max({a.batch == 1 ? 0 : a.inner, b.batch == 1 ? 0 : b.inner, c.inner});
  const Key key{a.batch,      b.batch,      a.rows,         a.cols,         b.cols,         a.batch_stride, a.row_stride,
                a.col_stride, a.inner,      a.outer_stride, b.batch_stride, b.row_stride,   b.col_stride,   b.inner,
                b.outer_stride, c.batch_stride, c.row_stride, c.inner,      c.outer_stride, accumulate,     bias != nullptr};
  const dnnl::memory::desc bias_md({1, 1, 1, b.cols}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::abcd);
  const dnnl::memory::desc c_md = describe(c, batch, a.rows, b.cols, inner);
  dnnl::matmul primitive;
  {
    std::lock_guard lock(dnn.mutex);
    auto it = dnn.primitives.find(key);
    if (it == dnn.primitives.end()) {
      dnnl::primitive_attr attr;
      if (accumulate) {
        dnnl::post_ops ops;
        ops.append_sum(1.0f);
        attr.set_post_ops(ops);
      }
      const dnnl::matmul::desc desc = bias != nullptr ? dnnl::matmul::desc(describe(a, inner), describe(b, inner), bias_md, c_md)
                                                      : dnnl::matmul::desc(describe(a, inner), describe(b, inner), c_md);
      it = dnn.primitives.emplace(key, dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, dnn.engine))).first;
    }
    primitive = it->second;
  }
  dnnl::memory a_mem(describe(a, inner), dnn.engine, const_cast<void*>(a.data));
  dnnl::memory b_mem(describe(b, inner), dnn.engine, const_cast<void*>(b.data));
  dnnl::memory c_mem(c_md, dnn.engine, c.data);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}};
  if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, dnnl::memory(bias_md, dnn.engine, const_cast<void*>(bias)));
  primitive.execute(dnn.stream, args);
  dnn.stream.wait();
}

// Offset of matrix i of a (possibly nested) batch; a batch of one is broadcast.
std::int64_t matrix_offset(std::int64_t i, std::int64_t batch, std::int64_t inner, std::int64_t outer_stride,
                           std::int64_t batch_stride) {
  if (batch == 1) return 0;
  return inner > 0 ? (i / inner) * outer_stride + (i % inner) * batch_stride : i * batch_stride;
}

void gemm_eigen(const MatrixView& a, const MatrixView& b, const OutputView& c, bool accumulate, const double* bias) {
  using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Strided = Eigen::Map<const Matrix, 0, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
  using StridedOut = Eigen::Map<Matrix, 0, Eigen::OuterStride<Eigen::Dynamic>>;
  const std::int64_t batch = std::max(a.batch, b.batch);
  for (std::int64_t i = 0; i < batch; ++i) {
    const auto* pa = static_cast<const double*>(a.data) + matrix_offset(i, a.batch, a.inner, a.outer_stride, a.batch_stride);
    const auto* pb = static_cast<const double*>(b.data) + matrix_offset(i, b.batch, b.inner, b.outer_stride, b.batch_stride);
    auto* pc = static_cast<double*>(c.data) + matrix_offset(i, batch, c.inner, c.outer_stride, c.batch_stride);
    Strided ma(pa, a.rows, a.cols, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(a.row_stride, a.col_stride));
    Strided mb(pb, b.rows, b.cols, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(b.row_stride, b.col_stride));
    StridedOut mc(pc, a.rows, b.cols, Eigen::OuterStride<Eigen::Dynamic>(c.row_stride));
    if (accumulate) mc.noalias() += ma * mb;
    else mc.noalias() = ma * mb;
    if (bias != nullptr) mc.rowwise() += Eigen::Map<const Eigen::RowVectorXd>(bias, b.cols);
  }
}

// oneDNN's BLAS-style entry point is safe to call from several threads at once and, inside a
// parallel region, does not start threads of its own.
void sgemm_on_this_thread(const MatrixView& a, const MatrixView& b, float* c, bool accumulate) {
  // BLAS wants the leading dimension at least the row length even where it is never stepped (one
  // row, or one column).
  const auto layout = [](const MatrixView& m) {
    return m.col_stride == 1 ? std::pair{'N', std::max(m.row_stride, m.cols)} : std::pair{'T', std::max(m.col_stride, m.rows)};
  };
  const auto [ta, lda] = layout(a);
  const auto [tb, ldb] = layout(b);
  const dnnl_status_t status = dnnl_sgemm(ta, tb, a.rows, b.cols, a.cols, 1.0f, static_cast<const float*>(a.data), lda,
                                          static_cast<const float*>(b.data), ldb, accumulate ? 1.0f : 0.0f, c, b.cols);
  if (status != dnnl_success) fail("gemm: dnnl_sgemm failed ({}x{} times {}x{})", a.rows, a.cols, b.rows, b.cols);
}

}  // namespace

void gemm_on_this_thread(DType dtype, const MatrixView& a, const MatrixView& b, void* c, bool accumulate) {
  if (a.cols != b.rows) fail("gemm: inner dimensions differ ({}x{} times {}x{})", a.rows, a.cols, b.rows, b.cols);
  if (a.batch != 1 || b.batch != 1) fail("gemm_on_this_thread: takes single matrices, got batches {} and {}", a.batch, b.batch);
  if (a.rows == 0 || b.cols == 0) return;
  switch (dtype) {
    case DType::f32: sgemm_on_this_thread(a, b, static_cast<float*>(c), accumulate); return;
    case DType::f64: gemm_eigen(a, b, OutputView{c, a.rows * b.cols, b.cols}, accumulate, nullptr); return;
    default: fail("gemm: unsupported dtype {}", dtype_name(dtype));
  }
}

void gemm(DType dtype, const MatrixView& a, const MatrixView& b, const OutputView& c, bool accumulate, const void* bias) {
  if (a.cols != b.rows) fail("gemm: inner dimensions differ ({}x{} times {}x{})", a.rows, a.cols, b.rows, b.cols);
  if (a.batch != b.batch && a.batch != 1 && b.batch != 1)
    fail("gemm: batch sizes {} and {} do not broadcast", a.batch, b.batch);
  const std::int64_t batch = std::max(a.batch, b.batch);
  const std::int64_t a_inner = a.batch == 1 ? 0 : a.inner, b_inner = b.batch == 1 ? 0 : b.inner;  // a broadcast matrix has no nesting
  const std::int64_t inner = std::max({a_inner, b_inner, c.inner});
  for (const std::int64_t own : {a_inner, b_inner, c.inner})
    if (own < 0 || (own > 0 && (own != inner || batch % own != 0)))
      fail("gemm: a batch of {} cannot be nested as groups of {} and {}", batch, own, inner);
  if (a.rows == 0 || b.cols == 0) return;
  switch (dtype) {
    case DType::f32: gemm_onednn(a, b, c, accumulate, bias); return;
    case DType::f64: gemm_eigen(a, b, c, accumulate, static_cast<const double*>(bias)); return;
    default: fail("gemm: unsupported dtype {}", dtype_name(dtype));
  }
}

void gemm(DType dtype, const MatrixView& a, const MatrixView& b, void* c, bool accumulate, const void* bias) {
  gemm(dtype, a, b, OutputView{c, a.rows * b.cols, b.cols}, accumulate, bias);
}

}  // namespace sinklab::kernels
