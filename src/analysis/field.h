#pragma once
// One field of an analysis record (runs/<run>/analysis.jsonl): its key, layout, unit, meaning, its
// uniform-attention (chance) level where one exists, and how the run's other outputs show it — an
// analysis.csv column, a compare plot, a column of compare's summary table. A field is declared
// once, beside the metric that computes it (analysis/metrics/); the recorder, docs/metrics.md,
// analysis.csv and compare all read these declarations, so a record key is typed in one place.
#include <array>
#include <cstdint>
#include <string_view>

#include "ops/attention.h"

namespace sinklab::analysis {

enum class Layout {
  scalar,        // one number
  count,         // one whole number
  per_eps,       // [eps]: one number per threshold of analysis.eps
  per_layer,     // [layer]
  per_head,      // [layer][head]
  per_eps_layer, // [eps][layer]
  per_eps_head,  // [eps][layer][head]
  head_labels,   // [layer][head] names
  per_site_quantiles,  // [site][quantile]: site 0 the embedding, site l + 1 layer l; quantile_levels
  text,          // a string
};

// The quantiles a per_site_quantiles field records: min, 10%, 25%, median, 75%, 90%, max.
inline constexpr std::array<double, 7> quantile_levels{0, 0.1, 0.25, 0.5, 0.75, 0.9, 1};

// What a probe looks like to a chance level: N positions, the first token at `first`, and the
// keys each query may see (model.attention.mask).
struct ProbeShape {
  std::int64_t positions = 0, first = 0;
  ops::KeyMask mask = ops::KeyMask::causal;
};

// A log y axis for values that span orders of magnitude over training (weight costs fall from
// their initial size by 10-100x), so that whether they have stopped moving can be read off.
enum class Axis { linear, log };

struct PlotSpec {
  std::string_view file;   // compare's file stem (per_eps fields: <file>_eps<e>)
  std::string_view title;  // above the plot
  std::string_view ylabel;
  Axis y = Axis::linear;   // compare draws a log axis only when every value is positive
};

struct Field {
  std::string_view key;  // a key of the record, or a path inside it ("by_class/no_attention/prev_score")
  Layout layout = Layout::scalar;
  std::string_view unit;  // "fraction", "nats", "cosine", "sum of squares", ...
  std::string_view doc;   // one line: what it measures
  // The analysis.csv column ("" for none): the value of a scalar, the mean of a grid or layer
  // list, one column <csv>_<eps> per threshold of a per-eps list.
  std::string_view csv = "";
  // What the field measures when every query spreads its attention uniformly over the keys it
  // can see (under the probe's key mask), or nullptr where no such level exists.
  double (*chance)(const ProbeShape& probe) = nullptr;
  // The same for a per-ε field, at threshold eps.
  double (*chance_at)(const ProbeShape& probe, double eps) = nullptr;
  PlotSpec plot = {};           // compare draws the csv summary over training when plot.file is set
  std::string_view summary = "";  // compare's summary table shows its final value under this title
  std::string_view labels = "";   // head_labels, text: the names it takes, space-separated (csv: a count each)
  bool nullable = false;          // an entry may be null: nothing in the probe qualified (no csv column, no plot)
};

// Whether `name` is one of a field's space-separated labels.
constexpr bool has_label(const Field& f, std::string_view name) {
  for (std::string_view rest = f.labels; !rest.empty();) {
    const auto end = rest.find(' ');
    if (rest.substr(0, end) == name) return true;
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
  return false;
}

}  // namespace sinklab::analysis
