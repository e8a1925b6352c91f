// defines: set_step_control_kernel, record_nonfinite_kernel
#include "cuda_check.cuh"
#include "step_control.cuh"

namespace gan {
namespace {

__global__ void set_step_control_kernel(StepControl* control, uint64_t step, uint64_t noise_key, uint64_t offset,
                                        uint64_t adam_step_d, uint64_t adam_step_g) {
  control->step = step;
  control->noise_key = noise_key;
  control->offset = offset;
  control->adam_step_d = adam_step_d;
  control->adam_step_g = adam_step_g;
}

__device__ bool all_finite(const BceDeviceStats& s) {
  return isfinite(s.loss_real) && isfinite(s.loss_fake) && isfinite(s.prob_real) && isfinite(s.prob_fake);
}

__global__ void record_nonfinite_kernel(const BceDeviceStats* d_stats, const BceDeviceStats* g_stats,
                                        StepControl* control) {
  if (control->first_nonfinite_step == 0 && !(all_finite(*d_stats) && all_finite(*g_stats))) {
    control->first_nonfinite_step = control->step;
  }
}

}  // namespace

void launch_set_step_control(StepControl* control, uint64_t step, uint64_t noise_key, uint64_t offset,
                             uint64_t adam_step_d, uint64_t adam_step_g, cudaStream_t stream) {
  set_step_control_kernel<<<1, 1, 0, stream>>>(control, step, noise_key, offset, adam_step_d, adam_step_g);
  GAN_CHECK_LAUNCH("set_step_control_kernel");
}

void launch_record_nonfinite(const BceDeviceStats* d_stats, const BceDeviceStats* g_stats, StepControl* control,
                             cudaStream_t stream) {
  record_nonfinite_kernel<<<1, 1, 0, stream>>>(d_stats, g_stats, control);
  GAN_CHECK_LAUNCH("record_nonfinite_kernel");
}

}  // namespace gan
