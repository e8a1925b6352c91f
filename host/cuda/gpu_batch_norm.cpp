#include "cuda/gpu_batch_norm.h"

#include "activation_backward.cuh"
#include "batch_norm.cuh"
#include "linear_forward.cuh"

namespace gan {

void norm_forward(const NormContext& context, const NormLayer& layer, const GpuNetwork& net, int64_t B, bool training,
                  const float* x, float* y, float* saved) {
  const float* gamma = net.params + layer.slots.weight;
  const float* beta = net.params + layer.slots.bias;
  float* mean = net.buffers + layer.slots.running_mean;
  float* var = net.buffers + layer.slots.running_var;
  if (training && context.fused) {
    launch_batch_norm_forward(x, B, layer.channels, layer.plane, gamma, beta, context.eps, context.momentum, mean, var,
                              layer.activation, layer.slope, y, saved, saved + layer.channels, context.stream);
    return;
  }
  if (training) {
    layer.bn.forward_training(x, gamma, beta, context.momentum, mean, var, y, saved, saved + layer.channels);
  } else {
    layer.bn.forward_inference(x, gamma, beta, mean, var, y);
  }
  launch_bias_activation(y, nullptr, 1, B * layer.channels * layer.plane, layer.activation, layer.slope,
                         context.stream);
}

void norm_backward(const NormContext& context, const NormLayer& layer, const GpuNetwork& net, int64_t B,
                   const float* x, const float* y, float* dy, const float* saved, float* dx, float* dgamma,
                   float* dbeta) {
  const float* gamma = net.params + layer.slots.weight;
  if (context.fused) {
    launch_batch_norm_backward(x, y, dy, B, layer.channels, layer.plane, gamma, saved, saved + layer.channels,
                               layer.activation, layer.slope, dx, dgamma, dbeta, context.stream);
    return;
  }
  launch_activation_backward(layer.activation, layer.slope, y, dy, dy, nullptr, B, layer.channels * layer.plane,
                             context.stream);
  layer.bn.backward(x, dy, gamma, saved, saved + layer.channels, dx, dgamma, dbeta);
}

}  // namespace gan
