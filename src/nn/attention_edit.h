#pragma once
// Inference-time edits of one layer's attention, for `sinklab intervene` (causal tests of what a
// sink or a head does). Training never sets them; an empty edit leaves the forward pass unchanged.
#include <cstdint>
#include <vector>

namespace sinklab::nn {

struct AttentionEdit {
  bool mask_first = false;        // hide the first position (BOS) from every later query
  bool zero_first_value = false;  // the first position's value is 0 in every head: it writes nothing
  std::vector<std::int64_t> ablate_heads = {};   // these heads' outputs are 0
  std::vector<std::int64_t> uniform_heads = {};  // these heads attend uniformly over the keys they see (their queries are 0)
  bool empty() const { return !mask_first && !zero_first_value && ablate_heads.empty() && uniform_heads.empty(); }
};

}  // namespace sinklab::nn
