#pragma once
// Wires analysis into training: the trainer knows only TrainingObserver, analysis knows no trainer.
#include <memory>

#include "analysis/recorder.h"
#include "train/observer.h"

namespace sinklab::cli {

class AnalysisObserver : public train::TrainingObserver {
 public:
  void started(const train::TrainingContext& context) override;
  std::string stepped(std::int64_t step, std::int64_t tokens, bool last) override;
  std::string finished() override;  // how the sink statistics moved, against their uniform level

 private:
  const nn::Transformer* model_ = nullptr;
  std::unique_ptr<analysis::Recorder> recorder_;
};

}  // namespace sinklab::cli
