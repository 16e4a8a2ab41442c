#include "kernels/gemm.h"

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <unordered_map>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "engine/error.h"

namespace sinklab::kernels {
namespace {

using Key = std::array<std::int64_t, 13>;

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

dnnl::memory::desc describe(const MatrixView& m) {
  // A broadcast batch of one is described with a stride past the matrix, which oneDNN accepts.
  const std::int64_t extent = (m.rows - 1) * m.row_stride + (m.cols - 1) * m.col_stride + 1;
  const std::int64_t bstride = m.batch == 1 ? extent : m.batch_stride;
  return dnnl::memory::desc({m.batch, m.rows, m.cols}, dnnl::memory::data_type::f32, {bstride, m.row_stride, m.col_stride});
}

void gemm_onednn(const MatrixView& a, const MatrixView& b, void* c, bool accumulate, const void* bias) {
  auto& dnn = onednn();
  const std::int64_t batch = std::max(a.batch, b.batch);
  const Key key{a.batch, b.batch, a.rows, a.cols, b.cols, a.batch_stride, a.row_stride, a.col_stride,
                b.batch_stride, b.row_stride, b.col_stride, accumulate, bias != nullptr};
  const dnnl::memory::desc bias_md({1, 1, b.cols}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::abc);
  dnnl::matmul primitive;
  {
    std::lock_guard lock(dnn.mutex);
    auto it = dnn.primitives.find(key);
    if (it == dnn.primitives.end()) {
      const dnnl::memory::desc c_md({batch, a.rows, b.cols}, dnnl::memory::data_type::f32,
                                    dnnl::memory::format_tag::abc);
      dnnl::primitive_attr attr;
      if (accumulate) {
        dnnl::post_ops ops;
        ops.append_sum(1.0f);
        attr.set_post_ops(ops);
      }
      const dnnl::matmul::desc desc = bias != nullptr ? dnnl::matmul::desc(describe(a), describe(b), bias_md, c_md)
                                                      : dnnl::matmul::desc(describe(a), describe(b), c_md);
      it = dnn.primitives.emplace(key, dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, dnn.engine))).first;
    }
    primitive = it->second;
  }
  const dnnl::memory::desc c_md({batch, a.rows, b.cols}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::abc);
  dnnl::memory a_mem(describe(a), dnn.engine, const_cast<void*>(a.data));
  dnnl::memory b_mem(describe(b), dnn.engine, const_cast<void*>(b.data));
  dnnl::memory c_mem(c_md, dnn.engine, c);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}};
  if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, dnnl::memory(bias_md, dnn.engine, const_cast<void*>(bias)));
  primitive.execute(dnn.stream, args);
  dnn.stream.wait();
}

// C's rows are ldc apart, its matrices a.rows * ldc.
void gemm_eigen(const MatrixView& a, const MatrixView& b, double* c, std::int64_t ldc, bool accumulate, const double* bias) {
  using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Strided = Eigen::Map<const Matrix, 0, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
  const std::int64_t batch = std::max(a.batch, b.batch);
  for (std::int64_t i = 0; i < batch; ++i) {
    const auto* pa = static_cast<const double*>(a.data) + (a.batch == 1 ? 0 : i * a.batch_stride);
    const auto* pb = static_cast<const double*>(b.data) + (b.batch == 1 ? 0 : i * b.batch_stride);
    Strided ma(pa, a.rows, a.cols, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(a.row_stride, a.col_stride));
    Strided mb(pb, b.rows, b.cols, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(b.row_stride, b.col_stride));
    Eigen::Map<Matrix, 0, Eigen::OuterStride<Eigen::Dynamic>> mc(c + i * a.rows * ldc, a.rows, b.cols, Eigen::OuterStride<Eigen::Dynamic>(ldc));
    if (accumulate) mc.noalias() += ma * mb;
    else mc.noalias() = ma * mb;
    if (bias != nullptr) mc.rowwise() += Eigen::Map<const Eigen::RowVectorXd>(bias, b.cols);
  }
}

// oneDNN's BLAS-style entry point: safe to call from several threads at once; inside a parallel
// region it runs on the calling thread, outside it on all threads.
void sgemm(const MatrixView& a, const MatrixView& b, float* c, std::int64_t ldc, bool accumulate) {
  if (a.cols == 0) {  // dnnl_sgemm leaves C as it was; the product is zero
    if (!accumulate)
      for (std::int64_t r = 0; r < a.rows; ++r) std::fill_n(c + r * ldc, b.cols, 0.0f);
    return;
  }
  // BLAS wants the leading dimension at least the row length (and 1) even where it is never
  // stepped (one row, one column, or no columns).
  const auto layout = [](const MatrixView& m) {
    return m.col_stride == 1 ? std::pair{'N', std::max({m.row_stride, m.cols, std::int64_t{1}})}
                             : std::pair{'T', std::max({m.col_stride, m.rows, std::int64_t{1}})};
  };
  const auto [ta, lda] = layout(a);
  const auto [tb, ldb] = layout(b);
  const dnnl_status_t status = dnnl_sgemm(ta, tb, a.rows, b.cols, a.cols, 1.0f, static_cast<const float*>(a.data), lda,
                                          static_cast<const float*>(b.data), ldb, accumulate ? 1.0f : 0.0f, c, ldc);
  if (status != dnnl_success) fail("gemm: dnnl_sgemm failed ({}x{} times {}x{})", a.rows, a.cols, b.rows, b.cols);
}

}  // namespace

void gemm(DType dtype, const MatrixView& a, const MatrixView& b, void* c, bool accumulate, const void* bias) {
  if (a.cols != b.rows) fail("gemm: inner dimensions differ ({}x{} times {}x{})", a.rows, a.cols, b.rows, b.cols);
  if (a.batch != b.batch && a.batch != 1 && b.batch != 1)
    fail("gemm: batch sizes {} and {} do not broadcast", a.batch, b.batch);
  if (a.rows == 0 || b.cols == 0) return;
  switch (dtype) {
    case DType::f32:
      // A single product without a bias runs faster through the BLAS entry point than through a
      // matmul primitive (training steps of bench/tiny.yaml: 82 -> 79 ms); only the primitive
      // fuses a bias.
      if (a.batch == 1 && b.batch == 1 && bias == nullptr) sgemm(a, b, static_cast<float*>(c), b.cols, accumulate);
      else gemm_onednn(a, b, c, accumulate, bias);
      return;
    case DType::f64: gemm_eigen(a, b, static_cast<double*>(c), b.cols, accumulate, static_cast<const double*>(bias)); return;
    default: fail("gemm: unsupported dtype {}", dtype_name(dtype));
  }
}

void gemm_on_this_thread(DType dtype, const MatrixView& a, const MatrixView& b, void* c, bool accumulate, std::int64_t ldc) {
  if (a.cols != b.rows) fail("gemm: inner dimensions differ ({}x{} times {}x{})", a.rows, a.cols, b.rows, b.cols);
  if (a.batch != 1 || b.batch != 1) fail("gemm_on_this_thread: takes single matrices, got batches {} and {}", a.batch, b.batch);
  if (ldc == 0) ldc = b.cols;
  if (ldc < b.cols) fail("gemm_on_this_thread: output rows {} apart cannot hold {} columns", ldc, b.cols);
  if (a.rows == 0 || b.cols == 0) return;
  switch (dtype) {
    case DType::f32: sgemm(a, b, static_cast<float*>(c), ldc, accumulate); return;
    case DType::f64: gemm_eigen(a, b, static_cast<double*>(c), ldc, accumulate, nullptr); return;
    default: fail("gemm: unsupported dtype {}", dtype_name(dtype));
  }
}

}  // namespace sinklab::kernels
