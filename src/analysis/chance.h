#pragma once
// Chance levels of attention statistics: their values when every query i spreads its attention
// uniformly over the i + 1 positions it can see (A_ij = 1/(i+1), j <= i), at a probe of N
// positions whose first token sits at `first` (after the registers).
#include "analysis/field.h"

namespace sinklab::analysis::chance {

// α_first = (1/(N−first)) Σ_{i≥first} 1/(i+1) = (H_N − H_first)/(N − first); H_64/64 = 0.074.
double sink_score(const ProbeShape& probe);
// mean_{i>first} 1/(i+1): the first-token mass, and equally the diagonal score; 0.059 at N = 64.
double later_query_mean(const ProbeShape& probe);
// mean_{i>first} first/(i+1): the attention all registers together receive.
double register_mass(const ProbeShape& probe);
// mean_{i>first} ln(i+1): a row's entropy.
double entropy(const ProbeShape& probe);
// The rates: every sequence and head has the same scores, so a rate is 1 or 0.
double sink_rate(const ProbeShape& probe, double eps);
double diag_rate(const ProbeShape& probe, double eps);

}  // namespace sinklab::analysis::chance
