#include "cpu/generate.h"

#include "cpu/cpu_trainer.h"
#include "model/trainer_state.h"

namespace gan {

void generate_images(const ModelSpec& spec, const NetworkState& generator, const float* z, const int32_t* labels,
                     int64_t count, float* images) {
  check_generate_labels(spec, labels, count);
  make_cpu_model(spec)->generate(generator, z, labels, count, images);
}

}  // namespace gan
