#pragma once
// defines: DcganCpuTrainer — the convolutional GAN's step on the CPU, from the reference layers
//
// The step itself is dcgan_step<float> (cpu/dcgan_step.h); this class gathers its batch and noise.
// Everything else (the state, the draws, sampling in evaluation mode, traces) is CpuTrainer's.
// im2col + OpenBLAS convolutions: a correctness reference (tests, parity, small runs).
#include "cpu/cpu_trainer.h"

namespace gan {

class DcganCpuTrainer : public CpuTrainer {
 public:
  // `dataset` must outlive the trainer; its images must be 28 x 28.
  DcganCpuTrainer(const ModelSpec& spec, const Dataset& dataset, const CpuTrainerOptions& options);

  std::string description() const override { return "CPU (DCGAN: im2col + OpenBLAS convolutions)"; }
  void train_step(const StepPosition& position) override;
};

}  // namespace gan
