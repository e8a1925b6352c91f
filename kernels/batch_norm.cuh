#pragma once
// defines: launch_batch_norm_forward, launch_batch_norm_backward
//
// Training-mode BatchNorm2d fused with the activation after it: the alternative to cuDNN's
// BatchNorm + a separate activation kernel for the DCGAN (--gpu-batchnorm fused; the benchmark
// decides). One block per channel; sums in double, reduced with CUB in a fixed order (the same
// bits every run), the element arithmetic rounded step by step as host/cpu/image_ops.h does.
// Shapes: x, y, dy, dx [B, C, HW] (NCHW with HW = H*W); gamma, beta, running statistics, saved
// statistics, dgamma, dbeta [C].
#include <cuda_runtime.h>

#include <cstdint>

#include "activation.cuh"

namespace gan {

// y = act((x - mean_c) * inverse_std_c * gamma_c + beta_c) with the batch's mean and biased
// variance; saved_mean, saved_inverse_std (1 / sqrt(var + eps)) for the backward pass;
// running_mean/var move by `momentum` toward the mean and the unbiased variance (PyTorch's
// rule). B * HW >= 2. y must not alias x (the backward pass reads x).
void launch_batch_norm_forward(const float* x, int64_t B, int64_t C, int64_t HW, const float* gamma,
                               const float* beta, double eps, double momentum, float* running_mean,
                               float* running_var, Activation activation, float slope, float* y,
                               float* saved_mean, float* saved_inverse_std, cudaStream_t stream);

// From dy, the gradient at the activation's output y: dz = dy * act'(y), then BatchNorm's
//   dx = gamma * inverse_std / N * (N dz - sum(dz) - x_hat * sum(dz * x_hat)),
//   dgamma = sum(dz * x_hat), dbeta = sum(dz)   (sums over the batch and the plane, N = B * HW).
// dx may alias dy (each element is read before it is written, by the same thread); dgamma and
// dbeta are overwritten, never null.
void launch_batch_norm_backward(const float* x, const float* y, const float* dy, int64_t B, int64_t C, int64_t HW,
                                const float* gamma, const float* saved_mean, const float* saved_inverse_std,
                                Activation activation, float slope, float* dx, float* dgamma, float* dbeta,
                                cudaStream_t stream);

}  // namespace gan
