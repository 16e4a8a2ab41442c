#pragma once
// data.* in configs: where the tokens come from (a data set, your own text, random ids, or a
// synthetic task), how they are tokenized and cut into sequences.
#include <cstdint>
#include <string>

#include "io/config_section.h"

namespace sinklab::data {

struct DataConfig {
  std::string name = "tinystories";  // a data set of data/manifest (tinystories, wikitext2, ...), text, random or synthetic
  std::string path;                  // data.name text: the training file (valid_path for validation)
  std::string valid_path;
  std::string train_split = "train";  // which manifest splits train and validate on
  std::string valid_split = "valid";
  std::string tokenizer = "bpe";  // byte | bpe | gpt2 | sentencepiece (the last two: Hugging Face files in the run folder)
  std::int64_t vocab_size = 4096;  // bpe only; byte level is always 256 + BOS + EOS, the others their files' vocabulary
  std::int64_t context = 128;
  bool bos = true;                   // every sequence starts with BOS
  bool bos_per_document = true;      // window document: BOS before every packed document, or at position 0 only
  std::string window = "document";   // document: sequences start at document starts; random: anywhere
  // data.name synthetic (data/synthetic.h, docs/experiments.md)
  std::string task;                  // bigram-backcopy | switch
  std::int64_t symbols = 64;         // V ordinary tokens (BOS and EOS come on top)
  std::int64_t triggers = 3;         // trigger tokens, drawn from the seed
  std::string first = "bos";         // bos | random: what fills the first position when data.bos is on
  double dirichlet = 0.1;            // bigram-backcopy: concentration of the random bigram rows
  std::string bigram_from;           // bigram-backcopy: estimate the bigrams from this text file instead
};

// The data.* keys, their docs and rules.
const config::Section<DataConfig>& data_section();

}  // namespace sinklab::data
