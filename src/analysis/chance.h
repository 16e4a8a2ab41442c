#pragma once
// Chance levels of attention statistics: their values when every query i spreads its attention
// uniformly over the k_i keys it can see (A_ij = 1/k_i on those keys), at a probe of N positions
// whose first token sits at `first` (after the registers). Causally k_i = i + 1; from query 1 on,
// the key mask hides key 0 (no_first) or the query itself (no_self), so k_i = i.
#include "analysis/field.h"

namespace sinklab::analysis::chance {

// k_i, the keys query i sees.
std::int64_t keys(const ProbeShape& probe, std::int64_t i);
// A_ij of uniform attention.
double uniform(const ProbeShape& probe, std::int64_t i, std::int64_t j);

// α_first = (1/(N−first)) Σ_{i≥first} A_{i,first}; causally (H_N − H_first)/(N − first), 0.074 at N = 64.
double sink_score(const ProbeShape& probe);
// mean_{i>first} A_{i,first}; causally 0.059 at N = 64, 0 when the first key is hidden.
double first_mass(const ProbeShape& probe);
// mean_{i>first} A_ii; causally the first-token mass, 0 when the query itself is hidden.
double diag_score(const ProbeShape& probe);
// mean_{i>first} Σ_{j<first} A_ij: the attention all registers together receive.
double register_mass(const ProbeShape& probe);
// mean_{i>first} ln(k_i): a row's entropy.
double entropy(const ProbeShape& probe);
// The rates: every sequence and head has the same scores, so a rate is 1 or 0.
double sink_rate(const ProbeShape& probe, double eps);
double diag_rate(const ProbeShape& probe, double eps);

}  // namespace sinklab::analysis::chance
