#pragma once
// defines: add_spectral_norm, init_spectral_norm_vectors, normalise_to_unit_length — D's weights under spectral norm
// (--spectral-norm), as data: which weights, their u and v buffers, and their first values
//
// Spectral norm (Miyato et al., 2018) as torch.nn.utils.spectral_norm computes it: every weight
// of D's Linear and Conv2d layers is used as W / sigma, sigma = u . (W v) with u, v from a power
// iteration kept as state. The label tables (the conditional MLP's embedding, the projection D's
// table) stay as they are. The arithmetic is cpu/spectral_norm.h.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "model/model_spec.h"

namespace gan {

// x [n] /= max(||x||, 1e-12), F.normalize's rule (spectral_norm's eps); the sum in double, each
// value rounded to T once. Serves the first u, v and every power iteration (cpu/spectral_norm.h).
template <class T>
void normalise_to_unit_length(T* x, int64_t n) {
  double squares = 0;
  for (int64_t i = 0; i < n; ++i) squares += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  const double norm = std::max(std::sqrt(squares), 1e-12);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<T>(static_cast<double>(x[i]) / norm);
}

// Puts every weight of `network` of two or more dimensions, but its label tables, under spectral
// norm: flags the tensor (stored as "<name>_orig"), appends its "<name>_u" [rows] and "<name>_v"
// [cols] buffers, and lists it in network->spectral_norm. Call once the network is complete.
void add_spectral_norm(NetworkSpec* network);

// u and v of every weight under spectral norm: normal draws (RandomPurpose::kSpectralNorm, the
// weight's index in the list), each normalised to length 1, as spectral_norm() starts them.
void init_spectral_norm_vectors(const NetworkSpec& network, uint64_t seed, float* buffers);

}  // namespace gan
