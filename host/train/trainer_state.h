#pragma once
// defines: StepOptions, step_options, fresh_trainer_state, check_trainer_state — what both trainers share
#include "adam_settings.h"
#include "train/config.h"
#include "train/trainer.h"

namespace gan {

// The settings that define the step, the same for the CPU and the GPU trainer.
struct StepOptions {
  uint64_t seed = 0;
  AdamSettings adam;
  float norm_mean = 0.5f, norm_std = 0.5f;  // images scaled as (x/255 - mean) / std
};

// The step's settings of a run's config.
StepOptions step_options(const TrainConfig& config);

// Both networks initialised from the seed (PyTorch's nn.Linear init), Adam moments zero.
TrainerState fresh_trainer_state(const ModelSpec& spec, uint64_t seed);

// Throws gan::Error naming the network when a state's buffers do not fit the model.
void check_trainer_state(const ModelSpec& spec, const TrainerState& state);

}  // namespace gan
