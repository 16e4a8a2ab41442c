#include "cli/replay_command.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "analysis/recorder.h"
#include "data/dataset.h"
#include "engine/error.h"
#include "io/append_file.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "train/config.h"
#include "train/evaluation.h"
#include "train/run_folder.h"
#include "train/saved_run.h"

namespace sinklab::cli {
namespace {

namespace fs = std::filesystem;

void append(io::AppendFile& file, const Tensor& ids) {
  const auto v = ids.to_vector<std::int32_t>();
  file.append(std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::int32_t)));
}

}  // namespace

void replay(const fs::path& run_dir, const fs::path& out, std::optional<std::int64_t> steps) {
  const fs::path config_file = run_dir / train::run_marker;
  if (!fs::exists(config_file)) fail("{}: not a run folder (no {})", run_dir.string(), train::run_marker);
  const train::Config config = train::load_config(config_file);
  const std::int64_t n = steps.value_or(config.train.steps);
  if (n < 1 || n > config.train.steps) fail("replay: --steps must be in [1, train.steps = {}], got {}", config.train.steps, n);
  if (fs::exists(out) && !fs::is_empty(out)) fail("replay: {} exists and is not empty", out.string());
  fs::create_directories(out);

  auto data = data::prepare_data(config.data, run_dir, config.seed, std::cout);
  const nn::Transformer model(train::model_config(config, *data.tokenizer), config.seed);
  io::write_safetensors(out / "init.safetensors", model.named_parameters());

  const auto& t = config.train;
  const auto loader = data::open_batches(config.data, data, data::Split::train, config.data.context, t.batch_size, config.seed);
  io::AppendFile train_file(out / "train.i32");
  for (std::int64_t step = 0; step < n * t.grad_accum; ++step) {
    const data::Batch b = loader->next();
    append(train_file, b.inputs);
    append(train_file, b.targets);
  }
  io::AppendFile valid_file(out / "valid.i32");
  for (const auto& b : train::validation_batches(config, data)) {
    append(valid_file, b.inputs);
    append(valid_file, b.targets);
  }
  const data::Batch probe = analysis::probe_batch(config.analysis, config.data, data, config.seed);
  io::AppendFile probe_file(out / "probe.i32");
  append(probe_file, probe.inputs);

  const nlohmann::ordered_json j{{"run", fs::absolute(run_dir).lexically_normal().string()},
                                 {"steps", n},
                                 {"grad_accum", t.grad_accum},
                                 {"batch_size", t.batch_size},
                                 {"context", config.data.context},
                                 {"eval_batches", t.eval_batches},
                                 {"probe_sequences", probe.inputs.shape()[0]},
                                 {"probe_length", probe.inputs.shape()[1]},
                                 {"vocab_size", data.tokenizer->vocab_size()},
                                 {"ignore_index", data::ignore_index},
                                 {"layout", {{"train.i32", "[step][micro-batch][inputs, targets][batch][context]"},
                                             {"valid.i32", "[batch][inputs, targets][batch][context]"},
                                             {"probe.i32", "[sequence][token]"}}}};
  io::write_file_atomic(out / "replay.json", j.dump(2) + "\n");
  std::cout << fmt::format("replay of {}: {} steps of {} x {} tokens, {} validation batches, a probe of {} x {} tokens, in {}\n",
                           run_dir.string(), n, t.grad_accum * t.batch_size, config.data.context, t.eval_batches,
                           probe.inputs.shape()[0], probe.inputs.shape()[1], out.string());
}

}  // namespace sinklab::cli
