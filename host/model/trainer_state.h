#pragma once
// defines: StepOptions, fresh_trainer_state, check_trainer_state, check_generate_labels, check_step_position,
// sampling_generator — what both trainers share
#include "adam_settings.h"
#include "model/trainer.h"

namespace gan {

// The settings that define the step, the same for the CPU and the GPU trainer.
struct StepOptions {
  uint64_t seed = 0;
  AdamSettings adam;            // G's Adam, and D's but for its learning rate
  double discriminator_lr = 0;  // D's Adam learning rate (0: adam.lr)
  float norm_mean = 0.5f, norm_std = 0.5f;  // images scaled as (x/255 - mean) / std
  double ema_decay = 0;  // --ema: G's weights averaged with this decay after every G update (0: none)

  AdamSettings discriminator_adam() const {
    AdamSettings d = adam;
    if (discriminator_lr > 0) d.lr = discriminator_lr;
    return d;
  }
};

// Both networks initialised from the seed (PyTorch's nn.Linear init), Adam moments zero; with
// options.ema_decay > 0, G's average starts at G's first parameters.
TrainerState fresh_trainer_state(const ModelSpec& spec, uint64_t seed);
TrainerState fresh_trainer_state(const ModelSpec& spec, const StepOptions& options);

// Throws InputError naming the network when a state's buffers do not fit the model, or when it
// keeps G's average (--ema) and the step does not, or the other way round.
void check_trainer_state(const ModelSpec& spec, const TrainerState& state);
void check_trainer_state(const ModelSpec& spec, const StepOptions& options, const TrainerState& state);

// The generator that samples, evaluations and `gan sample` use: G's average where the state
// keeps one (--ema), else G itself (parameters, and BatchNorm's running statistics either way).
NetworkState sampling_generator(const TrainerState& state);

// What sampling_generator uses, in words for logs and reports: "G's EMA weights" or "G's weights".
const char* sampling_weights_name(const TrainerState& state);

// Throws InputError when labels do not fit the model: null for a conditional model, given for an
// unconditional one, or a label outside 0 .. classes-1.
void check_generate_labels(const ModelSpec& spec, const int32_t* labels, int64_t count);

// Throws InternalError unless the step's batch [offset, offset + batch) lies inside a data set of
// `images` and holds 1..max_batch images: the schedule's promise to every trainer.
void check_step_position(const StepPosition& at, int64_t images, int64_t max_batch);

}  // namespace gan
