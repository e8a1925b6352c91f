#pragma once
// defines: spectral_norm_scratch_size, launch_spectral_norm_sigma, launch_spectral_norm_scale,
// launch_spectral_norm_backward — spectral norm on D's weights (--spectral-norm, Miyato et al.
// 2018), the CPU's spectral_norm_power_iteration, spectral_norm_sigma and spectral_norm_backward
// (cpu/spectral_norm.h)
//
// A weight W [rows, cols] is a Linear's [out, in] or a convolution's [out, in * k * k], row-major;
// u [rows] and v [cols] are its power iteration's state (D's buffers), sigma one float in device
// memory, scratch [spectral_norm_scratch_size(rows, cols)] doubles of the caller's. Each pass over
// W is spread over many blocks (a weight is megabytes: one block would read it at a single SM's
// pace); what spans the whole weight (the norms, sigma, sum(grad * W)) is summed from per-block or
// per-row partial sums in a fixed order, in double, so a run repeats its bits. Every product and
// sum is rounded on its own (no fused multiply-add: the CPU builds with -ffp-contract=off), so
// against the CPU the results differ only in the order of those double sums.
#include <cuda_runtime.h>

#include <cstdint>

namespace gan {

// The doubles of scratch the kernels of one weight need.
int64_t spectral_norm_scratch_size(int64_t rows, int64_t cols);

// With `iterate`, one power iteration first: v = normalise(W^T u), then u = normalise(W v)
// (normalise: x / max(||x||, 1e-12)). Then sigma = u . (W v).
void launch_spectral_norm_sigma(const float* W, int64_t rows, int64_t cols, float* u, float* v, bool iterate,
                                float* sigma, double* scratch, cudaStream_t stream);

// normalised[count] = W[count] / *sigma, each quotient rounded once (the CPU's W[i] / sigma).
void launch_spectral_norm_scale(const float* W, int64_t count, const float* sigma, float* normalised,
                                cudaStream_t stream);

// grad [rows, cols]: on entry the gradient of W / sigma, on return that of W (u, v held fixed):
// grad / sigma - (sum(grad * W) / sigma^2) u v^T.
void launch_spectral_norm_backward(const float* W, int64_t rows, int64_t cols, const float* u, const float* v,
                                   const float* sigma, float* grad, double* scratch, cudaStream_t stream);

}  // namespace gan
