#include "model/spectral_norm.h"

#include "philox.cuh"

namespace gan {

void add_spectral_norm(NetworkSpec* network) {
  // The weights first, then their buffers: appending to network->buffers moves its elements.
  std::vector<size_t> chosen;
  for (size_t t = 0; t < network->tensors.size(); ++t) {
    const TensorSlot& slot = network->tensors[t];
    const bool label_table = slot.name.rfind("label_", 0) == 0;
    if (slot.shape.size() >= 2 && !label_table && !slot.spectral_norm) chosen.push_back(t);
  }
  for (size_t t : chosen) {
    TensorSlot& slot = network->tensors[t];
    slot.spectral_norm = true;
    SpectralNormLayer layer;
    layer.weight = slot.offset;
    layer.rows = slot.shape[0];
    layer.cols = static_cast<int64_t>(slot.size) / layer.rows;
    const std::string name = slot.name;
    layer.u = network->buffer_count;
    network->buffers.push_back({name + "_u", {layer.rows}, layer.u, static_cast<size_t>(layer.rows)});
    network->buffer_count = aligned(network->buffer_count + static_cast<size_t>(layer.rows));
    layer.v = network->buffer_count;
    network->buffers.push_back({name + "_v", {layer.cols}, layer.v, static_cast<size_t>(layer.cols)});
    network->buffer_count = aligned(network->buffer_count + static_cast<size_t>(layer.cols));
    network->spectral_norm.push_back(layer);
  }
}

void init_spectral_norm_vectors(const NetworkSpec& network, uint64_t seed, float* buffers) {
  for (size_t l = 0; l < network.spectral_norm.size(); ++l) {
    const SpectralNormLayer& layer = network.spectral_norm[l];
    uint64_t element = 0;
    for (auto [at, length] : {std::make_pair(layer.u, layer.rows), std::make_pair(layer.v, layer.cols)}) {
      for (int64_t i = 0; i < length; ++i) {
        buffers[at + static_cast<size_t>(i)] = random_normal(seed, RandomPurpose::kSpectralNorm, l, element++);
      }
      normalise_to_unit_length(buffers + at, length);
    }
  }
}

}  // namespace gan
