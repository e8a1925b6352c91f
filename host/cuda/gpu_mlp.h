#pragma once
// defines: GpuLayers, GpuPass, gpu_mlp_forward, gpu_mlp_backward — one network of the GAN on
// the device, from the kernels and cuBLAS: the GPU twin of host/cpu/mlp.h. Everything is
// enqueued on the cuBLAS handle's stream; nothing allocates or waits, so it can be captured.
#include <vector>

#include "cuda/blas.h"
#include "cuda/gpu_model.h"
#include "cuda/streams.h"
#include "model/model_spec.h"

namespace gan {

struct GpuLayers {
  const NetworkSpec* network = nullptr;
  float slope = 0.2f;
  ForwardPath forward = ForwardPath::kCublas;
  bool tf32 = false;  // for the fused kernel (cuBLAS takes it from the handle's math mode)
  cudaStream_t stream = nullptr;
};

// A forward pass's buffers: outputs[l] is [rows, layers[l].out] after the activation. The
// caller owns them (the last may point into a larger buffer, e.g. D's [real; fake] input).
struct GpuPass {
  int64_t rows = 0;
  const float* input = nullptr;  // [rows, in]
  std::vector<float*> outputs;
  const int32_t* labels = nullptr;  // [rows]: the projection term's classes (NetworkSpec::projection)
};

// With a projection term (network.projection; its last layer's activation is the identity),
// the last output gains <table[label], the last layer's input> for each row's label.
void gpu_mlp_forward(const CublasHandle& blas, const GpuLayers& layers, const float* params, const GpuPass& pass);

// Back-propagates d_output [rows, out] through the pass. grads: every weight and bias gradient
// (overwritten), or null for none (the G step's pass through D). d_input [rows, in]: the input
// gradient, or null to skip the first layer's input GEMM. upstream, downstream: scratch of
// [rows, widest layer] each; d_output may be upstream's memory only if it is not downstream.
// weight_grads: a side stream for the weight GEMMs (each beside its layer's input GEMM and the
// next layer's activation backward; joined back before it returns), or null for one stream.
// Returns where the first layer's dZ [rows, layers[0].out] was left (upstream or downstream's
// memory): the conditional model's label gradient reads it.
const float* gpu_mlp_backward(const CublasHandle& blas, const GpuLayers& layers, const float* params, const GpuPass& pass,
                      const float* d_output, float* grads, float* d_input, float* upstream, float* downstream,
                      const SideStream* weight_grads = nullptr);

}  // namespace gan
