#pragma once
// defines: launch_linear_forward_fused, launch_bias_activation
//
// The forward of one layer, two ways:
//   fused:    a hand-written tiled GEMM that adds the bias and applies the activation in
//             registers before its only store (FP32 FFMA, or TF32 tensor cores when asked);
//   epilogue: after a cuBLAS GEMM has written Z = X W^T into Y, add the bias and activate in
//             place (host/cuda/blas.h has the GEMM).
// Shapes, row-major with PyTorch's layouts:  X [B, in], W [out, in], b [out], Y [B, out].
#include <cuda_runtime.h>

#include <cstdint>

#include "activation.cuh"

namespace gan {

// Y = act(X W^T + b). Any B, in, out >= 1 (edges handled; sizes need not be tile multiples).
// tf32: round X and W to TF32 and multiply on tensor cores (needs compute capability 8.0+);
// otherwise plain FP32. Y must not alias X, W or b.
void launch_linear_forward_fused(const float* X, const float* W, const float* b, float* Y, int64_t B, int64_t in,
                                 int64_t out, Activation activation, float slope, bool tf32, cudaStream_t stream);

// Y[B, out] = act(Y + b) in place (b broadcast over rows; null b: act(Y), an activation alone,
// which any layout can use, e.g. an NCHW tensor as [1, N*C*H*W]).
void launch_bias_activation(float* Y, const float* b, int64_t B, int64_t out, Activation activation, float slope,
                            cudaStream_t stream);

}  // namespace gan
