#pragma once
// defines: apply_activation, activation_backward_value (device functions)
//
// The activations as the kernels compute them, in one place: the fused linear kernels and the
// epilogue use apply_activation, the backward kernel the derivative. The CPU's versions in
// host/cpu/ops.cpp are written separately on purpose: each checks the other.
#include "activation.cuh"

namespace gan {

// LeakyReLU: z > 0 ? z : slope * z. Tanh: tanhf (1-2 ulp from the correctly rounded value).
__device__ __forceinline__ float apply_activation(Activation activation, float slope, float z) {
  switch (activation) {
    case Activation::kLeakyRelu:
      return z > 0.0f ? z : __fmul_rn(slope, z);
    case Activation::kTanh:
      return tanhf(z);
    case Activation::kIdentity:
    default:
      return z;
  }
}

// d act / d z from the output y alone (valid for slope > 0, as LeakyReLU keeps the sign):
// LeakyReLU: y > 0 ? 1 : slope; Tanh: 1 - y^2; Identity: 1. Returns dy * act'(y), rounded as
// the CPU rounds it (no fused multiply-add).
__device__ __forceinline__ float activation_backward_value(Activation activation, float slope, float y,
                                                           float dy) {
  switch (activation) {
    case Activation::kLeakyRelu:
      return y > 0.0f ? dy : __fmul_rn(dy, slope);
    case Activation::kTanh:
      return __fmul_rn(dy, __fsub_rn(1.0f, __fmul_rn(y, y)));
    case Activation::kIdentity:
    default:
      return dy;
  }
}

}  // namespace gan
