#pragma once
// defines: TraceRecorder — the parity trace of `gan train --trace FILE`
//
// One safetensors file, all float32, for replaying our run in PyTorch (tools/torch_parity.py):
//   init.<net>.<param>        every G and D parameter (and BatchNorm running statistic, for
//                             the DCGAN) before step 1
//   step<i>.real [B, H*W]     the normalised real batch of step i
//   step<i>.z_d, step<i>.z_g  [B, latent]: the noise of the D step and of the G step
//   step<i>.labels_real, .labels_d, .labels_g   [B]: a conditional step's classes (real batch,
//                             G(z_d), G(z_g)), as float32
//   step<i>.d_loss, .g_loss   [1]
//   step1.grad.<net>.<param>  the gradients of step 1's D step and G step, before Adam
//   final.<net>.<param>       every parameter (and running statistic) after the last step
// __metadata__ "model" says which model ("mlp" or "dcgan"); "generator_lr", "discriminator_lr",
// "beta1", "beta2" and "eps" are the run's Adam settings, so that the replay steps as the run did.
#include <string>
#include <vector>

#include "model/model_spec.h"
#include "model/trainer.h"
#include "model/trainer_state.h"

namespace gan {

class TraceRecorder {
 public:
  TraceRecorder(std::string path, const ModelSpec& spec, const StepOptions& step)
      : path_(std::move(path)), spec_(spec), step_(step) {}

  void record_init(const TrainerState& state) { add_params("init.", state); }
  void record_step(uint64_t step, const StepTrace& trace, const StepStats& stats);
  // Adds final.* and writes the file.
  void finish(const TrainerState& state);

  const std::string& path() const { return path_; }

 private:
  struct Entry {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> data;
  };
  void add_params(const std::string& prefix, const TrainerState& state);
  void add_network(const std::string& prefix, const NetworkSpec& network, const std::vector<float>& flat,
                   const std::vector<TensorSlot>& slots);

  std::string path_;
  ModelSpec spec_;
  StepOptions step_;
  std::vector<Entry> entries_;
};

}  // namespace gan
