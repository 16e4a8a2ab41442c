#include "data/tokenizer.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace sinklab::testing {
namespace {

TEST(Tokenizer, ByteLevelRoundTripsAnyUtf8) {
  const auto tok = data::make_byte_tokenizer();
  const std::string text = "Hi \xe2\x80\x9cthere\xe2\x80\x9d\n";
  const auto ids = tok->encode(text);
  EXPECT_EQ(ids.size(), text.size());
  EXPECT_EQ(tok->decode(ids), text);
  EXPECT_EQ(tok->vocab_size(), 258);
  EXPECT_EQ(tok->bos(), 256);
  EXPECT_EQ(tok->eos(), 257);
}

TEST(Tokenizer, BpeTrainsDeterministicallyAndRoundTrips) {
  TempDir dir;
  std::vector<std::string> storage;
  const char* words[] = {"the", "little", "dog", "ran", "to", "park", "and", "saw", "a", "big", "red", "ball", "happy"};
  for (int d = 0; d < 300; ++d) {
    std::string doc;
    for (int w = 0; w < 40; ++w) doc += std::string(words[(d * 7 + w * 3) % 13]) + (w % 9 == 8 ? ".\n" : " ");
    storage.push_back(doc);
  }
  const std::vector<std::string_view> docs(storage.begin(), storage.end());
  data::train_bpe_tokenizer(docs, 320, dir / "a.model");
  data::train_bpe_tokenizer(docs, 320, dir / "b.model");
  const auto tok = data::load_bpe_tokenizer(dir / "a.model");
  const auto again = data::load_bpe_tokenizer(dir / "b.model");
  std::string all;
  for (const auto& d : storage) all += d;
  EXPECT_EQ(tok->encode(all), again->encode(all));  // the same merges, in the same order
  EXPECT_EQ(tok->vocab_size(), 320);
  const std::string text = "the little dog saw a red ball.\nThe park \xc3\xa9!";
  const auto ids = tok->encode(text);
  EXPECT_LT(ids.size(), text.size());  // merges happened
  EXPECT_EQ(tok->decode(ids), text);   // and nothing was lost (byte fallback for the unseen)
  EXPECT_TRUE(tok->key().starts_with("bpe-"));
}

}  // namespace
}  // namespace sinklab::testing
