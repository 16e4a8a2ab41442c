#include "ops/matmul.h"

#include "engine/autograd.h"
#include "kernels/gemm.h"
#include "ops/reduce.h"
#include "ops/shape_ops.h"

namespace sinklab::ops {
namespace {

// The stride that walks dims [first, last) as one axis, if they collapse (size-1 dims are free).
bool collapse(const Tensor& t, std::size_t first, std::size_t last, std::int64_t& size, std::int64_t& stride) {
  size = 1;
  stride = 0;
  bool have = false;
  std::int64_t expected = 0;
  for (std::size_t i = last; i-- > first;) {
    const std::int64_t n = t.shape()[i];
    if (n == 1) continue;
    if (have && t.strides()[i] != expected) return false;
    if (!have) stride = t.strides()[i];
    have = true;
    expected = t.strides()[i] * n;
    size *= n;
  }
  return true;
}

// A (batch, rows, cols) view of t's data, copying t only when its strides cannot be described.
kernels::MatrixView matrix_view(Tensor& t, bool fold_batch_into_rows) {
  const std::size_t r = t.dim();
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::int64_t batch, bstride, rows = t.shape()[r - 2], cols = t.shape()[r - 1];
    std::int64_t rs = rows == 1 ? cols : t.strides()[r - 2];
    std::int64_t cs = cols == 1 ? 1 : t.strides()[r - 1];
    // oneDNN takes plain or transposed matrices: one unit stride, the other at least the extent.
    bool ok = (cs == 1 && rs >= cols) || (rs == 1 && cs >= rows);
    if (fold_batch_into_rows && r > 2) {  // a plain matrix has no batch to fold: it may be transposed
      ok = ok && collapse(t, 0, r - 1, rows, rs) && cs == 1;
      if (rows == 1) rs = cols;
      ok = ok && rs >= cols;
      batch = 1;
      bstride = 0;
    } else {
      ok = ok && collapse(t, 0, r - 2, batch, bstride) && (batch == 1 || bstride > 0);
    }
    if (ok) return {t.raw_data(), batch, rows, cols, bstride, rs, cs};
    t = t.clone();
  }
  fail("matmul: could not describe tensor of shape {}", to_string(t.shape()));
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (a.dim() < 2 || b.dim() < 2)
    fail("matmul: operands need rank >= 2, got {} and {}", to_string(a.shape()), to_string(b.shape()));
  if (a.dtype() != b.dtype()) fail("matmul: dtypes differ ({} vs {})", dtype_name(a.dtype()), dtype_name(b.dtype()));
  const std::int64_t M = a.shape()[a.dim() - 2], K = a.shape()[a.dim() - 1];
  const std::int64_t Kb = b.shape()[b.dim() - 2], N = b.shape()[b.dim() - 1];
  if (K != Kb) fail("matmul: inner dimensions differ: a {} vs b {}", to_string(a.shape()), to_string(b.shape()));
  const Shape batch_a(a.shape().begin(), a.shape().end() - 2), batch_b(b.shape().begin(), b.shape().end() - 2);
  if (!batch_a.empty() && !batch_b.empty() && batch_a != batch_b)
    fail("matmul: batch shapes differ: a {} vs b {}", to_string(a.shape()), to_string(b.shape()));
  Shape out_shape = batch_a.empty() ? batch_b : batch_a;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = Tensor::empty(out_shape, a.dtype());

  Tensor ta = a, tb = b;
  const bool fold = batch_b.empty();  // shared right matrix: one large GEMM over all rows of a
  const auto va = matrix_view(ta, fold);
  const auto vb = matrix_view(tb, false);
  if (K == 0) {
    std::fill_n(static_cast<char*>(out.storage()->data()), out.storage()->bytes(), 0);
  } else {
    kernels::gemm(a.dtype(), va, vb, out.raw_data());
  }

  return record(out, "matmul", {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g, const std::vector<bool>& needs) {
    Tensor ga, gb;
    if (needs[0]) ga = sum_to(matmul(g, transpose(b, -1, -2)), a.shape());
    if (needs[1]) {
      if (b.dim() == 2 && a.dim() > 2) {
        // Shared weight: fold the batch into the reduction dimension, one GEMM.
        gb = matmul(transpose(reshape(a, {-1, a.shape().back()}), 0, 1), reshape(g, {-1, g.shape().back()}));
      } else {
        gb = sum_to(matmul(transpose(a, -1, -2), g), b.shape());
      }
    }
    return std::vector<Tensor>{ga, gb};
  });
}

}  // namespace sinklab::ops
