#pragma once
// defines: AdamSettings
//
// Adam's hyper-parameters, plain C++ shared by the CPU reference (host/cpu/ops.h) and the Adam
// kernel (kernels/adam.cuh), so that both take the same settings from the trainer.
namespace gan {

struct AdamSettings {
  double lr = 2e-4, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

}  // namespace gan
