#pragma once
// defines: generate_images — G(z) on the CPU for any model, from a generator's state
#include <cstdint>

#include "model/model_spec.h"
#include "model/trainer.h"  // NetworkState

namespace gan {

// images[count, H*W] = G(z[count, latent]) in [-1, 1]: the MLP's forward, or the DCGAN's in
// evaluation mode (BatchNorm on its running statistics, as PyTorch's model.eval() samples).
// labels [count]: the classes a conditional generator draws; null for an unconditional one.
void generate_images(const ModelSpec& spec, const NetworkState& generator, const float* z, const int32_t* labels,
                     int64_t count, float* images);

}  // namespace gan
