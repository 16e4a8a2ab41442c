#include "train/ablation.h"
#include "train/config.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace sinklab::testing {
namespace {

std::string error_of(const std::filesystem::path& file, const std::vector<std::string>& overrides = {}) {
  try {
    train::load_config(file, overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Config, ExtendsAndSetOverrideInOrder) {
  TempDir dir;
  write_file(dir / "base.yaml", "seed: 3\nmodel:\n  d_model: 64\n  n_head: 4\noptim:\n  lr: 0.01\n");
  write_file(dir / "child.yaml", "extends: base.yaml\nmodel:\n  d_model: 96\n");
  const auto c = train::load_config(dir / "child.yaml", {"optim.lr=0.002", "data.tokenizer=byte"});
  EXPECT_EQ(c.seed, 3u);
  EXPECT_EQ(c.model.d_model, 96);
  EXPECT_EQ(c.model.n_head, 4);
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.002);
  EXPECT_EQ(c.data.tokenizer, "byte");
}

TEST(Config, ResolvedYamlReadsBackToTheSameConfig) {
  TempDir dir;
  write_file(dir / "a.yaml", "optim:\n  lr: 0.003\n  betas: [0.9, 0.99]\nmodel:\n  norm: layernorm\n");
  const auto c = train::load_config(dir / "a.yaml");
  const std::string yaml = train::resolved_yaml(c);
  write_file(dir / "resolved.yaml", yaml);
  EXPECT_EQ(train::resolved_yaml(train::load_config(dir / "resolved.yaml")), yaml);
  EXPECT_NE(yaml.find("lr: 0.003"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("norm: layernorm"), std::string::npos);
}

TEST(Config, ErrorsNameTheFileTheLineAndTheKey) {
  TempDir dir;
  write_file(dir / "unknown.yaml", "model:\n  d_model: 64\n  dmodel: 3\n");
  EXPECT_NE(error_of(dir / "unknown.yaml").find("unknown.yaml:3: unknown key 'model.dmodel' (did you mean 'model.d_model'?)"),
            std::string::npos)
      << error_of(dir / "unknown.yaml");
  write_file(dir / "type.yaml", "train:\n  steps: many\n");
  EXPECT_NE(error_of(dir / "type.yaml").find("type.yaml:2: train.steps: expected an integer, got 'many'"), std::string::npos);
  write_file(dir / "lr.yaml", "optim:\n  lr: -0.1\n");
  EXPECT_NE(error_of(dir / "lr.yaml").find("lr.yaml:2: optim.lr: must be positive"), std::string::npos);
  write_file(dir / "heads.yaml", "model:\n  d_model: 100\n  n_head: 3\n");
  EXPECT_NE(error_of(dir / "heads.yaml").find("heads.yaml:3: model.n_head: d_model 100 is not divisible by n_head 3"),
            std::string::npos);
  write_file(dir / "enum.yaml", "model:\n  norm: batchnorm\n");
  EXPECT_NE(error_of(dir / "enum.yaml").find("'batchnorm' is not one of: layernorm, rmsnorm"), std::string::npos);
  write_file(dir / "ok.yaml", "seed: 1\n");
  EXPECT_NE(error_of(dir / "ok.yaml", {"optim.lr=abc"}).find("--set optim.lr=abc: optim.lr: expected a number"), std::string::npos);
  EXPECT_NE(error_of(dir / "missing.yaml").find("config file not found"), std::string::npos);
  write_file(dir / "empty.yaml", "");
  EXPECT_NE(error_of(dir / "empty.yaml").find("empty"), std::string::npos);
  write_file(dir / "byte.yaml", "data:\n  tokenizer: byte\n  vocab_size: 512\n");
  EXPECT_NE(error_of(dir / "byte.yaml").find("byte.yaml:3: data.vocab_size: only applies to data.tokenizer: bpe"),
            std::string::npos)
      << error_of(dir / "byte.yaml");
  write_file(dir / "sgd.yaml", "optim:\n  name: sgd\n  betas: [0.8, 0.9]\n");
  EXPECT_NE(error_of(dir / "sgd.yaml").find("sgd.yaml:3: optim.betas: only applies to optim.name: adamw"), std::string::npos)
      << error_of(dir / "sgd.yaml");
  EXPECT_NE(error_of(dir / "ok.yaml", {"optim.momentum=0.5"}).find("optim.momentum: only applies to optim.name: sgd"),
            std::string::npos)
      << error_of(dir / "ok.yaml", {"optim.momentum=0.5"});
  EXPECT_NE(error_of(dir / "ok.yaml", {"optim.name=sgd", "optim.momentum=1"}).find("optim.momentum: must be in [0, 1), got 1"),
            std::string::npos);
  write_file(dir / "cycle.yaml", "extends: cycle.yaml\n");
  EXPECT_NE(error_of(dir / "cycle.yaml").find("cycle"), std::string::npos);
}

TEST(Config, KvHeadsMustDivideTheHeads) {
  TempDir dir;
  write_file(dir / "kv.yaml", "model:\n  n_head: 4\n  n_kv_head: 3\n");
  EXPECT_NE(error_of(dir / "kv.yaml").find("kv.yaml:3: model.n_kv_head: n_head 4 is not divisible by n_kv_head 3"), std::string::npos)
      << error_of(dir / "kv.yaml");
  write_file(dir / "negative.yaml", "model:\n  n_kv_head: -1\n");
  EXPECT_NE(error_of(dir / "negative.yaml").find("model.n_kv_head: must not be negative, got -1"), std::string::npos);
  write_file(dir / "grouped.yaml", "model:\n  n_head: 4\n  n_kv_head: 2\n");
  EXPECT_EQ(train::load_config(dir / "grouped.yaml").model.kv_heads(), 2);
  EXPECT_EQ(train::load_config(dir / "negative.yaml", {"model.n_kv_head=0"}).model.kv_heads(), 4);  // 0: one per head
}

// Found by fuzzing (tests/fuzz/fuzz_config): a name the system refuses to look up threw
// std::filesystem_error instead of an error naming the file.
TEST(Config, ExtendsANameTooLongToLookUp) {
  TempDir dir;
  write_file(dir / "child.yaml", "extends: " + std::string(300, 'x') + "\nseed: 1\n");
  EXPECT_NE(error_of(dir / "child.yaml").find("xxx: cannot look up the config file (File name too long)"), std::string::npos)
      << error_of(dir / "child.yaml");
}

TEST(Config, SyntheticKeysAreCheckedAgainstTheDataKind) {
  TempDir dir;
  write_file(dir / "text.yaml", "data:\n  name: tinystories\n  triggers: 5\n");
  EXPECT_NE(error_of(dir / "text.yaml").find("text.yaml:3: data.triggers: only applies to data.name: synthetic"), std::string::npos)
      << error_of(dir / "text.yaml");
  write_file(dir / "vocab.yaml", "data:\n  name: synthetic\n  task: switch\n  vocab_size: 100\n");
  EXPECT_NE(error_of(dir / "vocab.yaml").find("vocab.yaml:4: data.vocab_size: does not apply to data.name: synthetic"),
            std::string::npos);
  write_file(dir / "bos.yaml", "data:\n  name: synthetic\n  task: switch\n  bos_per_document: false\n");
  EXPECT_NE(error_of(dir / "bos.yaml").find("bos.yaml:4: data.bos_per_document: does not apply to data.name: synthetic"),
            std::string::npos)
      << error_of(dir / "bos.yaml");
  write_file(dir / "task.yaml", "data:\n  name: synthetic\n  task: copy\n");
  EXPECT_NE(error_of(dir / "task.yaml").find("data.task: 'copy' is not one of: bigram-backcopy, switch"), std::string::npos);
  write_file(dir / "first.yaml", "data:\n  name: synthetic\n  task: switch\n  bos: false\n  first: random\n");
  EXPECT_NE(error_of(dir / "first.yaml").find("data.first: needs data.bos: true"), std::string::npos);
  write_file(dir / "triggers.yaml", "data:\n  name: synthetic\n  task: switch\n  symbols: 8\n  triggers: 8\n");
  EXPECT_NE(error_of(dir / "triggers.yaml").find("data.triggers: must be in [1, data.symbols - 1 = 7], got 8"), std::string::npos);
  // A resolved synthetic config (every key present, defaults elsewhere) loads again.
  write_file(dir / "ok.yaml", "data:\n  name: synthetic\n  task: bigram-backcopy\n");
  write_file(dir / "resolved.yaml", train::resolved_yaml(train::load_config(dir / "ok.yaml")));
  EXPECT_NO_THROW(train::load_config(dir / "resolved.yaml"));
}

TEST(Config, ConfigsReadmeHoldsTheKeyTableTheSectionsDeclare) {
  const std::string readme = read_file(std::string(SINKLAB_SOURCE_DIR) + "/configs/README.md");
  ASSERT_FALSE(readme.empty());
  EXPECT_NE(readme.find(train::keys_markdown()), std::string::npos)
      << "configs/README.md is out of date: run scripts/generated-docs.sh";
  for (const auto& [key, doc] : train::config_keys()) EXPECT_FALSE(doc.empty()) << key;
}

TEST(Config, ShippedConfigsLoad) {
  for (const char* name : {"tinystories-tiny.yaml", "gpt2-tiny.yaml", "wikitext2-small.yaml", "tinystories-emergence.yaml",
                           "synthetic/bigram-backcopy.yaml", "synthetic/switch.yaml"})
    EXPECT_NO_THROW(train::load_config(std::string(SINKLAB_SOURCE_DIR) + "/configs/" + name)) << name;
  const auto variants = train::load_ablation(std::string(SINKLAB_SOURCE_DIR) + "/configs/ablations/attention-variants.yaml");
  EXPECT_EQ(variants.runs.size(), 6u);
  const auto decay = train::load_ablation(std::string(SINKLAB_SOURCE_DIR) + "/configs/ablations/weight-decay.yaml");
  ASSERT_EQ(decay.runs.size(), 4u);
  EXPECT_EQ(decay.runs[1].name, "weight_decay-0.1-s0");
  const auto sw = train::load_ablation(std::string(SINKLAB_SOURCE_DIR) + "/configs/ablations/switch.yaml");
  EXPECT_EQ(sw.runs.size(), 12u);
  const auto emergence = train::load_ablation(std::string(SINKLAB_SOURCE_DIR) + "/configs/ablations/attention-variants-emergence.yaml");
  EXPECT_EQ(emergence.runs.size(), 18u);  // 6 variants x 3 seeds
  EXPECT_NO_THROW(train::load_config(std::string(SINKLAB_SOURCE_DIR) + "/configs/tinystories-bpe-reference.yaml"));
  EXPECT_EQ(train::load_ablation(std::string(SINKLAB_SOURCE_DIR) + "/configs/ablations/cost-vs-width.yaml").runs.size(), 72u);
  EXPECT_EQ(train::load_ablation(std::string(SINKLAB_SOURCE_DIR) + "/configs/ablations/cost-vs-width-long.yaml").runs.size(), 27u);
}

}  // namespace
}  // namespace sinklab::testing
