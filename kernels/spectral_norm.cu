// defines: spectral_norm_wtu_kernel, spectral_norm_v_kernel, spectral_norm_wv_kernel,
// spectral_norm_u_sigma_kernel, spectral_norm_scale_kernel, spectral_norm_inner_kernel,
// spectral_norm_backward_kernel
//
// sigma with an iteration: wtu (W^T u in partial sums over row chunks) -> v (the chunks summed,
// v normalised) -> wv (W v, a warp per row) -> u_sigma (u normalised, sigma); without: wv ->
// u_sigma. The backward: inner (sum(grad * W) in per-block partials) -> backward.
#include <algorithm>
#include <string>

#include "block_sum.cuh"
#include "cuda_check.cuh"
#include "spectral_norm.cuh"

namespace gan {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int64_t kChunkRows = 32;      // rows per partial sum of W^T u
constexpr int64_t kInnerBlocks = 256;   // the most partial sums of sum(grad * W)

int64_t row_chunks(int64_t rows) { return (rows + kChunkRows - 1) / kChunkRows; }

// The norm F.normalize divides by: max(sqrt(squares), 1e-12), a NaN kept (as the CPU's std::max).
__device__ double unit_norm(double squares) {
  const double norm = sqrt(squares);
  return norm < 1e-12 ? 1e-12 : norm;
}

// partials [chunks, cols]: partials[k][c] = sum over the rows of chunk k of W[r][c] u[r].
// Grid (column tiles, chunks); a thread per column (neighbouring threads, neighbouring columns).
__global__ void __launch_bounds__(kThreads)
spectral_norm_wtu_kernel(const float* __restrict__ W, int64_t rows, int64_t cols, const float* __restrict__ u,
                         double* __restrict__ partials) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(kThreads) + threadIdx.x;
  if (c >= cols) return;
  const int64_t first = blockIdx.y * kChunkRows, last = min(rows, first + kChunkRows);
  double s = 0;
  for (int64_t r = first; r < last; ++r) s = __dadd_rn(s, __dmul_rn(W[r * cols + c], u[r]));
  partials[blockIdx.y * cols + c] = s;
}

// One block: v [cols] = normalise(float(the chunks' partials summed in order)).
__global__ void __launch_bounds__(kThreads)
spectral_norm_v_kernel(const double* __restrict__ partials, int64_t chunks, int64_t cols, float* __restrict__ v) {
  __shared__ BlockSum<kThreads> shared;
  double squares = 0;
  for (int64_t c = threadIdx.x; c < cols; c += kThreads) {
    double s = 0;
    for (int64_t k = 0; k < chunks; ++k) s = __dadd_rn(s, partials[k * cols + c]);
    const float x = static_cast<float>(s);
    v[c] = x;
    squares = __dadd_rn(squares, __dmul_rn(x, x));
  }
  const double norm = unit_norm(block_sum(shared, squares));
  for (int64_t c = threadIdx.x; c < cols; c += kThreads) v[c] = static_cast<float>(static_cast<double>(v[c]) / norm);
}

// wv [rows] = W v in double: a warp per row (lanes stride the row), the warp's sum in a fixed order.
__global__ void __launch_bounds__(kThreads)
spectral_norm_wv_kernel(const float* __restrict__ W, int64_t rows, int64_t cols, const float* __restrict__ v,
                        double* __restrict__ wv) {
  const int lane = static_cast<int>(threadIdx.x) % 32;
  const int64_t r = blockIdx.x * static_cast<int64_t>(kWarps) + threadIdx.x / 32;
  if (r >= rows) return;  // a whole warp leaves together
  double s = 0;
  for (int64_t c = lane; c < cols; c += 32) s = __dadd_rn(s, __dmul_rn(W[r * cols + c], v[c]));
  for (int offset = 16; offset > 0; offset /= 2) s = __dadd_rn(s, __shfl_down_sync(0xffffffffu, s, offset));
  if (lane == 0) wv[r] = s;
}

// One block: with iterate, u [rows] = normalise(float(wv)); then sigma = u . wv.
__global__ void __launch_bounds__(kThreads)
spectral_norm_u_sigma_kernel(const double* __restrict__ wv, int64_t rows, int iterate, float* __restrict__ u,
                             float* __restrict__ sigma) {
  __shared__ BlockSum<kThreads> shared;
  if (iterate) {
    double squares = 0;
    for (int64_t r = threadIdx.x; r < rows; r += kThreads) {
      const float x = static_cast<float>(wv[r]);
      u[r] = x;
      squares = __dadd_rn(squares, __dmul_rn(x, x));
    }
    const double norm = unit_norm(block_sum(shared, squares));
    for (int64_t r = threadIdx.x; r < rows; r += kThreads) u[r] = static_cast<float>(static_cast<double>(u[r]) / norm);
  }
  double partial = 0;
  for (int64_t r = threadIdx.x; r < rows; r += kThreads) partial = __dadd_rn(partial, __dmul_rn(u[r], wv[r]));
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

// partials [gridDim.x]: each block's sum of grad[i] W[i] over its grid-stride share of [0, n).
__global__ void __launch_bounds__(kThreads)
spectral_norm_inner_kernel(const float* __restrict__ W, const float* __restrict__ grad, int64_t n,
                           double* __restrict__ partials) {
  __shared__ BlockSum<kThreads> shared;
  double s = 0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(kThreads) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    s = __dadd_rn(s, __dmul_rn(grad[i], W[i]));
  }
  const double total = block_sum(shared, s);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

// grad [rows, cols] rewritten, grid-stride; every block sums the `blocks` partials in order first.
__global__ void __launch_bounds__(kThreads)
spectral_norm_backward_kernel(const float* __restrict__ u, const float* __restrict__ v, int64_t rows, int64_t cols,
                              const float* __restrict__ sigma, const double* __restrict__ partials, int64_t blocks,
                              float* __restrict__ grad) {
  __shared__ double scale;
  const double s = static_cast<double>(*sigma);
  if (threadIdx.x == 0) {
    double inner = 0;
    for (int64_t b = 0; b < blocks; ++b) inner = __dadd_rn(inner, partials[b]);
    scale = inner / __dmul_rn(s, s);
  }
  __syncthreads();
  const double c = scale;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(kThreads) + threadIdx.x; i < rows * cols;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t r = i / cols, k = i % cols;
    grad[i] = static_cast<float>(__dsub_rn(static_cast<double>(grad[i]) / s, __dmul_rn(__dmul_rn(c, u[r]), v[k])));
  }
}

void check_shape(const char* what, int64_t rows, int64_t cols) {
  if (rows < 1 || cols < 1) {
    throw InternalError(std::string(what) + ": a weight of " + std::to_string(rows) + " x " + std::to_string(cols));
  }
}

unsigned grid_for(int64_t count, int64_t most) {
  return static_cast<unsigned>(std::min<int64_t>((count + kThreads - 1) / kThreads, most));
}

}  // namespace

int64_t spectral_norm_scratch_size(int64_t rows, int64_t cols) {
  // W^T u's partials, or W v per row, or the backward's partials: never needed at once.
  return std::max({row_chunks(rows) * cols, rows, kInnerBlocks});
}

void launch_spectral_norm_sigma(const float* W, int64_t rows, int64_t cols, float* u, float* v, bool iterate,
                                float* sigma, double* scratch, cudaStream_t stream) {
  check_shape("spectral norm sigma", rows, cols);
  if (row_chunks(rows) > 65535) throw InternalError("spectral norm: " + std::to_string(rows) + " rows");
  if (iterate) {
    const dim3 grid(static_cast<unsigned>((cols + kThreads - 1) / kThreads), static_cast<unsigned>(row_chunks(rows)));
    spectral_norm_wtu_kernel<<<grid, kThreads, 0, stream>>>(W, rows, cols, u, scratch);
    GAN_CHECK_LAUNCH("spectral_norm_wtu_kernel");
    spectral_norm_v_kernel<<<1, kThreads, 0, stream>>>(scratch, row_chunks(rows), cols, v);
    GAN_CHECK_LAUNCH("spectral_norm_v_kernel");
  }
  spectral_norm_wv_kernel<<<static_cast<unsigned>((rows + kWarps - 1) / kWarps), kThreads, 0, stream>>>(W, rows, cols, v,
                                                                                                       scratch);
  GAN_CHECK_LAUNCH("spectral_norm_wv_kernel");
  spectral_norm_u_sigma_kernel<<<1, kThreads, 0, stream>>>(scratch, rows, iterate ? 1 : 0, u, sigma);
  GAN_CHECK_LAUNCH("spectral_norm_u_sigma_kernel");
}

void launch_spectral_norm_scale(const float* W, int64_t count, const float* sigma, float* normalised,
                                cudaStream_t stream) {
  if (count < 1) throw InternalError("spectral norm scale: " + std::to_string(count) + " values");
  spectral_norm_scale_kernel<<<grid_for(count, 1024), kThreads, 0, stream>>>(W, count, sigma, normalised);
  GAN_CHECK_LAUNCH("spectral_norm_scale_kernel");
}

void launch_spectral_norm_backward(const float* W, int64_t rows, int64_t cols, const float* u, const float* v,
                                   const float* sigma, float* grad, double* scratch, cudaStream_t stream) {
  check_shape("spectral norm backward", rows, cols);
  const int64_t n = rows * cols;
  const unsigned blocks = grid_for(n, kInnerBlocks);
  spectral_norm_inner_kernel<<<blocks, kThreads, 0, stream>>>(W, grad, n, scratch);
  GAN_CHECK_LAUNCH("spectral_norm_inner_kernel");
  spectral_norm_backward_kernel<<<grid_for(n, 1024), kThreads, 0, stream>>>(u, v, rows, cols, sigma, scratch, blocks,
                                                                           grad);
  GAN_CHECK_LAUNCH("spectral_norm_backward_kernel");
}

}  // namespace gan
