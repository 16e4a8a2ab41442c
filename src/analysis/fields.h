#pragma once
// The analysis fields that other parts of sinklab read by name (the CLI's progress lines,
// compare's special plots, the query-class table), declared here once; the metric that computes
// each is named above it. Fields nobody else reads are declared in their metric's own file.
#include "analysis/chance.h"
#include "analysis/field.h"

namespace sinklab::analysis::fields {

// analysis/recorder.cpp: where a record stands, and its attention snapshot
inline constexpr Field step{.key = "step", .layout = Layout::count, .unit = "steps", .doc = "the optimizer steps done", .csv = "step"};
inline constexpr Field tokens{.key = "tokens", .layout = Layout::count, .unit = "tokens", .doc = "the training tokens seen", .csv = "tokens"};
inline constexpr Field snapshot{.key = "snapshot",
                                .layout = Layout::text,
                                .unit = "path",
                                .doc = "the attention snapshot written at this step, if any: attn/step_<N>.npy, float32 (L, H, n, n) "
                                       "probe-mean maps, n = N up to 256 positions, longer probes pooled into blocks of ⌈N/256⌉"};

// metrics/attention_maps.cpp
inline constexpr Field probe_positions{.key = "probe_positions",
                                       .layout = Layout::count,
                                       .unit = "positions",
                                       .doc = "N, the positions of a probe sequence's maps: registers + probe tokens (the chance "
                                              "levels depend on it)"};
inline constexpr Field first_position{.key = "first_position",
                                      .layout = Layout::count,
                                      .unit = "position",
                                      .doc = "the first token's position in the maps (= the number of registers)"};
inline constexpr Field key_mask{.key = "key_mask",
                                .layout = Layout::text,
                                .unit = "",
                                .doc = "model.attention.mask, the keys every query sees (the chance levels depend on it)",
                                .labels = "causal no_first no_self"};
inline constexpr Field eps{.key = "eps", .layout = Layout::per_eps, .unit = "", .doc = "the thresholds ε of the rates (analysis.eps)"};
inline constexpr Field sink_rate{
    .key = "sink_rate",
    .layout = Layout::per_eps,
    .unit = "fraction",
    .doc = "share of (probe sequence, layer, head) whose sink score α_first exceeds ε (Gu et al.)",
    .csv = "sink_rate",
    .chance_at = chance::sink_rate,
    .plot = {"sink_rate", "Sink rate: share of (sequence, layer, head) with sink score > ε (mean over seeds, band: min-max)",
             "sink rate"},
    .summary = "sink rate"};
inline constexpr Field sink_rate_layer{.key = "sink_rate_layer",
                                       .layout = Layout::per_eps_layer,
                                       .unit = "fraction",
                                       .doc = "per layer: share of (probe sequence, head) with α_first > ε",
                                       .chance_at = chance::sink_rate};
inline constexpr Field sink_rate_head{.key = "sink_rate_head",
                                      .layout = Layout::per_eps_head,
                                      .unit = "fraction",
                                      .doc = "per head: share of probe sequences with α_first > ε"};
inline constexpr Field sink_score{
    .key = "sink_score",
    .layout = Layout::per_head,
    .unit = "attention",
    .doc = "α_first, probe mean, with key importance α_k = (1/(N−k)) Σ_{i≥k} A_ik: the mean attention key k receives "
           "from the queries that can see it, the query at k included",
    .chance = chance::sink_score};
inline constexpr Field sink_score_max{
    .key = "sink_score_max",
    .layout = Layout::scalar,
    .unit = "attention",
    .doc = "the largest per-head sink score",
    .csv = "sink_score_max",
    .chance = chance::sink_score,
    .plot = {"sink_score_max", "Largest per-head sink score", "max over heads of the mean attention to the first token"},
    .summary = "max head sink score"};
inline constexpr Field sink_score_median{.key = "sink_score_median",
                                         .layout = Layout::scalar,
                                         .unit = "attention",
                                         .doc = "the median per-head sink score",
                                         .csv = "sink_score_median",
                                         .chance = chance::sink_score};
inline constexpr Field sink_score_p90{.key = "sink_score_p90",
                                      .layout = Layout::scalar,
                                      .unit = "attention",
                                      .doc = "the 90th percentile of the per-head sink scores",
                                      .csv = "sink_score_p90",
                                      .chance = chance::sink_score};
inline constexpr Field first_mass{
    .key = "first_mass",
    .layout = Layout::per_head,
    .unit = "attention",
    .doc = "mean_{i>first} A_{i,first}, probe mean",
    .csv = "first_mass",
    .chance = chance::first_mass,
    .plot = {"first_token_mass", "First-token mass: mean attention of later queries to the first token (mean over heads)",
             "attention to the first token"},
    .summary = "first-token mass"};
inline constexpr Field diag_score{
    .key = "diag_score",
    .layout = Layout::per_head,
    .unit = "attention",
    .doc = "D = mean_{i>first} A_ii, probe mean",
    .csv = "diag_score",
    .chance = chance::diag_score,
    .plot = {"diagonal_score", "Diagonal score: mean attention of each token to itself (mean over heads)", "attention to self"},
    .summary = "diagonal score"};
inline constexpr Field switch_count{.key = "switch_count",
                                    .layout = Layout::count,
                                    .unit = "heads",
                                    .doc = "how many heads are switch-like (switch_heads)",
                                    .csv = "switch_count"};

// metrics/value_norms.cpp
inline constexpr Field value_norm_ratio{
    .key = "value_norm_ratio",
    .layout = Layout::per_head,
    .unit = "ratio",
    .doc = "‖v_s W_O^h‖ / mean_{j≠s} ‖v_j W_O^h‖ per sequence (v_j the head's value at j, s its dominant key), probe mean"};
inline constexpr Field first_value_ratio{
    .key = "first_value_ratio",
    .layout = Layout::per_head,
    .unit = "ratio",
    .doc = "‖v_first W_O^h‖ / mean_{j≠first} ‖v_j W_O^h‖ per sequence, probe mean: ≈ 0 when the first position is a "
           "nop sink (attended to, but writes nothing)",
    .csv = "first_value_ratio"};

// metrics/query_class_metrics.cpp (synthetic tasks: each query needs attention, or none)
inline constexpr Field needs_queries{.key = "by_class/needs_attention/queries",
                                     .layout = Layout::count,
                                     .unit = "queries",
                                     .doc = "probe queries whose target needs attention to another position"};
inline constexpr Field needs_first{.key = "by_class/needs_attention/sink_score",
                                   .layout = Layout::per_head,
                                   .unit = "attention",
                                   .doc = "mean A_{i,first} over the queries that need attention, pooled over the probe",
                                   .csv = "sink_score_needs_attn"};
inline constexpr Field needs_diag{.key = "by_class/needs_attention/diag_score",
                                  .layout = Layout::per_head,
                                  .unit = "attention",
                                  .doc = "mean A_ii over the queries that need attention",
                                  .csv = "diag_score_needs_attn"};
inline constexpr Field needs_prev{
    .key = "by_class/needs_attention/prev_score",
    .layout = Layout::per_head,
    .unit = "attention",
    .doc = "mean A_{i,i−1} over the queries that need attention (the token a back-copy or switch trigger fetches)",
    .csv = "prev_score_needs_attn",
    .plot = {"needs_attention_previous", "Queries that need attention: mean attention to the previous token (the one to copy)",
             "attention to the previous token"}};
inline constexpr Field needs_entropy{.key = "by_class/needs_attention/entropy",
                                     .layout = Layout::per_head,
                                     .unit = "nats",
                                     .doc = "mean −Σ_j A_ij ln A_ij over the queries that need attention",
                                     .csv = "entropy_needs_attn"};
inline constexpr Field needs_sink_logit{.key = "by_class/needs_attention/sink_logit_mass",
                                        .layout = Layout::per_head,
                                        .unit = "attention",
                                        .doc = "(sink logit only) mean 1 − Σ_j A_ij over the queries that need attention",
                                        .csv = "sink_logit_mass_needs_attn"};
inline constexpr Field needs_gate{.key = "by_class/needs_attention/gate_mean",
                                  .layout = Layout::per_head,
                                  .unit = "gate",
                                  .doc = "(gated attention) the head's mean output gate at the queries that need attention",
                                  .csv = "gate_mean_needs_attn"};
inline constexpr Field free_queries{.key = "by_class/no_attention/queries",
                                    .layout = Layout::count,
                                    .unit = "queries",
                                    .doc = "probe queries whose target needs no attention"};
inline constexpr Field free_first{
    .key = "by_class/no_attention/sink_score",
    .layout = Layout::per_head,
    .unit = "attention",
    .doc = "mean A_{i,first} over the queries that need no attention",
    .csv = "sink_score_no_attn",
    .plot = {"no_attention_first", "Queries that need no attention: mean attention to the first position (sink)",
             "attention to the first position"}};
inline constexpr Field free_diag{
    .key = "by_class/no_attention/diag_score",
    .layout = Layout::per_head,
    .unit = "attention",
    .doc = "mean A_ii over the queries that need no attention",
    .csv = "diag_score_no_attn",
    .plot = {"no_attention_self", "Queries that need no attention: mean attention to themselves (diagonal)", "attention to self"}};
inline constexpr Field free_prev{.key = "by_class/no_attention/prev_score",
                                 .layout = Layout::per_head,
                                 .unit = "attention",
                                 .doc = "mean A_{i,i−1} over the queries that need no attention",
                                 .csv = "prev_score_no_attn"};
inline constexpr Field free_entropy{.key = "by_class/no_attention/entropy",
                                    .layout = Layout::per_head,
                                    .unit = "nats",
                                    .doc = "mean −Σ_j A_ij ln A_ij over the queries that need no attention",
                                    .csv = "entropy_no_attn"};
inline constexpr Field free_sink_logit{.key = "by_class/no_attention/sink_logit_mass",
                                       .layout = Layout::per_head,
                                       .unit = "attention",
                                       .doc = "(sink logit only) mean 1 − Σ_j A_ij over the queries that need no attention",
                                       .csv = "sink_logit_mass_no_attn"};
inline constexpr Field free_gate{.key = "by_class/no_attention/gate_mean",
                                 .layout = Layout::per_head,
                                 .unit = "gate",
                                 .doc = "(gated attention) the head's mean output gate at the queries that need no attention",
                                 .csv = "gate_mean_no_attn"};
inline constexpr Field mechanism{
    .key = "mechanism",
    .layout = Layout::head_labels,
    .unit = "",
    .doc = "how the head handles the queries that need no attention: gate when the model is gated and its mean gate there "
           "is below 0.1; else sink (first position), diagonal (itself) or sink-logit (the extra column), whichever takes "
           "the most of their attention when that exceeds the largest ε; else other",
    .csv = "mechanism",
    .labels = "sink diagonal sink-logit gate other"};

// metrics/head_classes.cpp
inline constexpr Field nop_count{.key = "nop_count",
                                 .layout = Layout::count,
                                 .unit = "heads",
                                 .doc = "heads classed nop",
                                 .csv = "nop_count",
                                 .summary = "nop heads"};
inline constexpr Field broadcast_count{.key = "broadcast_count",
                                       .layout = Layout::count,
                                       .unit = "heads",
                                       .doc = "heads classed broadcast",
                                       .csv = "broadcast_count",
                                       .summary = "broadcast heads"};

// metrics/residual_stream.cpp
inline constexpr Field oversmoothing_out{
    .key = "oversmoothing_out",
    .layout = Layout::per_layer,
    .unit = "cosine",
    .doc = "mean pairwise cosine similarity of the residual states of the tokens after the first, at the block's output: "
           "(‖Σ_i ĥ_i‖² − n)/(n(n−1)) with ĥ unit vectors, probe mean",
    .csv = "oversmoothing_out",
    .plot = {"oversmoothing", "Oversmoothing: mean pairwise cosine of token states at block outputs (mean over layers)",
             "mean pairwise cosine"}};

// metrics/smoothing.cpp (sinklab intervene reads these two)
inline constexpr Field attn_in_cosine{
    .key = "attn_in_cosine",
    .layout = Layout::per_layer,
    .unit = "cosine",
    .doc = "avg-cos(X): mean pairwise cosine of the attention's input X (the block input after its norm)"};
inline constexpr Field smoothing_dense{
    .key = "smoothing_dense",
    .layout = Layout::per_head,
    .unit = "cosine",
    .doc = "avg-cos(X + W Z Aᵀ) − avg-cos(X + W Z) (the paper's Fig 8): > 0 when the head's mixing smooths more than no mixing",
    .csv = "smoothing_dense",
    .plot = {"smoothing_dense", "Smoothing by the heads' attention: avg-cos(X + WZAᵀ) − avg-cos(X + WZ) (mean over heads)",
             "cosine difference"}};

// metrics/weight_cost_metrics.cpp
inline constexpr Field cost_qk{
    .key = "cost_qk",
    .layout = Layout::per_head,
    .unit = "sum of squares",
    .doc = "factor cost C_QK = ‖W_Q^h‖_F² + ‖W_K^h‖_F²; under grouped-query attention W_K^h is the slice of head h's kv head, "
           "counted in the cost of every head of its group",
    .csv = "cost_qk",
    .plot = {"cost_qk", "Representation cost of W_QK: ||W_Q||_F^2 + ||W_K||_F^2 per head (mean over heads)", "C_QK", Axis::log},
    .summary = "C_QK"};
inline constexpr Field cost_ov{
    .key = "cost_ov",
    .layout = Layout::per_head,
    .unit = "sum of squares",
    .doc = "factor cost C_OV = ‖W_V^h‖_F² + ‖W_O^h‖_F²; W_V^h as W_K^h in cost_qk",
    .csv = "cost_ov",
    .plot = {"cost_ov", "Representation cost of W_OV: ||W_V||_F^2 + ||W_O||_F^2 per head (mean over heads)", "C_OV", Axis::log},
    .summary = "C_OV"};
inline constexpr Field block_cost{
    .key = "block_cost",
    .layout = Layout::per_layer,
    .unit = "sum of squares",
    .doc = "Σ‖θ‖_F² over the block's attention and MLP parameters",
    .csv = "block_cost",
    .plot = {"cost_block", "Frobenius-squared cost of a block's attention + MLP weights (mean over blocks)", "sum of ||W||_F^2", Axis::log},
    .summary = "block cost"};

}  // namespace sinklab::analysis::fields
