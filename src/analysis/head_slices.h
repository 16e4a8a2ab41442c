#pragma once
// One head's share of the weights and of a probe sequence's captures, as Eigen matrices in the
// row-vector convention q = x W_Q^h (docs/metrics.md).
#include "analysis/probe_pass.h"
#include "analysis/weight_costs.h"

namespace sinklab::analysis {

// Query head h's slice of a (out, in) Linear weight whose outputs are heads: (d_model, d_head).
// wq has n_head such heads; wk and wv may have fewer (grouped-query attention), and then query
// head h's slice is that of the kv head it reads, h / (n_head / kv heads).
Matrix head_in(const Tensor& w, std::int64_t h, std::int64_t n_head, std::int64_t d_head);
// Head h's columns of the output projection W_O, as (d_model, d_head).
Matrix head_out(const Tensor& wo, std::int64_t h, std::int64_t d_head);
// Sequence b's values of head h in layer l: (N, d_head).
Matrix head_values(const ProbePass& pass, std::int64_t layer, std::int64_t h, std::int64_t b);
// Sequence b's mixed values Σ_j A_ij v_j of head h in layer l, before any gate: (N, d_head).
Matrix head_mixed(const ProbePass& pass, std::int64_t layer, std::int64_t h, std::int64_t b);

}  // namespace sinklab::analysis
