#include "cuda/gpu_mlp.h"

#include <utility>

#include "activation_backward.cuh"
#include "labels.cuh"
#include "linear_forward.cuh"
#include "util/error.h"

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
    if (l + 1 == layers.network->layers.size() && layers.network->projection.classes > 0) {
      if (layer.activation != Activation::kIdentity || layer.out != 1 || !pass.labels) {
        throw InternalError("an MLP's projection term needs labels, one output and no activation after it");
      }
      launch_label_projection_forward(x, params + layers.network->projection.offset, pass.labels, pass.rows, layer.in,
                                      y, layers.stream);
    }
    x = y;
  }
}

const float* gpu_mlp_backward(const CublasHandle& blas, const GpuLayers& layers, const float* params, const GpuPass& pass,
                      const float* d_output, float* grads, float* d_input, float* upstream, float* downstream,
                      const SideStream* weight_grads) {
  const int64_t rows = pass.rows;
  const SideStream* side = grads ? weight_grads : nullptr;
  bool side_busy = false;  // a weight GEMM on the side stream may still be reading
  const float* dy = d_output;
  const float* first_dz = nullptr;
  for (size_t l = layers.network->layers.size(); l-- > 0;) {
    const LinearLayer& layer = layers.network->layers[l];
    const float* x = l == 0 ? pass.input : pass.outputs[l - 1];
    float* dz = upstream;  // dZ_l [rows, out]
    first_dz = dz;
    launch_activation_backward(layer.activation, layers.slope, pass.outputs[l], dy, dz,
                               grads ? grads + layer.bias_offset : nullptr, rows, layer.out, layers.stream);
    // The layer above's weight GEMM reads its dZ from `downstream`, which this layer's input GEMM
    // overwrites: wait for it first. (Joining before the fork keeps this layer's weight GEMM
    // beside its input GEMM.)
    if (side_busy) side->join();
    if (grads) {
      if (side) {
        side->fork();  // dZ_l is ready
        gemm_weight_grad(side->blas(), dz, x, grads + layer.weight_offset, rows, layer.in, layer.out);
        side_busy = true;
      } else {
        gemm_weight_grad(blas, dz, x, grads + layer.weight_offset, rows, layer.in, layer.out);
      }
    }
    float* dx = l == 0 ? d_input : downstream;  // dY_{l-1} (null: not wanted)
    if (dx) gemm_input_grad(blas, dz, params + layer.weight_offset, dx, rows, layer.in, layer.out);
    if (l + 1 == layers.network->layers.size() && layers.network->projection.classes > 0) {
      // The projection term: into dx, and its table's gradient (beside the side stream's weight
      // GEMM, which reads dz and x as this does and writes another tensor).
      const LabelProjection& projection = layers.network->projection;
      launch_label_projection_backward(x, params + projection.offset, pass.labels, dz, rows, layer.in,
                                       projection.classes, dx, grads ? grads + projection.offset : nullptr,
                                       layers.stream);
    }
    if (l > 0) {
      std::swap(upstream, downstream);
      dy = upstream;
    }
  }
  if (side_busy) side->join();  // every weight gradient is written before the caller goes on
  return first_dz;
}

}  // namespace gan
