#pragma once
// defines: CheckpointPosition, Checkpoint, save_checkpoint, load_checkpoint, resolve_checkpoint_path
//
// A checkpoint is a safetensors file holding everything a run needs to continue exactly:
//   generator.model.0.weight ... discriminator.model.4.bias      parameters (PyTorch names)
//   optimizer.generator.exp_avg.model.0.weight, ...exp_avg_sq...  Adam moments, per tensor
//   generator_ema.model.0.weight, ...                            G's average (--ema only)
// and in __metadata__ (all strings): format, step, epoch, epoch_position, the Adam step of each
// network, the RNG (Philox4x32-10, seed; draws are indexed by step, so the step is its
// position), the data's size, and the resolved config as JSON.
#include <nlohmann/json.hpp>

#include <string>

#include "model/model_spec.h"
#include "model/trainer.h"

namespace gan {

inline constexpr const char* kCheckpointFormat = "gan-checkpoint-1";
// G's average (--ema) under G's state_dict names after this prefix: strip it and the tensors load
// into the seed's Generator with load_state_dict.
inline const std::string kGeneratorEmaPrefix = "generator_ema.";

struct CheckpointPosition {
  uint64_t step = 0;            // steps completed
  uint64_t epoch = 0;           // epoch of the next step
  int64_t epoch_position = 0;   // index in that epoch's order where the next batch starts
  uint32_t noise_stream = 0;    // see StepPosition::noise_stream
};

struct Checkpoint {
  TrainerState state;
  CheckpointPosition position;
  nlohmann::json config;  // the resolved config of the run that wrote it
  int64_t data_count = 0, image_height = 0, image_width = 0;
};

// Writes `path` atomically (temporary file, fsync, rename): a crash leaves the old file whole.
void save_checkpoint(const std::string& path, const ModelSpec& spec, const Checkpoint& checkpoint);

// Reads and validates a checkpoint; throws gan::Error naming the file and what is wrong (a
// missing tensor, a shape that differs from the model its own config describes, a bad
// metadata field). *spec_out receives that model (built from the checkpoint's config and
// image size).
Checkpoint load_checkpoint(const std::string& path, ModelSpec* spec_out);

// The run folder's checkpoint when given a folder (RUN/last.safetensors), else the path itself.
std::string resolve_checkpoint_path(const std::string& folder_or_file);

}  // namespace gan
