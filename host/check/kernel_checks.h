#pragma once
// defines: check_linear_fused, check_linear_cublas, check_gemm_weight_grad, check_gemm_input_grad,
// check_activation_backward, check_bce, check_hinge_discriminator, check_hinge_generator,
// check_batch_norm_fused_forward,
// check_batch_norm_fused_backward, check_adam, check_ema, check_noise, check_gather, check_permutation,
// seed_shape_checks, kFp32Bound, kTf32Bound — every kernel against its CPU reference
//
// Each check runs one kernel (or cuBLAS GEMM) on fresh random inputs, with its outputs poisoned
// (NaN) first, and compares it with the CPU reference: GEMMs and activations against the
// double-precision reference (so the error measured is the GPU's alone), the exact kernels
// (Adam, noise, gather, permutation) against the float CPU code they must reproduce. Used by
// the GPU tests (tests/gpu/, many shapes) and by `gan check` (the seed's shapes). A NaN, an
// infinity or an unwritten element never passes. All of them need a GPU.
#include <cstdint>
#include <string>
#include <vector>

#include "activation.cuh"
#include "check/check_compare.h"
#include "model/model_spec.h"

namespace gan {

// Error bounds, stated once. FP32: random-signed rounding errors of a K-term sum stay near
// sqrt(K) * 6e-8 of the sum's own scale, far under 1e-5. TF32 rounds each input to 10 mantissa
// bits (relative 4.9e-4), so products carry about 1e-3.
constexpr double kFp32Bound = 1e-5;  // relative to the largest |reference|: FP32 accumulation
constexpr double kTf32Bound = 4e-3;  // TF32 keeps 10 mantissa bits: about 1e-3 on these sums

KernelCheck check_linear_fused(int64_t B, int64_t in, int64_t out, Activation activation, bool tf32, uint64_t seed);
KernelCheck check_linear_cublas(int64_t B, int64_t in, int64_t out, Activation activation, bool tf32, uint64_t seed);
KernelCheck check_gemm_weight_grad(int64_t B, int64_t in, int64_t out, bool tf32, uint64_t seed);
KernelCheck check_gemm_input_grad(int64_t B, int64_t in, int64_t out, bool tf32, uint64_t seed);
KernelCheck check_activation_backward(int64_t B, int64_t out, Activation activation, bool with_bias_grad,
                                      uint64_t seed);
KernelCheck check_bce(int64_t n_real, int64_t n_fake, uint64_t seed);
// The hinge loss's two kernels (--loss hinge): D's on n_real + n_fake logits, G's on B.
KernelCheck check_hinge_discriminator(int64_t n_real, int64_t n_fake, uint64_t seed);
KernelCheck check_hinge_generator(int64_t B, uint64_t seed);
// The DCGAN's fused training BatchNorm + LeakyReLU(slope) (slope 0: ReLU) over [B, C, HW]:
// forward (y, running and saved statistics), and backward (dx, dgamma, dbeta).
KernelCheck check_batch_norm_fused_forward(int64_t B, int64_t C, int64_t HW, float slope, uint64_t seed);
KernelCheck check_batch_norm_fused_backward(int64_t B, int64_t C, int64_t HW, float slope, uint64_t seed);
// misalign: start the buffers 1 float past an aligned address, forcing the scalar path.
KernelCheck check_adam(size_t n, bool misalign, uint64_t step, uint64_t seed);
// The average of G's weights (kernels/ema.cuh) against ema_update, G's update count `update`
// read from the device (1: the warm-up's first decay, 0.1; large: the decay itself).
KernelCheck check_ema(size_t n, uint64_t update, uint64_t seed);
KernelCheck check_noise(int64_t count, uint64_t step, uint64_t seed);
KernelCheck check_gather(int64_t images, int64_t pixels, int64_t batch, uint64_t seed);
KernelCheck check_permutation(uint32_t count, uint64_t epoch, uint64_t seed);

// Every kernel at the shapes of one step of `spec` at `batch` (D sees 2 x batch rows), FP32,
// plus the TF32 variants when tf32.
std::vector<KernelCheck> seed_shape_checks(const ModelSpec& spec, int64_t batch, bool tf32, uint64_t seed);

}  // namespace gan
