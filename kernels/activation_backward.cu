// defines: activation_backward_kernel
#include <string>

#include "activation_backward.cuh"
#include "cuda_check.cuh"
#include "device_activation.cuh"

namespace gan {
namespace {

// A block owns 32 columns and walks all B rows with 16 row lanes: thread (lane_row, lane_col)
// handles rows lane_row, lane_row + 16, ... of column col0 + lane_col, so a warp touches 32
// consecutive floats of a row (coalesced). Each thread sums its rows in order, then the 16
// partial sums of a column are added in lane order: a fixed order, deterministic.
constexpr int kColumns = 32;
constexpr int kRowLanes = 16;

__global__ void __launch_bounds__(kColumns * kRowLanes)
activation_backward_kernel(Activation activation, float slope,
                           const float* Y,               // [B, out]; may alias dY and dZ
                           const float* dY,              // [B, out], may alias dZ
                           float* dZ,                    // [B, out]
                           float* __restrict__ db,       // [out] or null
                           int64_t B, int64_t out) {
  __shared__ float partial[kRowLanes][kColumns + 1];
  const int lane_col = threadIdx.x % kColumns, lane_row = threadIdx.x / kColumns;
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kColumns + lane_col;
  float sum = 0.0f;
  if (col < out) {
    for (int64_t row = lane_row; row < B; row += kRowLanes) {
      const int64_t i = row * out + col;
      const float dz = activation_backward_value(activation, slope, Y[i], dY[i]);
      dZ[i] = dz;
      sum += dz;
    }
  }
  if (db == nullptr) return;  // uniform across the block: no thread waits at the barrier below
  partial[lane_row][lane_col] = sum;
  __syncthreads();
  if (lane_row == 0 && col < out) {
    float total = 0.0f;
    for (int r = 0; r < kRowLanes; ++r) total += partial[r][lane_col];
    db[col] = total;
  }
}

}  // namespace

void launch_activation_backward(Activation activation, float slope, const float* Y, const float* dY, float* dZ,
                                float* db, int64_t B, int64_t out, cudaStream_t stream) {
  if (B <= 0 || out <= 0) return;
  const int64_t blocks = (out + kColumns - 1) / kColumns;
  if (blocks > 2147483647) throw InternalError("activation backward: too many columns: " + std::to_string(out));
  activation_backward_kernel<<<static_cast<unsigned>(blocks), kColumns * kRowLanes, 0, stream>>>(
      activation, slope, Y, dY, dZ, db, B, out);
  GAN_CHECK_LAUNCH("activation_backward_kernel");
}

}  // namespace gan
