#pragma once
// defines: Schedule — which images each step of a run sees
#include <cstdint>

#include "model/trainer.h"

namespace gan {

// Every image once per epoch, in the epoch's shuffled order, in batches of `batch`; the last
// batch of an epoch is smaller unless drop_last (PyTorch's DataLoader, drop_last=False).
struct Schedule {
  int64_t dataset_size = 0;
  int64_t batch = 0;
  bool drop_last = false;
  int64_t epochs = 0;
  int64_t step_cap = 0;  // 0: none

  int64_t steps_per_epoch() const { return drop_last ? dataset_size / batch : (dataset_size + batch - 1) / batch; }
  // The step number at which the run stops.
  int64_t total_steps() const {
    const int64_t all = epochs * steps_per_epoch();
    return step_cap > 0 && step_cap < all ? step_cap : all;
  }
  // The 1-based epoch the run ends in: `epochs`, or an earlier one when step_cap stops the run
  // first (the progress line's "epoch E/N" counts to this, not to --epochs).
  int64_t last_epoch() const {
    const int64_t per_epoch = steps_per_epoch();
    return per_epoch > 0 ? (total_steps() + per_epoch - 1) / per_epoch : epochs;
  }
  // Where 1-based step `step` takes its batch.
  StepPosition position(uint64_t step) const {
    StepPosition at;
    at.step = step;
    at.epoch = (step - 1) / static_cast<uint64_t>(steps_per_epoch());
    at.offset = static_cast<int64_t>((step - 1) % static_cast<uint64_t>(steps_per_epoch())) * batch;
    at.batch = dataset_size - at.offset < batch ? dataset_size - at.offset : batch;
    return at;
  }
};

}  // namespace gan
