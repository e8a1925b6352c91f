#pragma once
// defines: MlpPass, MlpScratch, mlp_forward, mlp_backward — one network of the GAN on the CPU,
// built from the reference ops. A template over float (the trainer) and double (the gradient
// checks against finite differences).
#include <vector>

#include "cpu/ops.h"
#include "model/model_spec.h"
#include "util/error.h"

namespace gan {

// What a forward pass keeps for the backward pass.
template <class T>
struct MlpPass {
  int64_t batch = 0;
  const T* input = nullptr;             // [batch, in], not owned; must outlive the backward pass
  const int32_t* labels = nullptr;      // [batch]: the projection term's classes, not owned
  std::vector<std::vector<T>> outputs;  // outputs[l]: [batch, layers[l].out], after the activation

  const T* output() const { return outputs.back().data(); }
};

template <class T>
struct MlpScratch {
  std::vector<T> upstream, downstream;  // [batch, widest layer] each
};

// pass->outputs[l] = act_l(X_l W_l^T + b_l), X_0 = input [batch, in]. With a projection term
// (network.projection), labels [batch] are the rows' classes and the last layer's output gains
// <table[label], X_last> (label_projection_forward); labels must outlive the backward pass.
template <class T>
void mlp_forward(const NetworkSpec& network, T slope, const T* params, const T* input, int64_t batch,
                 MlpPass<T>* pass, const int32_t* labels = nullptr) {
  pass->batch = batch;
  pass->input = input;
  pass->labels = labels;
  pass->outputs.resize(network.layers.size());
  const T* x = input;
  for (size_t l = 0; l < network.layers.size(); ++l) {
    const LinearLayer& layer = network.layers[l];
    std::vector<T>& y = pass->outputs[l];
    y.resize(static_cast<size_t>(batch * layer.out));
    linear_forward(x, params + layer.weight_offset, params + layer.bias_offset, y.data(), batch, layer.in, layer.out);
    if (l + 1 == network.layers.size() && network.projection.classes > 0) {
      if (!labels || layer.out != 1) throw InternalError("an MLP's projection term needs labels and one output");
      label_projection_forward(x, params + network.projection.offset, labels, batch, layer.in, y.data());
    }
    activation_forward(layer.activation, slope, y.data(), y.size());
    x = y.data();
  }
}

// Back-propagates d_output [batch, out] (the gradient of the loss with respect to the network's
// output) through the pass. grads [parameter_count]: every weight and bias gradient, overwritten,
// or null to compute none (the G step's pass through D). d_input [batch, in]: the gradient with
// respect to the input, or null to skip the first layer's input GEMM (the D step; G's z).
template <class T>
void mlp_backward(const NetworkSpec& network, T slope, const T* params, const MlpPass<T>& pass, const T* d_output,
                  T* grads, T* d_input, MlpScratch<T>* scratch) {
  const int64_t batch = pass.batch;
  const size_t widest = static_cast<size_t>(batch * network.widest_layer());
  scratch->upstream.resize(widest);
  scratch->downstream.resize(widest);
  const T* dy = d_output;
  for (size_t l = network.layers.size(); l-- > 0;) {
    const LinearLayer& layer = network.layers[l];
    const T* x = l == 0 ? pass.input : pass.outputs[l - 1].data();
    T* dz = scratch->upstream.data();  // dZ_l [batch, out]
    activation_backward(layer.activation, slope, pass.outputs[l].data(), dy, dz,
                        grads ? grads + layer.bias_offset : nullptr, batch, layer.out);
    if (grads) linear_backward_weight(dz, x, grads + layer.weight_offset, batch, layer.in, layer.out);
    T* dx = l == 0 ? d_input : scratch->downstream.data();  // dY_{l-1} [batch, in] (null: not wanted)
    if (dx) linear_backward_input(dz, params + layer.weight_offset, dx, batch, layer.in, layer.out);
    if (l + 1 == network.layers.size() && network.projection.classes > 0) {
      // The projection term: into dx, and its table's gradient.
      const LabelProjection& projection = network.projection;
      label_projection_backward(x, params + projection.offset, pass.labels, dz, batch, layer.in, projection.classes, dx,
                                grads ? grads + projection.offset : static_cast<T*>(nullptr));
    }
    if (l > 0) {
      std::swap(scratch->upstream, scratch->downstream);
      dy = scratch->upstream.data();
    }
  }
}

}  // namespace gan
