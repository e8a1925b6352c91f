#pragma once
// defines: spectral_norm_power_iteration, spectral_norm_sigma, spectral_norm_backward,
// normalise_discriminator, spectral_norm_gradients — spectral norm's arithmetic on the CPU
//
// As torch.nn.utils.spectral_norm computes it (n_power_iterations 1, eps 1e-12), with one
// difference of schedule, chosen so that a step is one iteration whatever the model's passes:
// the power iteration runs once per step, at the start of the D step; every pass of that step
// through D (the D step's real and fake halves, the G step's after D's update) uses W / sigma,
// sigma = u . (W v) from the current W and the kept u, v. (PyTorch iterates at every forward in
// training mode and not in eval mode; tools/torch_parity.py replays ours by switching it.)
// Sums run in double; every result is rounded to T.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "model/model_spec.h"
#include "model/spectral_norm.h"
#include "model/trainer.h"

namespace gan {

// One power iteration on W [rows, cols], in place: v = normalise(W^T u), then u = normalise(W v).
template <class T>
void spectral_norm_power_iteration(const T* W, int64_t rows, int64_t cols, T* u, T* v) {
  std::vector<double> wtu(static_cast<size_t>(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const double ur = static_cast<double>(u[r]);
    for (int64_t c = 0; c < cols; ++c) wtu[c] += static_cast<double>(W[r * cols + c]) * ur;
  }
  for (int64_t c = 0; c < cols; ++c) v[c] = static_cast<T>(wtu[c]);
  normalise_to_unit_length(v, cols);
  for (int64_t r = 0; r < rows; ++r) {
    double wv = 0;
    for (int64_t c = 0; c < cols; ++c) wv += static_cast<double>(W[r * cols + c]) * static_cast<double>(v[c]);
    u[r] = static_cast<T>(wv);
  }
  normalise_to_unit_length(u, rows);
}

// sigma = u . (W v) for W [rows, cols], u [rows], v [cols].
template <class T>
T spectral_norm_sigma(const T* W, int64_t rows, int64_t cols, const T* u, const T* v) {
  double sigma = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double wv = 0;
    for (int64_t c = 0; c < cols; ++c) wv += static_cast<double>(W[r * cols + c]) * static_cast<double>(v[c]);
    sigma += static_cast<double>(u[r]) * wv;
  }
  return static_cast<T>(sigma);
}

// grad [rows, cols]: on entry the gradient of W / sigma, on return that of W, u and v held fixed
// (as spectral_norm computes them without grad): grad / sigma - (sum(grad * W) / sigma^2) u v^T.
template <class T>
void spectral_norm_backward(const T* W, int64_t rows, int64_t cols, const T* u, const T* v, T sigma, T* grad) {
  const double s = static_cast<double>(sigma);
  double inner = 0;
  for (int64_t i = 0; i < rows * cols; ++i) inner += static_cast<double>(grad[i]) * static_cast<double>(W[i]);
  const double c = inner / (s * s);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t k = 0; k < cols; ++k) {
      const int64_t i = r * cols + k;
      grad[i] = static_cast<T>(static_cast<double>(grad[i]) / s -
                               c * static_cast<double>(u[r]) * static_cast<double>(v[k]));
    }
  }
}

// Puts W / sigma into d.params for every weight under spectral norm (after one power iteration
// on the current W when `iterate`); D's own parameters go to *own and each sigma to *sigmas.
// Swap d.params with *own to restore them.
template <class T>
void normalise_discriminator(const std::vector<SpectralNormLayer>& layers, NetworkValues<T>& d, bool iterate,
                             std::vector<T>* own, std::vector<T>* sigmas) {
  sigmas->assign(layers.size(), T(0));
  for (size_t l = 0; l < layers.size(); ++l) {
    const SpectralNormLayer& layer = layers[l];
    const T* W = d.params.data() + layer.weight;
    T* u = d.buffers.data() + layer.u;
    T* v = d.buffers.data() + layer.v;
    if (iterate) spectral_norm_power_iteration(W, layer.rows, layer.cols, u, v);
    (*sigmas)[l] = spectral_norm_sigma(W, layer.rows, layer.cols, u, v);
  }
  *own = d.params;
  for (size_t l = 0; l < layers.size(); ++l) {
    T* W = d.params.data() + layers[l].weight;
    for (int64_t i = 0; i < layers[l].rows * layers[l].cols; ++i) W[i] = W[i] / (*sigmas)[l];
  }
}

// Turns the gradients of D's normalised weights in grads into those of D's own (params: D's own).
template <class T>
void spectral_norm_gradients(const std::vector<SpectralNormLayer>& layers, const std::vector<T>& params,
                             const std::vector<T>& buffers, const std::vector<T>& sigmas, T* grads) {
  for (size_t l = 0; l < layers.size(); ++l) {
    const SpectralNormLayer& layer = layers[l];
    spectral_norm_backward(params.data() + layer.weight, layer.rows, layer.cols, buffers.data() + layer.u,
                           buffers.data() + layer.v, sigmas[l], grads + layer.weight);
  }
}

}  // namespace gan
