#pragma once
// defines: launch_hinge_discriminator, launch_hinge_generator — the hinge loss (--loss hinge, Lim
// and Ye 2017) on D's logits, the CPU's hinge_discriminator and hinge_generator (cpu/ops.h)
#include <cuda_runtime.h>

#include <cstdint>

#include "bce.cuh"

namespace gan {

// D's hinge loss, in one block: logits[0 .. n_real) real, the next n_fake fake;
//   loss_real = mean relu(1 - x) over the real, loss_fake = mean relu(1 + x) over the fake,
// dlogit their sum's gradient (-1/n_real where x < 1, 1/n_fake where x > -1, else 0: PyTorch's
// subgradient 0 at the kink). prob_real and prob_fake hold the halves' mean raw logits (a hinge D
// outputs no probability). Sums in double, reduced with CUB in a fixed order.
// logits, dlogit: [n_real + n_fake]; stats: one BceDeviceStats in device memory.
void launch_hinge_discriminator(const float* logits, int64_t n_real, int64_t n_fake, float* dlogit,
                                BceDeviceStats* stats, cudaStream_t stream);

// G's hinge loss on D's logits of B fakes: loss_real = -mean x, dlogit = -1/B, prob_real the
// mean raw logit; the fake half's stats are 0. logits, dlogit: [B].
void launch_hinge_generator(const float* logits, int64_t B, float* dlogit, BceDeviceStats* stats,
                            cudaStream_t stream);

}  // namespace gan
