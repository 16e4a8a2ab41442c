#pragma once
// Synthetic tasks (data.name: synthetic), generated on the fly from the run's seed: positive
// controls for attention sinks, where each target either needs attention to another position or
// depends on the current token alone. docs/experiments.md defines each task.
//
// Ids: symbols 0..V-1, then BOS = V and EOS = V + 1 (never generated).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/batch.h"
#include "data/data_config.h"

namespace sinklab::data {

enum class TaskKind { bigram_backcopy, synthetic_switch };

// Everything drawn from the seed once per run: fixed while batches stream.
struct SyntheticTask {
  TaskKind kind = TaskKind::bigram_backcopy;
  std::int64_t symbols = 64;
  bool bos_slot = true;       // position 0 is a first token with no target of its own in switch
  bool random_first = false;  // that first token is a random symbol rather than BOS
  std::vector<std::int32_t> triggers;
  std::vector<std::uint8_t> is_trigger;        // [V]
  std::vector<std::vector<double>> bigram;     // bigram-backcopy: [V][V] cumulative rows
  std::vector<double> start;                   // bigram-backcopy: cumulative non-trigger marginal
  std::vector<std::int32_t> function;          // switch: the target of a non-trigger token

  std::int32_t bos() const { return static_cast<std::int32_t>(symbols); }
};

// Draws the task's tables from the seed (and data.bigram_from, when given).
SyntheticTask make_task(const DataConfig& config, std::uint64_t seed);

// One sequence: inputs, targets and classes of `length` positions.
void generate_sequence(const SyntheticTask& task, Rng& rng, std::int64_t length, std::int32_t* inputs,
                       std::int32_t* targets, std::int32_t* needs_attention);

// An endless stream of batches; its position is the generator state.
class SyntheticSource : public BatchSource {
 public:
  SyntheticSource(std::shared_ptr<const SyntheticTask> task, std::int64_t context, std::int64_t batch_size, std::uint64_t seed);
  Batch next() override;
  LoaderState state() const override;
  void set_state(const LoaderState& state) override;

 private:
  std::shared_ptr<const SyntheticTask> task_;
  std::int64_t context_, batch_size_;
  Rng rng_;
};

}  // namespace sinklab::data
