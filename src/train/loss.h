#pragma once
// The training loss of a batch, and the loss per query class of synthetic tasks.
#include <optional>

#include "data/batch.h"
#include "nn/transformer.h"

namespace sinklab::train {

// The mean loss over the counted targets of one query class, accumulated over batches (each
// target counts once, whatever its batch holds); empty when no target was counted.
struct ClassLoss {
  double sum = 0, count = 0;
  void add(const Tensor& logits, const Tensor& targets);  // without gradients
  std::optional<double> mean() const;
};

// The mean loss of one batch, with gradients when grad mode is on. A batch with query classes (a
// synthetic task) also adds its class losses into attn and free, which needs the logits; any other
// goes through the fused head and never makes them.
Tensor batch_loss(const nn::Transformer& model, const data::Batch& batch, ClassLoss& attn, ClassLoss& free);

}  // namespace sinklab::train
