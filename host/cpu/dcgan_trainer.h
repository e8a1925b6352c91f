#pragma once
// defines: DcganCpuTrainer — the convolutional GAN's step on the CPU, from the reference layers
//
// The seed's step with the DCGAN of its section 4.4: D step BCE(D(x), 1) + BCE(D(G(z1)), 0) with
// D(real) and D(fake) as two passes (one 2B pass would mix their BatchNorm statistics), then
// the G step BCE(D(G(z2)), 1) through the updated D; BatchNorm in training mode throughout, its
// running statistics updated on every forward pass as PyTorch's would be. Everything else (the
// state, the draws, sampling in evaluation mode, traces) is CpuTrainer's. Plain loops: a
// correctness reference (tests, parity, small runs), not a fast trainer.
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
