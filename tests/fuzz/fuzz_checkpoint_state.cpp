// train::load_checkpoint with a fuzzed state.json beside a valid checkpoint of a tiny model (the
// shape of the seed run's, tests/fuzz/make_seeds.sh). The input is
//   <state.json>                                   the tensor files stay valid (their checksums
//     are this process's, so the loader stops at the checksum: the numbers before it are fuzzed); or
//   <state.json> separator <model.safetensors>     the second part replaces the weights file, and
//     when the first part is a JSON object with a "sha256" object, both checksums in it are made
//     right before it is written, so the loader gets past them to the tensor checks.
#include <fstream>
#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "io/sha256.h"
#include "nn/transformer.h"
#include "optim/adamw.h"
#include "train/checkpoint.h"

namespace {

namespace fs = std::filesystem;
namespace fz = sinklab::fuzz;
using namespace sinklab;

struct Checkpoint {
  nn::Transformer model{config(), 1};
  optim::AdamW optimizer{model.named_parameters(), {}};
  fs::path dir;
  std::string weights;  // the valid model.safetensors, put back before each input
  std::string optimizer_sha256;

  static nn::ModelConfig config() {
    nn::ModelConfig c;
    c.vocab_size = 258;  // the byte tokenizer's
    c.context = 16;
    c.d_model = 8;
    c.n_layer = 1;
    c.n_head = 2;
    c.d_ff = 16;
    return c;
  }

  Checkpoint() {
    constexpr std::int64_t step = 8;
    train::save_checkpoint(fz::scratch(), model, &optimizer, {step, 1024, {}}, 1);
    dir = fz::scratch() / "checkpoints" / train::checkpoint_name(step);
    weights = read(dir / "model.safetensors");
    optimizer_sha256 = io::sha256_hex(read(dir / "optimizer.safetensors"));
  }

  static std::string read(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Checkpoint checkpoint;
  const auto [state, fuzzed_weights] = fz::split(fz::as_text(data, size));
  std::string state_text(state);
  const std::string_view weights = fuzzed_weights ? *fuzzed_weights : std::string_view(checkpoint.weights);
  if (fuzzed_weights) {
    auto j = nlohmann::json::parse(state, nullptr, false);  // no exceptions: discarded when invalid
    if (j.is_object() && j.contains("sha256") && j["sha256"].is_object()) {
      j["sha256"]["model.safetensors"] = io::sha256_hex(weights);
      j["sha256"]["optimizer.safetensors"] = checkpoint.optimizer_sha256;
      state_text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  fz::write_bytes(checkpoint.dir / "model.safetensors", weights);
  fz::write_bytes(checkpoint.dir / "state.json", state_text);
  fz::expect_clean([&] { train::load_checkpoint(checkpoint.dir, checkpoint.model, &checkpoint.optimizer, 100); },
                   {"state.json", "model.safetensors", "optimizer.safetensors"});
  return 0;
}
