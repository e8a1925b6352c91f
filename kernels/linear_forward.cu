// defines: linear_forward_fp32_kernel, linear_forward_tf32_kernel, bias_activation_kernel
#include <mma.h>

#include <algorithm>
#include <string>

#include "cuda_check.cuh"
#include "device_activation.cuh"
#include "linear_forward.cuh"

namespace gan {
namespace {

// Both GEMM kernels compute a 64 x 64 tile of Y (64 batch rows, 64 output features) per block,
// stepping through K = in 16 at a time. Tiles are loaded with bounds checks (zeros outside),
// so any B, in, out works; only the store is masked.
constexpr int kTileRows = 64;  // rows of Y (batch) per block
constexpr int kTileCols = 64;  // columns of Y (output features) per block
constexpr int kTileK = 16;     // reduction depth per shared-memory stage
// The tile loaders use one index for a row of X and a row of W: the tile must be square.
static_assert(kTileRows == kTileCols, "square tiles");

// ---- FP32: 256 threads as 16 x 16, each accumulating a 4 x 4 sub-tile in registers. -------
// Thread (ty, tx) owns rows ty + 16 i and columns tx + 16 j (i, j = 0..3): across a warp the
// column reads of the W tile are 16 consecutive words (no bank conflicts) and the stores of Y
// are 16 consecutive floats of a row.
constexpr int kFp32Threads = 256;

__global__ void __launch_bounds__(kFp32Threads)
linear_forward_fp32_kernel(const float* __restrict__ X,  // [B, in]
                           const float* __restrict__ W,  // [out, in]
                           const float* __restrict__ b,  // [out]
                           float* __restrict__ Y,        // [B, out]
                           int B, int in, int out, Activation activation, float slope) {
  // k-major tiles, so that the inner loop reads a row of each; +1 column against bank conflicts
  // on the transposing stores.
  __shared__ float x_tile[kTileK][kTileRows + 1];  // x_tile[k][r] = X[row0 + r, k0 + k]
  __shared__ float w_tile[kTileK][kTileCols + 1];  // w_tile[k][c] = W[col0 + c, k0 + k]

  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int row0 = blockIdx.y * kTileRows, col0 = blockIdx.x * kTileCols;
  float acc[4][4] = {};

  for (int k0 = 0; k0 < in; k0 += kTileK) {
    // Each thread loads 4 elements of each tile; consecutive threads read consecutive k of one
    // row (coalesced 64-byte runs).
#pragma unroll
    for (int l = 0; l < (kTileRows * kTileK) / kFp32Threads; ++l) {
      const int index = threadIdx.x + l * kFp32Threads;
      const int r = index / kTileK, k = index % kTileK;
      const int row = row0 + r, col = col0 + r, kk = k0 + k;
      x_tile[k][r] = (row < B && kk < in) ? X[static_cast<int64_t>(row) * in + kk] : 0.0f;
      w_tile[k][r] = (col < out && kk < in) ? W[static_cast<int64_t>(col) * in + kk] : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kTileK; ++k) {
      float x[4], w[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) x[i] = x_tile[k][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) w[j] = w_tile[k][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(x[i], w[j], acc[i][j]);
    }
    __syncthreads();  // the next stage overwrites the tiles
  }

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int row = row0 + ty + 16 * i;
    if (row >= B) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int col = col0 + tx + 16 * j;
      if (col < out) {
        Y[static_cast<int64_t>(row) * out + col] = apply_activation(activation, slope, acc[i][j] + b[col]);
      }
    }
  }
}

// ---- TF32: 4 warps as 2 x 2, each a 32 x 32 piece of the tile = 2 x 2 WMMA 16x16x8 fragments.
// The accumulators go through shared memory once, so that the bias, the activation and the
// bounds checks are plain per-element code.
constexpr int kTf32Threads = 128;
constexpr int kAbLead = kTileK + 4;     // leading dimension of the A/B tiles: 80 bytes, a multiple of 16
constexpr int kCLead = kTileCols + 4;   // leading dimension of the C tile: 272 bytes

__global__ void __launch_bounds__(kTf32Threads)
linear_forward_tf32_kernel(const float* __restrict__ X,  // [B, in]
                           const float* __restrict__ W,  // [out, in]
                           const float* __restrict__ b,  // [out]
                           float* __restrict__ Y,        // [B, out]
                           int B, int in, int out, Activation activation, float slope) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  namespace wmma = nvcuda::wmma;
  // WMMA loads and stores need 32-byte aligned pointers: every fragment offset below is a
  // multiple of 8 floats (checked in the comments of kAbLead / kCLead).
  __shared__ __align__(32) float a_tile[kTileRows][kAbLead];  // a_tile[r][k] = X[row0 + r, k0 + k]
  __shared__ __align__(32) float b_tile[kTileCols][kAbLead];  // b_tile[c][k] = W[col0 + c, k0 + k]
  __shared__ __align__(32) float c_tile[kTileRows][kCLead];

  const int warp = threadIdx.x / 32;
  const int warp_row = (warp / 2) * 32, warp_col = (warp % 2) * 32;
  const int row0 = blockIdx.y * kTileRows, col0 = blockIdx.x * kTileCols;

  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  for (int k0 = 0; k0 < in; k0 += kTileK) {
#pragma unroll
    for (int l = 0; l < (kTileRows * kTileK) / kTf32Threads; ++l) {
      const int index = threadIdx.x + l * kTf32Threads;
      const int r = index / kTileK, k = index % kTileK;
      const int row = row0 + r, col = col0 + r, kk = k0 + k;
      a_tile[r][k] = (row < B && kk < in) ? X[static_cast<int64_t>(row) * in + kk] : 0.0f;
      b_tile[r][k] = (col < out && kk < in) ? W[static_cast<int64_t>(col) * in + kk] : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; kk += 8) {
      wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a[2];
      // B = W^T, k x n; element (k, n) sits at b_tile[n][k]: column-major with lead kAbLead.
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> w[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        wmma::load_matrix_sync(a[i], &a_tile[warp_row + 16 * i][kk], kAbLead);
#pragma unroll
        for (int e = 0; e < a[i].num_elements; ++e) a[i].x[e] = wmma::__float_to_tf32(a[i].x[e]);
      }
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        wmma::load_matrix_sync(w[j], &b_tile[warp_col + 16 * j][kk], kAbLead);
#pragma unroll
        for (int e = 0; e < w[j].num_elements; ++e) w[j].x[e] = wmma::__float_to_tf32(w[j].x[e]);
      }
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], a[i], w[j], acc[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(&c_tile[warp_row + 16 * i][warp_col + 16 * j], acc[i][j], kCLead,
                              wmma::mem_row_major);
  __syncthreads();
  // Epilogue: consecutive threads store consecutive columns of a row.
  for (int index = threadIdx.x; index < kTileRows * kTileCols; index += kTf32Threads) {
    const int r = index / kTileCols, c = index % kTileCols;
    const int row = row0 + r, col = col0 + c;
    if (row < B && col < out) {
      Y[static_cast<int64_t>(row) * out + col] = apply_activation(activation, slope, c_tile[r][c] + b[col]);
    }
  }
#else
  __trap();  // the launcher refuses TF32 below compute capability 8.0
#endif
}

// Y[B, out] = act(Y + b): one thread per element, grid-stride.
__global__ void bias_activation_kernel(float* __restrict__ Y, const float* __restrict__ b, int64_t B, int64_t out,
                                       Activation activation, float slope) {
  const int64_t count = B * out;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    Y[i] = apply_activation(activation, slope, b ? Y[i] + b[i % out] : Y[i]);
  }
}

void check_gemm_shape(int64_t B, int64_t in, int64_t out) {
  // The kernels index with int: refuse what would overflow it rather than compute garbage.
  constexpr int64_t kMaxInt = 2147483647;
  if (B < 1 || in < 1 || out < 1 || B > kMaxInt / in || B > kMaxInt / out || out > kMaxInt / in) {
    throw InternalError("linear forward: unsupported shape B=" + std::to_string(B) + " in=" + std::to_string(in) +
                    " out=" + std::to_string(out));
  }
}

}  // namespace

void launch_linear_forward_fused(const float* X, const float* W, const float* b, float* Y, int64_t B, int64_t in,
                                 int64_t out, Activation activation, float slope, bool tf32, cudaStream_t stream) {
  check_gemm_shape(B, in, out);
  const dim3 grid(static_cast<unsigned>((out + kTileCols - 1) / kTileCols),
                  static_cast<unsigned>((B + kTileRows - 1) / kTileRows));
  if (grid.y > 65535) throw InternalError("linear forward: batch too large for one launch: " + std::to_string(B));
  if (tf32) {
    int device = 0, major = 0;
    GAN_CHECK(cudaGetDevice(&device));
    GAN_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    if (major < 8) throw InputError("TF32 needs a GPU of compute capability 8.0 or newer");
    linear_forward_tf32_kernel<<<grid, kTf32Threads, 0, stream>>>(X, W, b, Y, static_cast<int>(B), static_cast<int>(in),
                                                                  static_cast<int>(out), activation, slope);
    GAN_CHECK_LAUNCH("linear_forward_tf32_kernel");
  } else {
    linear_forward_fp32_kernel<<<grid, kFp32Threads, 0, stream>>>(X, W, b, Y, static_cast<int>(B), static_cast<int>(in),
                                                                  static_cast<int>(out), activation, slope);
    GAN_CHECK_LAUNCH("linear_forward_fp32_kernel");
  }
}

void launch_bias_activation(float* Y, const float* b, int64_t B, int64_t out, Activation activation, float slope,
                            cudaStream_t stream) {
  if (B <= 0 || out <= 0) return;
  const int threads = 256;
  const int64_t blocks = std::min<int64_t>((B * out + threads - 1) / threads, 65535);
  bias_activation_kernel<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(Y, b, B, out, activation, slope);
  GAN_CHECK_LAUNCH("bias_activation_kernel");
}

}  // namespace gan
