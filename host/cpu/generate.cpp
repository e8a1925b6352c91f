#include "cpu/generate.h"

#include "cpu/cpu_trainer.h"

namespace gan {

void generate_images(const ModelSpec& spec, const NetworkState& generator, const float* z, int64_t count,
                     float* images) {
  make_cpu_model(spec)->generate(generator, z, count, images);
}

}  // namespace gan
