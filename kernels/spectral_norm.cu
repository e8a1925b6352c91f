// defines: spectral_norm_sigma_kernel, spectral_norm_scale_kernel, spectral_norm_backward_kernel
#include <algorithm>
#include <string>

#include "block_sum.cuh"
#include "cuda_check.cuh"
#include "spectral_norm.cuh"

namespace gan {
namespace {

constexpr int kThreads = 512;
constexpr int kWarps = kThreads / 32;
// The norm F.normalize divides by: max(sqrt(squares), 1e-12), a NaN kept (as the CPU's std::max).
__device__ double unit_norm(double squares) {
  const double norm = sqrt(squares);
  return norm < 1e-12 ? 1e-12 : norm;
}

// sum over c of W_row[c] v[c] in double, by one warp (lanes stride the row); the sum in lane 0.
__device__ double warp_row_dot(const float* __restrict__ w_row, const float* v, int64_t cols, int lane) {
  double s = 0;
  for (int64_t c = lane; c < cols; c += 32) s = __dadd_rn(s, __dmul_rn(w_row[c], v[c]));
  for (int offset = 16; offset > 0; offset /= 2) s += __shfl_down_sync(0xffffffffu, s, offset);
  return s;
}

// One block. W [rows, cols]; u [rows], v [cols] rewritten when iterate != 0; sigma [1].
__global__ void __launch_bounds__(kThreads)
spectral_norm_sigma_kernel(const float* __restrict__ W, int64_t rows, int64_t cols, float* u, float* v, int iterate,
                           float* __restrict__ sigma) {
  __shared__ BlockSum<kThreads> shared;
  const int lane = static_cast<int>(threadIdx.x) % 32, warp = static_cast<int>(threadIdx.x) / 32;
  if (iterate) {
    // v = W^T u: a thread per column, the rows in the CPU's order (neighbouring threads read
    // neighbouring columns of a row).
    double squares = 0;
    for (int64_t c = threadIdx.x; c < cols; c += kThreads) {
      double s = 0;
      for (int64_t r = 0; r < rows; ++r) s = __dadd_rn(s, __dmul_rn(W[r * cols + c], u[r]));
      const float x = static_cast<float>(s);
      v[c] = x;
      squares = __dadd_rn(squares, __dmul_rn(x, x));
    }
    const double v_norm = unit_norm(block_sum(shared, squares));
    for (int64_t c = threadIdx.x; c < cols; c += kThreads) v[c] = static_cast<float>(static_cast<double>(v[c]) / v_norm);
    __syncthreads();  // every v before any row reads it
    // u = W v: a warp per row.
    squares = 0;
    for (int64_t r = warp; r < rows; r += kWarps) {
      const double s = warp_row_dot(W + r * cols, v, cols, lane);
      if (lane == 0) {
        const float x = static_cast<float>(s);
        u[r] = x;
        squares = __dadd_rn(squares, __dmul_rn(x, x));
      }
    }
    const double u_norm = unit_norm(block_sum(shared, squares));
    for (int64_t r = threadIdx.x; r < rows; r += kThreads) u[r] = static_cast<float>(static_cast<double>(u[r]) / u_norm);
    __syncthreads();
  }
  // sigma = u . (W v)
  double partial = 0;
  for (int64_t r = warp; r < rows; r += kWarps) {
    const double s = warp_row_dot(W + r * cols, v, cols, lane);
    if (lane == 0) partial = __dadd_rn(partial, __dmul_rn(u[r], s));
  }
  const double s = block_sum(shared, partial);
  if (threadIdx.x == 0) *sigma = static_cast<float>(s);
}

// normalised[count] = W[count] / *sigma; grid-stride.
__global__ void spectral_norm_scale_kernel(const float* __restrict__ W, int64_t count, const float* __restrict__ sigma,
                                           float* __restrict__ normalised) {
  const float s = *sigma;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    normalised[i] = __fdiv_rn(W[i], s);
  }
}

// One block. W, grad [rows, cols]; u [rows], v [cols]; sigma [1].
__global__ void __launch_bounds__(kThreads)
spectral_norm_backward_kernel(const float* __restrict__ W, int64_t rows, int64_t cols, const float* __restrict__ u,
                              const float* __restrict__ v, const float* __restrict__ sigma, float* __restrict__ grad) {
  __shared__ BlockSum<kThreads> shared;
  const int64_t n = rows * cols;
  double partial = 0;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) partial = __dadd_rn(partial, __dmul_rn(grad[i], W[i]));
  const double s = static_cast<double>(*sigma);
  const double c = block_sum(shared, partial) / __dmul_rn(s, s);
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    const int64_t r = i / cols, k = i % cols;
    grad[i] = static_cast<float>(__dsub_rn(static_cast<double>(grad[i]) / s, __dmul_rn(__dmul_rn(c, u[r]), v[k])));
  }
}

void check_shape(const char* what, int64_t rows, int64_t cols) {
  if (rows < 1 || cols < 1) {
    throw InternalError(std::string(what) + ": a weight of " + std::to_string(rows) + " x " + std::to_string(cols));
  }
}

}  // namespace

void launch_spectral_norm_sigma(const float* W, int64_t rows, int64_t cols, float* u, float* v, bool iterate,
                                float* sigma, cudaStream_t stream) {
  check_shape("spectral norm sigma", rows, cols);
  spectral_norm_sigma_kernel<<<1, kThreads, 0, stream>>>(W, rows, cols, u, v, iterate ? 1 : 0, sigma);
  GAN_CHECK_LAUNCH("spectral_norm_sigma_kernel");
}

void launch_spectral_norm_scale(const float* W, int64_t count, const float* sigma, float* normalised,
                                cudaStream_t stream) {
  if (count < 1) throw InternalError("spectral norm scale: " + std::to_string(count) + " values");
  constexpr int kBlock = 256;
  const int64_t blocks = std::min<int64_t>((count + kBlock - 1) / kBlock, 1024);
  spectral_norm_scale_kernel<<<static_cast<unsigned>(blocks), kBlock, 0, stream>>>(W, count, sigma, normalised);
  GAN_CHECK_LAUNCH("spectral_norm_scale_kernel");
}

void launch_spectral_norm_backward(const float* W, int64_t rows, int64_t cols, const float* u, const float* v,
                                   const float* sigma, float* grad, cudaStream_t stream) {
  check_shape("spectral norm backward", rows, cols);
  spectral_norm_backward_kernel<<<1, kThreads, 0, stream>>>(W, rows, cols, u, v, sigma, grad);
  GAN_CHECK_LAUNCH("spectral_norm_backward_kernel");
}

}  // namespace gan
