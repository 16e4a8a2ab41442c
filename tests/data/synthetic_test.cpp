// Synthetic tasks follow their definitions (docs/experiments.md), are fixed by the seed, and
// resume exactly from a saved generator state.
#include "data/synthetic.h"

#include <gtest/gtest.h>

#include <set>

#include "data/dataset.h"
#include "support/temp_dir.h"

namespace sinklab::testing {
namespace {

data::DataConfig task_config(const std::string& task) {
  data::DataConfig c;
  c.name = "synthetic";
  c.task = task;
  c.symbols = 16;
  c.triggers = 3;
  c.context = 48;
  return c;
}

std::vector<std::int32_t> ints(const Tensor& t) { return t.to_vector<std::int32_t>(); }

TEST(Synthetic, BigramBackcopyCopiesTheTokenBeforeEachTrigger) {
  const auto task = std::make_shared<const data::SyntheticTask>(data::make_task(task_config("bigram-backcopy"), 5));
  ASSERT_EQ(task->triggers.size(), 3u);
  data::SyntheticSource source(task, 48, 16, 9);
  const std::int64_t T = 48;
  std::int64_t copies = 0, positions = 0;
  for (int n = 0; n < 4; ++n) {
    const data::Batch b = source.next();
    const auto in = ints(b.inputs), tg = ints(b.targets), na = ints(b.needs_attention);
    for (std::int64_t s = 0; s < 16; ++s) {
      const auto* x = &in[s * T];
      const auto* y = &tg[s * T];
      const auto* c = &na[s * T];
      EXPECT_EQ(x[0], task->bos());
      EXPECT_FALSE(task->is_trigger[x[1]]) << "x1 comes from the non-trigger marginal";
      for (std::int64_t p = 0; p < T; ++p) {
        if (p + 1 < T) {
          EXPECT_EQ(y[p], x[p + 1]) << "next-token targets";
        }
        ASSERT_GE(y[p], 0);
        ASSERT_LT(y[p], 16);
        const bool after_trigger = p >= 2 && task->is_trigger[x[p]];
        EXPECT_EQ(c[p], after_trigger ? 1 : 0) << "position " << p;
        if (after_trigger) {
          EXPECT_EQ(y[p], x[p - 1]) << "a trigger's target is the token before it";
        }
        copies += c[p];
        ++positions;
      }
    }
  }
  EXPECT_GT(copies, positions / 50) << "triggers occur";
}

TEST(Synthetic, BigramTransitionsFollowTheTable) {
  data::DataConfig c = task_config("bigram-backcopy");
  c.triggers = 1;
  const auto task = std::make_shared<const data::SyntheticTask>(data::make_task(c, 3));
  data::SyntheticSource source(task, 64, 64, 4);
  std::vector<std::vector<double>> counts(16, std::vector<double>(16, 0.0));
  for (int n = 0; n < 200; ++n) {
    const data::Batch b = source.next();
    const auto in = ints(b.inputs), tg = ints(b.targets), na = ints(b.needs_attention);
    for (std::size_t i = 0; i < in.size(); ++i)
      if (in[i] < 16 && !na[i]) counts[in[i]][tg[i]] += 1;
  }
  int checked = 0;
  for (std::int32_t a = 0; a < 16; ++a) {
    if (task->is_trigger[a]) continue;
    double total = 0;
    for (double v : counts[a]) total += v;
    if (total < 1000) continue;  // a rarely visited state: too few draws to compare
    for (std::int32_t b = 0; b < 16; ++b) {
      const double p = task->bigram[a][b] - (b > 0 ? task->bigram[a][b - 1] : 0.0);
      EXPECT_NEAR(counts[a][b] / total, p, 0.04) << a << " -> " << b;
      ++checked;
    }
  }
  EXPECT_GE(checked, 8 * 16) << "most rows are compared";
}

TEST(Synthetic, BigramsFromATextFile) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 500; ++i) text += "abcab";
  write_file(dir / "t.txt", text);
  data::DataConfig c = task_config("bigram-backcopy");
  c.symbols = 3;
  c.triggers = 1;
  c.bigram_from = (dir / "t.txt").string();
  const auto task = data::make_task(c, 0);
  // Symbols by frequency: a, b (1000 each, in byte order), c (500). 'c' is always followed by 'a'.
  const auto& row_c = task.bigram[2];
  EXPECT_GT(row_c[0], 0.99);
  c.bigram_from = (dir / "missing.txt").string();
  EXPECT_THROW(data::make_task(c, 0), Error);
  c.bigram_from = (dir / "t.txt").string();
  c.symbols = 4;
  EXPECT_THROW(data::make_task(c, 0), Error) << "3 distinct bytes cannot make 4 symbols";
}

TEST(Synthetic, SwitchTargetsAreACopyAfterATriggerAndAFunctionElsewhere) {
  for (const char* first : {"bos", "random"}) {
    for (bool bos : {true, false}) {
      if (!bos && std::string(first) == "random") continue;
      data::DataConfig c = task_config("switch");
      c.first = first;
      c.bos = bos;
      const auto task = std::make_shared<const data::SyntheticTask>(data::make_task(c, 2));
      data::SyntheticSource source(task, 32, 32, 1);
      const data::Batch b = source.next();
      const auto in = ints(b.inputs), tg = ints(b.targets), na = ints(b.needs_attention);
      bool saw_copy = false;
      for (std::int64_t s = 0; s < 32; ++s) {
        const std::int64_t p0 = bos ? 1 : 0;
        const auto* x = &in[s * 32];
        if (bos) {
          EXPECT_EQ(b.targets.data<std::int32_t>()[s * 32], data::ignore_index);
          if (std::string(first) == "bos") {
            EXPECT_EQ(x[0], task->bos());
          } else {
            EXPECT_LT(x[0], 16);
          }
        }
        EXPECT_FALSE(task->is_trigger[x[p0]]);
        for (std::int64_t p = p0; p < 32; ++p) {
          const bool copy = p > p0 && task->is_trigger[x[p]];
          EXPECT_EQ(na[s * 32 + p], copy ? 1 : 0);
          EXPECT_EQ(tg[s * 32 + p], copy ? x[p - 1] : task->function[x[p]]) << first << " " << p;
          saw_copy |= copy;
        }
      }
      EXPECT_TRUE(saw_copy);
    }
  }
}

TEST(Synthetic, RandomFirstTokensVary) {
  data::DataConfig c = task_config("switch");
  c.first = "random";
  const auto task = std::make_shared<const data::SyntheticTask>(data::make_task(c, 2));
  data::SyntheticSource source(task, 8, 64, 1);
  const auto in = ints(source.next().inputs);
  std::set<std::int32_t> firsts;
  for (int s = 0; s < 64; ++s) firsts.insert(in[s * 8]);
  EXPECT_GT(firsts.size(), 8u);
  EXPECT_EQ(firsts.count(task->bos()), 0u);
}

TEST(Synthetic, TheSeedFixesTheTaskAndTheStream) {
  for (const char* kind : {"bigram-backcopy", "switch"}) {
    const auto c = task_config(kind);
    const auto a = data::make_task(c, 7), b = data::make_task(c, 7), other = data::make_task(c, 8);
    EXPECT_EQ(a.triggers, b.triggers);
    EXPECT_EQ(a.bigram, b.bigram);
    EXPECT_EQ(a.function, b.function);
    EXPECT_TRUE(a.triggers != other.triggers || a.bigram != other.bigram || a.function != other.function) << kind;
    const auto task = std::make_shared<const data::SyntheticTask>(a);
    data::SyntheticSource s1(task, 32, 4, 11), s2(task, 32, 4, 11), s3(task, 32, 4, 12);
    const auto b1 = s1.next(), b2 = s2.next(), b3 = s3.next();
    EXPECT_EQ(ints(b1.inputs), ints(b2.inputs));
    EXPECT_EQ(ints(b1.targets), ints(b2.targets));
    EXPECT_NE(ints(b1.inputs), ints(b3.inputs));
  }
}

TEST(Synthetic, ASavedStateResumesTheStreamExactly) {
  const auto task = std::make_shared<const data::SyntheticTask>(data::make_task(task_config("bigram-backcopy"), 1));
  data::SyntheticSource a(task, 32, 4, 3);
  for (int i = 0; i < 3; ++i) a.next();
  const data::LoaderState saved = a.state();
  const auto next1 = a.next(), next2 = a.next();
  data::SyntheticSource b(task, 32, 4, 99);
  b.set_state(saved);
  EXPECT_EQ(ints(b.next().inputs), ints(next1.inputs));
  EXPECT_EQ(ints(b.next().needs_attention), ints(next2.needs_attention));
}

TEST(Synthetic, ClassTargetsKeepOneClass) {
  data::Batch b{Tensor::from_vector(std::vector<std::int32_t>{1, 2, 3, 4}, {1, 4}),
                Tensor::from_vector(std::vector<std::int32_t>{5, 6, data::ignore_index, 8}, {1, 4}),
                Tensor::from_vector(std::vector<std::int32_t>{1, 0, 1, 0}, {1, 4})};
  EXPECT_EQ(ints(data::class_targets(b, true)), (std::vector<std::int32_t>{5, data::ignore_index, data::ignore_index, data::ignore_index}));
  EXPECT_EQ(ints(data::class_targets(b, false)), (std::vector<std::int32_t>{data::ignore_index, 6, data::ignore_index, 8}));
  b.needs_attention = Tensor();
  EXPECT_THROW(data::class_targets(b, true), Error);
}

}  // namespace
}  // namespace sinklab::testing
