// The GPU trainer's entry points in a build without CUDA (GAN_WITH_CUDA=OFF, or no CUDA compiler
// found when it was configured): everything else of gan works, and asking for the GPU says why
// it cannot.
#include "cuda/gpu_api.h"
#include "util/error.h"

namespace gan {

std::unique_ptr<Trainer> make_gpu_trainer(const ModelSpec&, const Dataset&, const GpuTrainerOptions&) {
  throw InputError("--device cuda: this build of gan has no CUDA (it was configured without the CUDA toolkit; see "
                   "README: Build); use --device cpu");
}

bool gpu_dcgan_available() { return false; }

StepBreakdown measure_step_breakdown(Trainer&, const std::vector<StepPosition>&, const std::vector<StepPosition>&) {
  throw InputError("--breakdown: this build of gan has no CUDA");
}

PeakRates measure_peak_rates(int) { throw InputError("measuring the GPU's rates: this build of gan has no CUDA"); }

}  // namespace gan
