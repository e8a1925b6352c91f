#pragma once
// defines: launch_normal_noise
#include <cuda_runtime.h>

#include <cstdint>

#include "philox.cuh"

namespace gan {

// out[0 .. count) = N(0, 1) draws of stream (seed, purpose, *step) — the same floats as the
// CPU's random_normal for elements 0 .. count-1. The step is read from device memory so a
// captured CUDA graph draws fresh noise on every replay.
void launch_normal_noise(float* out, int64_t count, uint64_t seed, RandomPurpose purpose,
                         const uint64_t* device_step, cudaStream_t stream);

}  // namespace gan
