// defines: adam_kernel
#include <algorithm>
#include <cstdint>

#include "adam.cuh"
#include "cuda_check.cuh"

namespace gan {
namespace {

struct AdamScalarsF {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
};

__device__ __forceinline__ void adam_element(float& p, float g, float& m, float& v, float step_size,
                                             float bias_correction2_sqrt, const AdamScalarsF& s) {
  // The CPU's order of operations, each rounded (no contraction into FMAs).
  m = __fadd_rn(__fmul_rn(m, s.beta1), __fmul_rn(g, s.one_minus_beta1));
  v = __fadd_rn(__fmul_rn(v, s.beta2), __fmul_rn(__fmul_rn(g, g), s.one_minus_beta2));
  const float denominator = __fadd_rn(__fdiv_rn(__fsqrt_rn(v), bias_correction2_sqrt), s.eps);
  p = __fsub_rn(p, __fmul_rn(step_size, __fdiv_rn(m, denominator)));
}

__global__ void adam_kernel(float* __restrict__ params, const float* __restrict__ grads,
                            float* __restrict__ exp_avg, float* __restrict__ exp_avg_sq, size_t n,
                            double lr, double beta1, double beta2, AdamScalarsF s,
                            const uint64_t* __restrict__ device_step, bool vectorised) {
  // The bias corrections depend on the step only: thread 0 of each block computes them once.
  __shared__ float step_size, bias_correction2_sqrt;
  if (threadIdx.x == 0) {
    const double t = static_cast<double>(*device_step);
    step_size = static_cast<float>(lr / (1.0 - pow(beta1, t)));
    bias_correction2_sqrt = static_cast<float>(sqrt(1.0 - pow(beta2, t)));
  }
  __syncthreads();
  const float a = step_size, c = bias_correction2_sqrt;
  const size_t first = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  size_t scalar_begin = 0;
  if (vectorised) {
    const size_t vectors = n / 4;
    float4* p4 = reinterpret_cast<float4*>(params);
    const float4* g4 = reinterpret_cast<const float4*>(grads);
    float4* m4 = reinterpret_cast<float4*>(exp_avg);
    float4* v4 = reinterpret_cast<float4*>(exp_avg_sq);
    for (size_t i = first; i < vectors; i += stride) {
      float4 p = p4[i], m = m4[i], v = v4[i];
      const float4 g = g4[i];
      adam_element(p.x, g.x, m.x, v.x, a, c, s);
      adam_element(p.y, g.y, m.y, v.y, a, c, s);
      adam_element(p.z, g.z, m.z, v.z, a, c, s);
      adam_element(p.w, g.w, m.w, v.w, a, c, s);
      p4[i] = p;
      m4[i] = m;
      v4[i] = v;
    }
    scalar_begin = vectors * 4;
  }
  for (size_t i = scalar_begin + first; i < n; i += stride) {
    float p = params[i], m = exp_avg[i], v = exp_avg_sq[i];
    adam_element(p, grads[i], m, v, a, c, s);
    params[i] = p;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
  }
}

bool aligned16(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

}  // namespace

void launch_adam(float* params, const float* grads, float* exp_avg, float* exp_avg_sq, size_t n,
                 const AdamSettings& hyper, const uint64_t* device_step, cudaStream_t stream) {
  if (n == 0) return;
  AdamScalarsF s;
  s.beta1 = static_cast<float>(hyper.beta1);
  s.one_minus_beta1 = static_cast<float>(1.0 - hyper.beta1);
  s.beta2 = static_cast<float>(hyper.beta2);
  s.one_minus_beta2 = static_cast<float>(1.0 - hyper.beta2);
  s.eps = static_cast<float>(hyper.eps);
  const bool vectorised = aligned16(params) && aligned16(grads) && aligned16(exp_avg) && aligned16(exp_avg_sq);
  const int threads = 256;
  // One element per thread (four when vectorised) up to a cap; beyond it threads loop.
  const size_t work = vectorised ? (n + 3) / 4 : n;
  const size_t blocks = std::min<size_t>((work + threads - 1) / threads, 8192);
  adam_kernel<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(params, grads, exp_avg, exp_avg_sq, n, hyper.lr,
                                                                     hyper.beta1, hyper.beta2, s, device_step,
                                                                     vectorised);
  GAN_CHECK_LAUNCH("adam_kernel");
}

}  // namespace gan
