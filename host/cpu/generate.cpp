#include "cpu/generate.h"

#include <algorithm>
#include <vector>

#include "cpu/dcgan.h"
#include "cpu/mlp.h"

namespace gan {

void generate_images(const ModelSpec& spec, const NetworkState& generator, const float* z, int64_t count,
                     float* images) {
  if (spec.kind == "dcgan") {
    std::vector<float> buffers = generator.buffers;  // read only in evaluation mode
    DcganGeneratorPass<float> pass;
    dcgan_generator_forward(spec, generator.params.data(), buffers.data(), z, count, &pass, /*training=*/false);
    std::copy(pass.image.begin(), pass.image.end(), images);
    return;
  }
  MlpPass<float> pass;
  mlp_forward(spec.generator, spec.slope, generator.params.data(), z, count, &pass);
  std::copy(pass.output(), pass.output() + count * spec.image_size(), images);
}

}  // namespace gan
