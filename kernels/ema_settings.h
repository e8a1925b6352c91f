#pragma once
// defines: ema_decay_at
//
// The decay of the exponential moving average of G's weights (--ema), plain C++ shared by the
// CPU reference (host/cpu/ops.h) and the EMA kernel (kernels/ema.cuh), so that both compute the
// same number, in double, from the same count.
#include <cstdint>

#include "philox.cuh"  // GAN_HOST_DEVICE

namespace gan {

// The decay of G's update number `update` (1 for the first), with the warm-up of TensorFlow's
// ExponentialMovingAverage(num_updates): min(decay, (1 + t) / (10 + t)), t = update - 1, the
// updates before this one. Early on, when G's weights move fast and its first weights are
// noise, the average follows them closely (0.1 at the first update, 0.5 at the ninth), reaching
// `decay` after about 10 / (1 - decay) updates.
GAN_HOST_DEVICE double ema_decay_at(double decay, uint64_t update) {
  const double t = update > 0 ? static_cast<double>(update - 1) : 0.0;
  const double warm = (1.0 + t) / (10.0 + t);
  return warm < decay ? warm : decay;
}

}  // namespace gan
