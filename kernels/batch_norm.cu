// defines: batch_norm_forward_kernel, batch_norm_backward_kernel
#include <cub/block/block_reduce.cuh>

#include <string>

#include "batch_norm.cuh"
#include "cuda_check.cuh"
#include "device_activation.cuh"

namespace gan {
namespace {

constexpr int kThreads = 256;
using Reduce = cub::BlockReduce<double, kThreads>;

// Element k of channel c's N = B * HW values: (b, i) = (k / HW, k % HW).
__device__ __forceinline__ int64_t element(int64_t k, int64_t c, int64_t C, int64_t HW) {
  return ((k / HW) * C + c) * HW + k % HW;
}

// Block c normalises channel c: the mean (pass 1), the variance around it (pass 2, two passes as
// the CPU reference takes them), then the output (pass 3).
__global__ void __launch_bounds__(kThreads)
batch_norm_forward_kernel(const float* __restrict__ x, int64_t B, int64_t C, int64_t HW,
                          const float* __restrict__ gamma, const float* __restrict__ beta, double eps,
                          double momentum, float* __restrict__ running_mean, float* __restrict__ running_var,
                          Activation activation, float slope, float* __restrict__ y,
                          float* __restrict__ saved_mean, float* __restrict__ saved_inverse_std) {
  __shared__ typename Reduce::TempStorage temp;
  __shared__ double shared_mean, shared_squares;
  const int64_t c = blockIdx.x, n = B * HW;
  double sum = 0;
  for (int64_t k = threadIdx.x; k < n; k += kThreads) sum += static_cast<double>(x[element(k, c, C, HW)]);
  const double total = Reduce(temp).Sum(sum);
  if (threadIdx.x == 0) shared_mean = total / static_cast<double>(n);
  __syncthreads();  // shared_mean visible; temp free again
  const double mean = shared_mean;
  double squares = 0;
  for (int64_t k = threadIdx.x; k < n; k += kThreads) {
    const double d = static_cast<double>(x[element(k, c, C, HW)]) - mean;
    squares += d * d;
  }
  const double total_squares = Reduce(temp).Sum(squares);
  if (threadIdx.x == 0) shared_squares = total_squares;
  __syncthreads();
  const double variance = shared_squares / static_cast<double>(n);
  const float mean_f = static_cast<float>(mean);
  const float inverse_std = static_cast<float>(1.0 / sqrt(variance + eps));
  const float g = gamma[c], b = beta[c];
  for (int64_t k = threadIdx.x; k < n; k += kThreads) {
    const int64_t e = element(k, c, C, HW);
    // (x - mean) * inverse_std * gamma + beta, each operation rounded (no fused multiply-add).
    const float normed = __fadd_rn(__fmul_rn(__fmul_rn(__fsub_rn(x[e], mean_f), inverse_std), g), b);
    y[e] = apply_activation(activation, slope, normed);
  }
  if (threadIdx.x == 0) {
    saved_mean[c] = mean_f;
    saved_inverse_std[c] = inverse_std;
    running_mean[c] = static_cast<float>((1 - momentum) * running_mean[c] + momentum * mean);
    running_var[c] = static_cast<float>((1 - momentum) * running_var[c] +
                                        momentum * shared_squares / static_cast<double>(n - 1));
  }
}

__global__ void __launch_bounds__(kThreads)
batch_norm_backward_kernel(const float* __restrict__ x, const float* __restrict__ y, const float* dy, int64_t B,
                           int64_t C, int64_t HW, const float* __restrict__ gamma,
                           const float* __restrict__ saved_mean, const float* __restrict__ saved_inverse_std,
                           Activation activation, float slope, float* dx, float* __restrict__ dgamma,
                           float* __restrict__ dbeta) {
  __shared__ typename Reduce::TempStorage temp;
  __shared__ double shared_sum_dz, shared_sum_dz_xhat;
  const int64_t c = blockIdx.x, n = B * HW;
  const double mean = saved_mean[c], inverse_std = saved_inverse_std[c];
  double sum_dz = 0, sum_dz_xhat = 0;
  for (int64_t k = threadIdx.x; k < n; k += kThreads) {
    const int64_t e = element(k, c, C, HW);
    const double dz = activation_backward_value(activation, slope, y[e], dy[e]);
    sum_dz += dz;
    sum_dz_xhat += dz * ((static_cast<double>(x[e]) - mean) * inverse_std);
  }
  const double total_dz = Reduce(temp).Sum(sum_dz);
  __syncthreads();  // temp is reused
  const double total_dz_xhat = Reduce(temp).Sum(sum_dz_xhat);
  if (threadIdx.x == 0) {
    shared_sum_dz = total_dz;
    shared_sum_dz_xhat = total_dz_xhat;
    dgamma[c] = static_cast<float>(total_dz_xhat);
    dbeta[c] = static_cast<float>(total_dz);
  }
  __syncthreads();
  const double scale = static_cast<double>(gamma[c]) * inverse_std / static_cast<double>(n);
  const double total_n = static_cast<double>(n);
  for (int64_t k = threadIdx.x; k < n; k += kThreads) {
    const int64_t e = element(k, c, C, HW);
    const double dz = activation_backward_value(activation, slope, y[e], dy[e]);
    const double x_hat = (static_cast<double>(x[e]) - mean) * inverse_std;
    dx[e] = static_cast<float>(scale * (total_n * dz - shared_sum_dz - x_hat * shared_sum_dz_xhat));
  }
}

void check_shape(const char* what, int64_t B, int64_t C, int64_t HW) {
  if (B < 1 || C < 1 || HW < 1 || B * HW < 2 || C > 2147483647) {
    throw InternalError(std::string(what) + ": unsupported shape B=" + std::to_string(B) + " C=" + std::to_string(C) +
                    " HW=" + std::to_string(HW) + " (needs B * HW >= 2)");
  }
}

}  // namespace

void launch_batch_norm_forward(const float* x, int64_t B, int64_t C, int64_t HW, const float* gamma,
                               const float* beta, double eps, double momentum, float* running_mean,
                               float* running_var, Activation activation, float slope, float* y,
                               float* saved_mean, float* saved_inverse_std, cudaStream_t stream) {
  check_shape("batch norm forward", B, C, HW);
  batch_norm_forward_kernel<<<static_cast<unsigned>(C), kThreads, 0, stream>>>(
      x, B, C, HW, gamma, beta, eps, momentum, running_mean, running_var, activation, slope, y, saved_mean,
      saved_inverse_std);
  GAN_CHECK_LAUNCH("batch_norm_forward_kernel");
}

void launch_batch_norm_backward(const float* x, const float* y, const float* dy, int64_t B, int64_t C, int64_t HW,
                                const float* gamma, const float* saved_mean, const float* saved_inverse_std,
                                Activation activation, float slope, float* dx, float* dgamma, float* dbeta,
                                cudaStream_t stream) {
  check_shape("batch norm backward", B, C, HW);
  batch_norm_backward_kernel<<<static_cast<unsigned>(C), kThreads, 0, stream>>>(
      x, y, dy, B, C, HW, gamma, saved_mean, saved_inverse_std, activation, slope, dx, dgamma, dbeta);
  GAN_CHECK_LAUNCH("batch_norm_backward_kernel");
}

}  // namespace gan
