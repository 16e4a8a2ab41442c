#pragma once
// Batched matrix product without autograd: C[b] (+)= A[b] · B[b]. fp32 runs through oneDNN (single
// products through its BLAS entry point dnnl_sgemm, batches and products with a bias through cached
// matmul primitives); fp64 (the gradient-check path) runs through Eigen. Transposes are strides.
#include <cstdint>

#include "engine/dtype.h"

namespace sinklab::kernels {

struct MatrixView {
  const void* data;
  std::int64_t batch;  // 1, or the batch size; a batch of 1 is broadcast over the other operand's
  std::int64_t rows, cols;
  std::int64_t batch_stride, row_stride, col_stride;  // in elements; one of row/col stride must be 1
};

// c is contiguous (max(a.batch, b.batch), a.rows, b.cols). With accumulate, adds into c. A bias
// (b.cols contiguous values) is added to every row of c as the product is written.
void gemm(DType dtype, const MatrixView& a, const MatrixView& b, void* c, bool accumulate = false,
          const void* bias = nullptr);

// The same product (no batch, no bias) for a caller that is already one thread of a parallel loop:
// inside an active parallel region it runs on the calling thread only, so each thread can work on
// its own block of rows. C's rows are ldc elements apart (0: contiguous, b.cols).
void gemm_on_this_thread(DType dtype, const MatrixView& a, const MatrixView& b, void* c, bool accumulate = false,
                         std::int64_t ldc = 0);

}  // namespace sinklab::kernels
