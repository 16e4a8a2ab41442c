#pragma once
// Batches of (inputs, targets) from a token file.
//
// window document: each sequence starts at a document (with BOS when bos is on); documents are
// taken in a seeded random order without replacement per epoch, and a document shorter than the
// sequence is followed by the next ones (each again after BOS) until the sequence is full; the rest
// of a longer document is not used; with bos_per_document off, only position 0 gets a BOS and a
// packed document follows the previous one's EOS directly. window random: each sequence starts
// at a uniformly random token of the whole stream (after BOS when bos is on). Targets equal to
// BOS are ignored (-100): nothing predicts a BOS.
#include <cstdint>
#include <vector>

#include "data/batch.h"
#include "data/token_file.h"

namespace sinklab::data {

class Loader : public BatchSource {
 public:
  Loader(const TokenFile& tokens, std::int64_t context, std::int64_t batch_size, bool bos, bool random_window,
         std::int32_t bos_id, std::uint64_t seed, bool bos_per_document = true);

  Batch next() override;

  LoaderState state() const override;
  void set_state(const LoaderState& state) override;

 private:
  std::uint64_t next_document();
  void fill_sequence(std::int32_t* seq, std::int64_t length);
  void shuffle_epoch();

  const TokenFile& tokens_;
  std::int64_t context_, batch_size_;
  bool bos_, random_window_, bos_per_document_;
  std::int32_t bos_id_;
  std::uint64_t seed_;
  std::uint64_t epoch_ = 0, cursor_ = 0;
  std::vector<std::uint64_t> order_;
  Rng rng_;
};

}  // namespace sinklab::data
