#include "cuda/gpu_mlp.h"

#include <utility>

#include "activation_backward.cuh"
#include "linear_forward.cuh"

namespace gan {

void gpu_mlp_forward(const CublasHandle& blas, const GpuLayers& layers, const float* params, const GpuPass& pass) {
  const float* x = pass.input;
  for (size_t l = 0; l < layers.network->layers.size(); ++l) {
    const LinearLayer& layer = layers.network->layers[l];
    const float* W = params + layer.weight_offset;
    const float* b = params + layer.bias_offset;
    float* y = pass.outputs[l];
    if (layers.forward == ForwardPath::kFused) {
      launch_linear_forward_fused(x, W, b, y, pass.rows, layer.in, layer.out, layer.activation, layers.slope,
                                  layers.tf32, layers.stream);
    } else {
      gemm_forward(blas, x, W, y, pass.rows, layer.in, layer.out);
      launch_bias_activation(y, b, pass.rows, layer.out, layer.activation, layers.slope, layers.stream);
    }
    x = y;
  }
}

void gpu_mlp_backward(const CublasHandle& blas, const GpuLayers& layers, const float* params, const GpuPass& pass,
                      const float* d_output, float* grads, float* d_input, float* upstream, float* downstream) {
  const int64_t rows = pass.rows;
  const float* dy = d_output;
  for (size_t l = layers.network->layers.size(); l-- > 0;) {
    const LinearLayer& layer = layers.network->layers[l];
    const float* x = l == 0 ? pass.input : pass.outputs[l - 1];
    float* dz = upstream;  // dZ_l [rows, out]
    launch_activation_backward(layer.activation, layers.slope, pass.outputs[l], dy, dz,
                               grads ? grads + layer.bias_offset : nullptr, rows, layer.out, layers.stream);
    if (grads) gemm_weight_grad(blas, dz, x, grads + layer.weight_offset, rows, layer.in, layer.out);
    if (l == 0) {
      if (d_input) gemm_input_grad(blas, dz, params + layer.weight_offset, d_input, rows, layer.in, layer.out);
    } else {
      gemm_input_grad(blas, dz, params + layer.weight_offset, downstream, rows, layer.in, layer.out);  // dY_{l-1}
      std::swap(upstream, downstream);
      dy = upstream;
    }
  }
}

}  // namespace gan
