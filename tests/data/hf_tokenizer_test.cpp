// Hugging Face tokenizers against tests/golden/hf/ (make_tokenizer_golden.py): GPT-2's
// byte-level BPE against a transcription of OpenAI's encoder.py, SentencePiece against python
// sentencepiece's encode of the whole text.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sentencepiece_trainer.h>

#include <thread>

#include "data/dataset.h"
#include "data/gpt2_tokenizer.h"
#include "data/tokenizer.h"
#include "data/tokenizer_files.h"
#include "engine/error.h"
#include "support/temp_dir.h"
#include "train/config.h"

namespace sinklab::testing {
namespace {

namespace fs = std::filesystem;
const fs::path hf = fs::path(SINKLAB_GOLDEN_DIR) / "hf";

nlohmann::json golden() { return nlohmann::json::parse(read_file(hf / "tokenizer_encodings.json")); }

// The message of the Error `f` throws ("(no error)" when it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A copy of the GPT-2 fixture whose files a test may change.
fs::path gpt2_copy(const TempDir& dir) {
  fs::copy(hf / "gpt2" / data::gpt2_vocab_file, dir / data::gpt2_vocab_file);
  fs::copy(hf / "gpt2" / data::gpt2_merges_file, dir / data::gpt2_merges_file);
  return dir.path();
}

// The fixture's ids for every test text (`fixture`: gpt2 or llama), the text back from them, and
// BOS and EOS dropped by decode.
void expect_golden(const data::Tokenizer& tok, const std::string& fixture) {
  const auto g = golden();
  EXPECT_EQ(tok.vocab_size(), g.at(fixture + "_vocab_size").get<std::int64_t>());
  for (const auto& c : g.at("cases")) {
    const auto text = c.at("text").get<std::string>();
    const auto ids = tok.encode(text);
    EXPECT_EQ(ids, c.at(fixture).get<std::vector<std::int32_t>>()) << text;
    EXPECT_EQ(tok.decode(ids), text);
  }
  std::vector<std::int32_t> ids{tok.bos()};
  for (auto id : tok.encode("Hi")) ids.push_back(id);
  ids.push_back(tok.eos());
  EXPECT_EQ(tok.decode(ids), "Hi");
}

TEST(Gpt2Tokenizer, MatchesOpenAisEncoderAndRoundTrips) {
  const auto tok = data::load_gpt2_tokenizer(hf / "gpt2");
  expect_golden(*tok, "gpt2");
  // <|endoftext|> is the last id, and both BOS and EOS.
  EXPECT_EQ(tok->bos(), tok->vocab_size() - 1);
  EXPECT_EQ(tok->eos(), tok->vocab_size() - 1);
  EXPECT_TRUE(tok->key().starts_with("gpt2-")) << tok->key();
}

TEST(Gpt2Tokenizer, EncodesBytesThatAreNotUtf8) {
  const auto tok = data::load_gpt2_tokenizer(hf / "gpt2");
  for (const std::string text : {"ab\xff\xfe cd\xc3", "\xe6\x9d", " \x80 the\tend\xf0\x9f\x99"}) {
    const auto ids = tok->encode(text);
    EXPECT_EQ(tok->decode(ids), text);
  }
}

TEST(Gpt2Tokenizer, LongRunsAndThreadsGiveTheSameIds) {
  const auto tok = data::load_gpt2_tokenizer(hf / "gpt2");
  // Backtracking over \s+(?!\S) and long pieces stay within PCRE2's stacks.
  const std::string text = std::string(200000, ' ') + std::string(200000, 'a') + " " + std::string(100000, '\n') + "x";
  const auto ids = tok->encode(text);
  EXPECT_EQ(tok->decode(ids), text);
  const std::string doc = golden().at("cases")[0].at("text").get<std::string>();
  const auto expected = tok->encode(doc);
  std::vector<std::thread> threads;
  std::vector<int> same(4, 0);
  for (std::size_t t = 0; t < same.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) same[t] += tok->encode(doc) == expected;
    });
  for (auto& t : threads) t.join();
  for (int s : same) EXPECT_EQ(s, 200);
}

TEST(Gpt2Tokenizer, SpecialTokensComeFromTheConfigFiles) {
  TempDir dir;
  const fs::path folder = gpt2_copy(dir);
  const auto base = data::load_gpt2_tokenizer(folder);
  const std::int32_t the = base->encode(" the").at(0), t = base->encode("t").at(0);
  write_file(dir / data::hf_tokenizer_config_file,
             R"({"model_max_length": 1024, "bos_token": {"content": "Ġthe", "lstrip": false}, "eos_token": null})");
  const auto configured = data::load_gpt2_tokenizer(folder);
  EXPECT_EQ(configured->bos(), the);
  EXPECT_EQ(configured->eos(), base->eos());  // null: the default
  EXPECT_NE(configured->key(), base->key());  // BOS and EOS enter token caches
  write_file(dir / data::hf_special_tokens_file, R"({"eos_token": "t"})");
  const auto mapped = data::load_gpt2_tokenizer(folder);
  EXPECT_EQ(mapped->bos(), the);
  EXPECT_EQ(mapped->eos(), t);
  write_file(dir / data::hf_special_tokens_file, R"({"bos_token": "<s>"})");
  EXPECT_NE(error_of([&] { data::load_gpt2_tokenizer(folder); })
                .find((dir / data::hf_special_tokens_file).string() + ": the bos_token '<s>' is not in " +
                      (dir / data::gpt2_vocab_file).string()),
            std::string::npos);
  write_file(dir / data::hf_special_tokens_file, R"({"bos_token": 7})");
  EXPECT_NE(error_of([&] { data::load_gpt2_tokenizer(folder); }).find("bos_token must be a string or an object"), std::string::npos);
}

TEST(Gpt2Tokenizer, BrokenFilesAreNamed) {
  TempDir dir;
  const fs::path folder = gpt2_copy(dir);
  const std::string vocab = read_file(dir / data::gpt2_vocab_file), merges = read_file(dir / data::gpt2_merges_file);
  const std::string vocab_file = (dir / data::gpt2_vocab_file).string(), merges_file = (dir / data::gpt2_merges_file).string();
  auto error = [&] { return error_of([&] { data::load_gpt2_tokenizer(folder); }); };
  auto expect = [&](const std::string& message) {
    const std::string e = error();
    EXPECT_NE(e.find(message), std::string::npos) << e;
  };

  fs::remove(dir / data::gpt2_merges_file);
  expect(merges_file + ": cannot read");
  write_file(dir / data::gpt2_merges_file, merges + "Ġthe\n");
  expect(merges_file + ":" + std::to_string(std::count(merges.begin(), merges.end(), '\n') + 1) +
         ": a merge is two symbols separated by one space, got 'Ġthe'");
  write_file(dir / data::gpt2_merges_file, merges + "Ġt hx\n");
  expect("the symbol 'hx' is not in vocab.json");
  write_file(dir / data::gpt2_merges_file, merges + "x y\n");
  expect("the merge result 'xy' is not in vocab.json");
  write_file(dir / data::gpt2_merges_file, merges);

  write_file(dir / data::gpt2_vocab_file, vocab.substr(0, vocab.size() / 2));
  expect(vocab_file + ": not valid JSON");
  nlohmann::json v = nlohmann::json::parse(vocab);
  auto with = [&](const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json changed = v;
    change(changed);
    write_file(dir / data::gpt2_vocab_file, changed.dump());
  };
  with([](nlohmann::json& j) { j["!"] = 1; });
  expect(vocab_file + ": '!' and '\"' have the same id 1");
  with([&](nlohmann::json& j) { j["!"] = v.size(); });
  expect(fmt::format("{}: the id {} of '!' is outside [0, {})", vocab_file, v.size(), v.size()));
  with([](nlohmann::json& j) { j["!"] = "0"; });
  expect(vocab_file + ": the id of '!' is \"0\", not an integer");
  with([](nlohmann::json& j) { j = nlohmann::json::array({1, 2}); });
  expect(vocab_file + ": expected a non-empty object");
  with([&](nlohmann::json& j) {
    j.erase("Ā");  // byte 0; the last id moves into its place
    for (auto& [token, id] : j.items())
      if (id == v.size() - 1) id = v.at("Ā");
  });
  expect(vocab_file + ": the byte symbol 'Ā' (byte 0x00) is missing");
}

TEST(HfSentencePiece, MatchesPythonSentencePieceOnWholeTexts) {
  const auto tok = data::load_sentencepiece_tokenizer(hf / "llama" / data::sentencepiece_model_file);
  expect_golden(*tok, "llama");
  EXPECT_EQ(tok->bos(), 1);
  EXPECT_EQ(tok->eos(), 2);
  EXPECT_TRUE(tok->key().starts_with("sentencepiece-")) << tok->key();
  // sinklab's own kind encodes the same model line by line: a different tokenizer, another key.
  const auto bpe = data::load_bpe_tokenizer(hf / "llama" / data::sentencepiece_model_file);
  EXPECT_NE(bpe->key(), tok->key());
  EXPECT_NE(bpe->encode("a\nb"), tok->encode("a\nb"));
}

TEST(HfSentencePiece, AModelWithoutBosIsRefused) {
  TempDir dir;
  write_file(dir / "corpus.txt", "the cat sat on the mat\nthe dog sat on the log\n");
  const auto status = sentencepiece::SentencePieceTrainer::Train(
      "--input=" + (dir / "corpus.txt").string() + " --model_prefix=" + (dir / "m").string() +
      " --vocab_size=30 --model_type=bpe --bos_id=-1 --eos_id=1 --unk_id=0 --minloglevel=2");
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_NE(error_of([&] { data::load_sentencepiece_tokenizer(dir / "m.model"); })
                .find((dir / "m.model").string() + ": the SentencePiece model has no BOS piece"),
            std::string::npos);
}

TEST(HfTokenizers, LoadFromTheRunFolderAndSaySoWhenMissing) {
  TempDir dir;
  data::DataConfig c;
  c.name = "text";
  c.tokenizer = "gpt2";
  const std::string e = error_of([&] { data::load_tokenizer(c, dir.path()); });
  EXPECT_NE(e.find((dir / "vocab.json").string() + ": missing; data.tokenizer gpt2 needs vocab.json and merges.txt in the run "
                                                   "folder (`sinklab import hf` puts them there)"),
            std::string::npos)
      << e;
  gpt2_copy(dir);
  EXPECT_EQ(data::load_tokenizer(c, dir.path())->vocab_size(), golden().at("gpt2_vocab_size").get<std::int64_t>());
  c.tokenizer = "sentencepiece";
  EXPECT_NE(error_of([&] { data::load_tokenizer(c, dir.path()); }).find("data.tokenizer sentencepiece needs tokenizer.model"),
            std::string::npos);
  EXPECT_EQ(data::load_tokenizer(c, hf / "llama")->vocab_size(), golden().at("llama_vocab_size").get<std::int64_t>());

  EXPECT_EQ(data::tokenizer_files("gpt2").required, (std::vector<std::string>{"vocab.json", "merges.txt"}));
  EXPECT_EQ(data::tokenizer_files("gpt2").optional, (std::vector<std::string>{"tokenizer_config.json", "special_tokens_map.json"}));
  EXPECT_EQ(data::tokenizer_files("sentencepiece").required, std::vector<std::string>{"tokenizer.model"});
  EXPECT_TRUE(data::tokenizer_files("byte").required.empty());
}

TEST(HfTokenizers, VocabSizeDoesNotApply) {
  TempDir dir;
  write_file(dir / "ok.yaml", "data:\n  tokenizer: sentencepiece\n");
  EXPECT_EQ(train::load_config(dir / "ok.yaml").data.tokenizer, "sentencepiece");
  write_file(dir / "vocab.yaml", "data:\n  tokenizer: gpt2\n  vocab_size: 512\n");
  const std::string e = error_of([&] { train::load_config(dir / "vocab.yaml"); });
  EXPECT_NE(e.find("vocab.yaml:3: data.vocab_size: only applies to data.tokenizer: bpe (the gpt2 vocabulary"), std::string::npos) << e;
}

}  // namespace
}  // namespace sinklab::testing
