#pragma once
// defines: launch_bce_with_logits, BceDeviceStats
#include <cuda_runtime.h>

#include <cstdint>

namespace gan {

// The four numbers the loss kernel leaves on the device (floats, in this order), read back
// only every log interval.
struct BceDeviceStats {
  float loss_real;  // mean softplus(-x) over the real logits: BCE(D(x), 1)
  float loss_fake;  // mean softplus(x) over the fake logits:  BCE(D(G(z)), 0)
  float prob_real;  // mean sigmoid over the real logits: D(x)
  float prob_fake;  // mean sigmoid over the fake logits: D(G(z))
};

// Binary cross-entropy on logits, in one block: logits[0 .. n_real) have target 1,
// logits[n_real .. n_real + n_fake) target 0; each half is a mean over its own count (the
// seed's two BCELoss calls). dlogit[i] = d(loss_real + loss_fake) / d logit[i], already divided
// by the half's count. A half of count 0 contributes nothing (its stats are 0). Sums are in
// double and reduced with CUB in a fixed order: the same bits every run.
// logits, dlogit: [n_real + n_fake]; stats: one BceDeviceStats in device memory.
void launch_bce_with_logits(const float* logits, int64_t n_real, int64_t n_fake, float* dlogit,
                            BceDeviceStats* stats, cudaStream_t stream);

}  // namespace gan
