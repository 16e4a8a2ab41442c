#include "data/loader.h"

#include <gtest/gtest.h>

#include <set>

#include "data/token_file.h"
#include "support/temp_dir.h"

namespace sinklab::testing {
namespace {

constexpr std::int32_t BOS = 100, EOS = 101;

// Document d holds tokens d*10 + 0, 1, ... (length lengths[d]) and then EOS.
std::filesystem::path make_token_file(const TempDir& dir, const std::vector<int>& lengths) {
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::int32_t> tokens;
  for (std::size_t d = 0; d < lengths.size(); ++d) {
    for (int i = 0; i < lengths[d]; ++i) tokens.push_back(static_cast<std::int32_t>(d * 10 + i));
    tokens.push_back(EOS);
    offsets.push_back(tokens.size());
  }
  const auto path = dir / "tokens.bin";
  data::write_token_file(path, {102, lengths.size(), tokens.size(), "test", "sha"}, offsets, tokens);
  return path;
}

TEST(Loader, SequencesStartAtDocumentsWithBosAndPackShortOnes) {
  TempDir dir;
  data::TokenFile file(make_token_file(dir, {3, 2, 8, 1, 4}));
  data::Loader loader(file, 8, 4, true, false, BOS, 7);
  for (int b = 0; b < 3; ++b) {
    const auto batch = loader.next();
    for (std::int64_t s = 0; s < 4; ++s) {
      EXPECT_EQ(batch.inputs.at({s, 0}), BOS);
      const auto first = static_cast<std::int32_t>(batch.inputs.at({s, 1}));
      EXPECT_NE(first, BOS) << "one BOS, then the document";
      EXPECT_EQ(first % 10, 0) << "sequence must begin at a document's first token";
      for (std::int64_t t = 0; t < 8; ++t) {
        const double in_next = t + 1 < 8 ? batch.inputs.at({s, t + 1}) : -1;
        const double target = batch.targets.at({s, t});
        if (t + 1 < 8) {
          EXPECT_TRUE(target == in_next || (in_next == BOS && target == data::ignore_index));
        }
        EXPECT_NE(target, BOS);
      }
    }
  }
}

// data.bos_per_document: false packs documents after their predecessor's EOS, with one BOS at
// position 0 only; the first sequence holds the same documents in the same order as with a BOS
// before each.
TEST(Loader, BosOnlyAtPositionZeroWhenNotPerDocument) {
  TempDir dir;
  data::TokenFile file(make_token_file(dir, {3, 2, 1, 4, 2, 3}));
  data::Loader once(file, 12, 2, true, false, BOS, 5, false), every(file, 12, 2, true, false, BOS, 5);
  const auto a = once.next(), b = every.next();
  for (std::int64_t s = 0; s < 2; ++s) {
    EXPECT_EQ(a.inputs.at({s, 0}), BOS);
    std::vector<std::int32_t> without_bos, reference;
    int documents = 0;
    for (std::int64_t t = 1; t < 12; ++t) {
      const auto x = static_cast<std::int32_t>(a.inputs.at({s, t}));
      EXPECT_NE(x, BOS) << "position " << t;
      EXPECT_EQ(a.targets.at({s, t - 1}), x) << "every target is predicted, EOS included";
      documents += x == EOS;
      without_bos.push_back(x);
    }
    EXPECT_GE(documents, 2) << "short documents are packed";
    if (s > 0) continue;  // later sequences start wherever the earlier ones, of other lengths, stopped
    for (std::int64_t t = 1; t < 12; ++t)
      if (const auto x = static_cast<std::int32_t>(b.inputs.at({s, t})); x != BOS) reference.push_back(x);
    without_bos.resize(reference.size());
    EXPECT_EQ(without_bos, reference);
  }
}

TEST(Loader, EveryDocumentOncePerEpoch) {
  TempDir dir;
  data::TokenFile file(make_token_file(dir, {20, 20, 20, 20, 20, 20}));  // longer than a sequence: one per sequence
  data::Loader loader(file, 8, 3, true, false, BOS, 1);
  std::multiset<std::int32_t> seen;
  for (int b = 0; b < 2; ++b) {
    const auto batch = loader.next();
    for (std::int64_t s = 0; s < 3; ++s) seen.insert(static_cast<std::int32_t>(batch.inputs.at({s, 1})) / 10);
  }
  EXPECT_EQ(seen, (std::multiset<std::int32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(loader.state().epoch, 0u);
  loader.next();
  EXPECT_EQ(loader.state().epoch, 1u);
}

TEST(Loader, SavedStateContinuesExactlyAndSeedsDiffer) {
  TempDir dir;
  data::TokenFile file(make_token_file(dir, {5, 9, 2, 7, 3, 6, 4, 8}));
  for (bool random_window : {false, true}) {
    data::Loader a(file, 6, 2, true, random_window, BOS, 11);
    for (int i = 0; i < 5; ++i) a.next();
    const auto state = a.state();
    data::Loader b(file, 6, 2, true, random_window, BOS, 11);
    b.set_state(state);
    for (int i = 0; i < 6; ++i)
      EXPECT_EQ(a.next().inputs.to_vector<std::int32_t>(), b.next().inputs.to_vector<std::int32_t>());
    data::Loader c(file, 6, 2, true, random_window, BOS, 12), d(file, 6, 2, true, random_window, BOS, 11);
    bool differ = false;
    for (int i = 0; i < 4; ++i) differ = differ || c.next().inputs.to_vector<std::int32_t>() != d.next().inputs.to_vector<std::int32_t>();
    EXPECT_TRUE(differ);
  }
}

TEST(Loader, TokenFileRejectsTruncation) {
  TempDir dir;
  const auto path = make_token_file(dir, {3, 4});
  auto bytes = read_file(path);
  write_file(dir / "cut.bin", bytes.substr(0, bytes.size() - 3));
  EXPECT_THROW(data::TokenFile(dir / "cut.bin"), Error);
}

}  // namespace
}  // namespace sinklab::testing
