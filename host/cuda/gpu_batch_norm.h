#pragma once
// defines: NormLayer, NormContext, norm_forward, norm_backward — one BatchNorm2d layer and the
// activation after it on the GPU, for both DCGAN models (cuda/gpu_dcgan_model.cpp,
// cuda/gpu_canonical_dcgan_model.cpp): cuDNN's BatchNorm and our activation kernel, or our
// fused kernels (--gpu-batchnorm fused)
#include <cuda_runtime.h>

#include <cstdint>

#include "activation.cuh"
#include "cuda/cudnn_layers.h"
#include "cuda/gpu_model.h"
#include "model/dcgan_spec.h"

namespace gan {

// A BatchNorm layer: its cuDNN object (at the batch size), where its tensors live in the
// network (model/dcgan_spec.h), its shape [B, channels, plane], and the activation after it.
struct NormLayer {
  const CudnnBatchNorm& bn;
  BatchNormSlots slots;
  int64_t channels, plane;
  Activation activation;
  float slope;
};

// What every layer of a model shares: the path, PyTorch's eps and momentum, the stream.
struct NormContext {
  bool fused = false;  // training mode through our fused kernels instead of cuDNN + activation
  double eps = 1e-5, momentum = 0.1;
  cudaStream_t stream = nullptr;
};

// x [B, C, plane] -> y = activation(BatchNorm(x)). Training mode: the batch's statistics (saved
// for the backward pass in saved [2C]: mean, then inverse std), running statistics in
// net.buffers updated; evaluation mode: the running statistics (saved unused).
void norm_forward(const NormContext& context, const NormLayer& layer, const GpuNetwork& net, int64_t B, bool training,
                  const float* x, float* y, float* saved);

// The backward pass of norm_forward in training mode: dy at the activation's output y -> dx
// (must not alias dy: on the cuDNN path dy is rewritten in place first), dgamma, dbeta.
void norm_backward(const NormContext& context, const NormLayer& layer, const GpuNetwork& net, int64_t B,
                   const float* x, const float* y, float* dy, const float* saved, float* dx, float* dgamma,
                   float* dbeta);

}  // namespace gan
