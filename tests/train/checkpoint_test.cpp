// train::load_checkpoint on damaged checkpoints written here (the CLI's cases are in
// tests/cli/hostile_input_test.cpp).
#include "train/checkpoint.h"

#include <gtest/gtest.h>

#include "nn/transformer.h"
#include "optim/adamw.h"
#include "support/temp_dir.h"

namespace sinklab::testing {
namespace {

// Found by fuzzing state.json (tests/fuzz/fuzz_checkpoint_state): the error for a step that is
// not a whole number quoted the value, and quoting a value nested 400,000 deep overflowed the stack.
TEST(Checkpoint, DeeplyNestedStateIsAnErrorNamingTheFile) {
  TempDir dir;
  nn::ModelConfig config;
  config.vocab_size = 16;
  config.context = 8;
  config.d_model = 8;
  config.n_layer = 1;
  config.n_head = 2;
  config.d_ff = 16;
  nn::Transformer model(config, 1);
  optim::AdamW optimizer(model.named_parameters(), {});
  train::save_checkpoint(dir.path(), model, &optimizer, {4, 64, {}}, 1);
  const auto checkpoint = dir.path() / "checkpoints" / train::checkpoint_name(4);
  EXPECT_EQ(train::load_checkpoint(checkpoint, model, &optimizer, 4).tokens, 64);
  write_file(checkpoint / "state.json", "{\"step\": " + std::string(400000, '[') + std::string(400000, ']') + "}");
  try {
    train::load_checkpoint(checkpoint, model, &optimizer, 4);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("state.json: JSON nested more than 64 levels deep"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sinklab::testing
