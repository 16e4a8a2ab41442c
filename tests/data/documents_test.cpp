#include "data/documents.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "support/temp_dir.h"

namespace sinklab::testing {
namespace {

using data::TextFormat;

TEST(Documents, TinyStoriesSplitsOnEndOfText) {
  const std::string text = "One day.\nA dog.\n<|endoftext|>\nTwo.\n\nParagraph.\n<|endoftext|>\n";
  const auto docs = data::split_documents(text, TextFormat::tinystories);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], "One day.\nA dog.");
  EXPECT_EQ(docs[1], "Two.\n\nParagraph.");  // blank lines inside a story stay
}

TEST(Documents, WikiTextSplitsAtArticleHeadingsOnly) {
  const std::string text = " \n = Alpha = \n \n Text a .\n \n = = Section = = \n More a .\n = Beta = \n Text b .\n";
  const auto docs = data::split_documents(text, TextFormat::wikitext);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_TRUE(docs[0].starts_with("= Alpha ="));
  EXPECT_NE(docs[0].find("= = Section = ="), std::string_view::npos);
  EXPECT_EQ(docs[1], "= Beta = \n Text b .");
}

TEST(Documents, PlainTextSplitsOnBlankLines) {
  const auto docs = data::split_documents("a\nb\n\n\nc\n", TextFormat::plain);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], "a\nb");
  EXPECT_EQ(docs[1], "c");
}

TEST(Documents, BadFilesGiveClearErrors) {
  TempDir dir;
  write_file(dir / "empty.txt", "");
  write_file(dir / "latin1.txt", "line one\ncaf\xe9\n");
  write_file(dir / "ok.txt", "caf\xc3\xa9\n");
  EXPECT_THROW(data::read_text_file(dir / "missing.txt"), Error);
  try {
    data::read_text_file(dir / "empty.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos);
  }
  try {
    data::read_text_file(dir / "latin1.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("latin1.txt:2: data file is not UTF-8"), std::string::npos) << e.what();
  }
  EXPECT_EQ(data::read_text_file(dir / "ok.txt"), "caf\xc3\xa9\n");
}

}  // namespace
}  // namespace sinklab::testing
