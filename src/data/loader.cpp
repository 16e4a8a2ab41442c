#include "data/loader.h"

#include <algorithm>

#include <numeric>

#include "engine/error.h"

namespace sinklab::data {

Loader::Loader(const TokenFile& tokens, std::int64_t context, std::int64_t batch_size, bool bos, bool random_window,
               std::int32_t bos_id, std::uint64_t seed, bool bos_per_document)
    : tokens_(tokens),
      context_(context),
      batch_size_(batch_size),
      bos_(bos),
      random_window_(random_window),
      bos_per_document_(bos_per_document),
      bos_id_(bos_id),
      seed_(seed),
      rng_(seed) {
  if (tokens.documents() == 0 || tokens.tokens() == 0) fail("Loader: the token file holds no documents");
  if (random_window && tokens.tokens() < static_cast<std::uint64_t>(context + 1))
    fail("Loader: {} tokens are fewer than one window of {}", tokens.tokens(), context + 1);
  shuffle_epoch();
}

void Loader::shuffle_epoch() {
  // The order depends only on (seed, epoch), so a saved (epoch, cursor) restores it exactly.
  order_.resize(tokens_.documents());
  std::iota(order_.begin(), order_.end(), 0);
  Rng shuffle(seed_ * 0x9E3779B97F4A7C15ULL + epoch_ + 1);
  for (std::size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[shuffle.below(i)]);
}

std::uint64_t Loader::next_document() {
  if (cursor_ == order_.size()) {
    ++epoch_;
    cursor_ = 0;
    shuffle_epoch();
  }
  return order_[cursor_++];
}

void Loader::fill_sequence(std::int32_t* seq, std::int64_t length) {
  std::int64_t n = 0;
  if (random_window_) {
    const std::uint64_t body = static_cast<std::uint64_t>(length - (bos_ ? 1 : 0));
    const std::uint64_t start = rng_.below(tokens_.tokens() - body + 1);
    if (bos_) seq[n++] = bos_id_;
    for (std::uint64_t i = 0; i < body; ++i) seq[n++] = tokens_.token(start + i);
    return;
  }
  while (n < length) {
    const std::uint64_t d = next_document();
    if (bos_ && (n == 0 || bos_per_document_)) seq[n++] = bos_id_;
    for (std::uint64_t i = tokens_.doc_begin(d); i < tokens_.doc_end(d) && n < length; ++i) seq[n++] = tokens_.token(i);
  }
}

Batch Loader::next() {
  const std::int64_t B = batch_size_, T = context_;
  Batch batch{Tensor::empty({B, T}, DType::i32), Tensor::empty({B, T}, DType::i32), Tensor()};
  std::vector<std::int32_t> seq(static_cast<std::size_t>(T + 1));
  std::int32_t* in = batch.inputs.data<std::int32_t>();
  std::int32_t* tg = batch.targets.data<std::int32_t>();
  for (std::int64_t b = 0; b < B; ++b) {
    fill_sequence(seq.data(), T + 1);
    for (std::int64_t t = 0; t < T; ++t) {
      in[b * T + t] = seq[t];
      tg[b * T + t] = seq[t + 1] == bos_id_ && bos_ ? ignore_index : seq[t + 1];
    }
  }
  return batch;
}

LoaderState Loader::state() const { return {epoch_, cursor_, rng_.state()}; }

void Loader::set_state(const LoaderState& s) {
  epoch_ = s.epoch;
  shuffle_epoch();
  if (s.cursor > order_.size()) fail("Loader: saved position {} is past the {} documents of the data", s.cursor, order_.size());
  cursor_ = s.cursor;
  if (std::all_of(s.rng.begin(), s.rng.end(), [](std::uint64_t w) { return w == 0; }))
    fail("Loader: the saved random state is all zeros, which the generator never reaches (a damaged checkpoint)");
  rng_.set_state(s.rng);
}

}  // namespace sinklab::data
