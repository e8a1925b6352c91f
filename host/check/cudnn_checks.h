#pragma once
// defines: check_cudnn_conv_forward, check_cudnn_conv_backward, check_cudnn_batch_norm_forward,
// check_cudnn_batch_norm_backward, dcgan_shape_checks — the DCGAN's cuDNN layers against the
// CPU references (host/cpu/image_ops.h) in double precision, on fresh random inputs, outputs
// poisoned first, as kernel_checks.h does for the kernels. Built only with cuDNN.
#include <cstdint>
#include <vector>

#include "cpu/image_ops.h"
#include "check/check_compare.h"
#include "cuda/cudnn_layers.h"
#include "model/model_spec.h"

namespace gan {

// y = layer(x) + b.
KernelCheck check_cudnn_conv_forward(CudnnConvLayer::Kind kind, const ConvShape& shape, bool tf32, uint64_t seed,
                                     ConvAlgorithms choice = ConvAlgorithms::kHeuristic);
// dx, dw and db from one dy, each compared.
KernelCheck check_cudnn_conv_backward(CudnnConvLayer::Kind kind, const ConvShape& shape, bool tf32, uint64_t seed,
                                      ConvAlgorithms choice = ConvAlgorithms::kHeuristic);
// Training mode (y, running mean and variance after the update, saved mean and inverse std),
// then evaluation mode on the updated running statistics.
KernelCheck check_cudnn_batch_norm_forward(int64_t batch, int64_t channels, int64_t plane, uint64_t seed);
// dx, dgamma, dbeta.
KernelCheck check_cudnn_batch_norm_backward(int64_t batch, int64_t channels, int64_t plane, uint64_t seed);

// Every cuDNN layer of the DCGAN `spec` (kind "dcgan") at `batch`, FP32, plus TF32 convolutions
// when tf32.
std::vector<KernelCheck> dcgan_shape_checks(const ModelSpec& spec, int64_t batch, bool tf32, uint64_t seed);

}  // namespace gan
