// defines: augment_draws_kernel, diff_augment_kernel, diff_augment_backward_kernel
#include <string>

#include "block_sum.cuh"
#include "cuda_check.cuh"
#include "diff_augment.cuh"

namespace gan {
namespace {

constexpr int kThreads = 256;

// An image's cutout square as inclusive row and column ranges: cpu/augment.h's cut_out clamps
// each row and column of the square into the image, which makes a contiguous range.
struct CutoutSquare {
  int64_t row_first, row_last, col_first, col_last;
};

__device__ int64_t clamp_index(int64_t i, int64_t size) { return i < 0 ? 0 : i >= size ? size - 1 : i; }

__device__ CutoutSquare cutout_square(const AugmentImage& a, int64_t H, int64_t W) {
  const int64_t rows = augment_cutout_size(H), cols = augment_cutout_size(W);
  const int64_t top = a.cut_row - rows / 2, left = a.cut_col - cols / 2;
  return {clamp_index(top, H), clamp_index(top + rows - 1, H), clamp_index(left, W), clamp_index(left + cols - 1, W)};
}

// (v - mean) * factor + mean, each operation rounded (the CPU builds with -ffp-contract=off).
__device__ double blend(double v, double mean, double factor) { return __dadd_rn(__dmul_rn(v - mean, factor), mean); }

// x [C, HW]: each pixel blended with its mean over the channels (saturation). A thread per pixel.
__device__ void blend_with_channel_mean(float* x, int64_t C, int64_t HW, double factor) {
  for (int64_t p = threadIdx.x; p < HW; p += kThreads) {
    double mean = 0;
    for (int64_t ch = 0; ch < C; ++ch) mean += static_cast<double>(x[ch * HW + p]);
    mean /= static_cast<double>(C);
    for (int64_t ch = 0; ch < C; ++ch) x[ch * HW + p] = static_cast<float>(blend(x[ch * HW + p], mean, factor));
  }
}

// x [n]: blended with its mean (contrast). Every thread of the block must call it.
__device__ void blend_with_mean(BlockSum<kThreads>& shared, float* x, int64_t n, double factor) {
  __syncthreads();  // x as the block last wrote it
  double partial = 0;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) partial += static_cast<double>(x[i]);
  const double mean = block_sum(shared, partial) / static_cast<double>(n);
  for (int64_t i = threadIdx.x; i < n; i += kThreads) x[i] = static_cast<float>(blend(x[i], mean, factor));
  __syncthreads();
}

__device__ bool in_cutout(const CutoutSquare& square, int64_t r, int64_t c) {
  return r >= square.row_first && r <= square.row_last && c >= square.col_first && c <= square.col_last;
}

// A thread per draw: draws [B, kAugmentDraws].
__global__ void augment_draws_kernel(uint64_t seed, const uint64_t* __restrict__ device_step_key, uint32_t site,
                                     int64_t B, int64_t height, int64_t width, float* __restrict__ draws) {
  const int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (e >= B * kAugmentDraws) return;
  draws[e] = augment_draw(seed, *device_step_key, site, B, e / kAugmentDraws, e % kAugmentDraws, height, width);
}

// A block per image: in, scratch, out [B, C, H, W]; draws [B, kAugmentDraws].
__global__ void __launch_bounds__(kThreads)
diff_augment_kernel(uint32_t policy, const float* __restrict__ draws, int64_t C, int64_t H, int64_t W,
                    const float* __restrict__ in, float* __restrict__ scratch, float* __restrict__ out) {
  __shared__ BlockSum<kThreads> shared;
  const int64_t n = C * H * W, image = blockIdx.x;
  const AugmentImage t = augment_image(draws + image * kAugmentDraws);
  const CutoutSquare square = cutout_square(t, H, W);
  const float* x = in + image * n;
  float* y = out + image * n;
  if (policy & kAugmentColor) {
    float* s = scratch + image * n;
    for (int64_t i = threadIdx.x; i < n; i += kThreads) {
      s[i] = static_cast<float>(static_cast<double>(x[i]) + t.brightness);
    }
    __syncthreads();
    blend_with_channel_mean(s, C, H * W, t.saturation);
    blend_with_mean(shared, s, n, t.contrast);  // synchronises before and after
    x = s;
  }
  // Translation and cutout as one gather: each output value from its source, or 0.
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    const int64_t ch = i / (H * W), r = (i / W) % H, c = i % W;
    float v = x[i];
    if (policy & kAugmentTranslation) {
      const int64_t source_row = r + t.shift_rows, source_col = c + t.shift_cols;
      const bool inside = source_row >= 0 && source_row < H && source_col >= 0 && source_col < W;
      v = inside ? x[(ch * H + source_row) * W + source_col] : 0.0f;
    }
    if ((policy & kAugmentCutout) && in_cutout(square, r, c)) v = 0.0f;
    y[i] = v;
  }
}

// A block per image: grad_out, grad_in [B, C, H, W].
__global__ void __launch_bounds__(kThreads)
diff_augment_backward_kernel(uint32_t policy, const float* __restrict__ draws, int64_t C, int64_t H, int64_t W,
                             const float* __restrict__ grad_out, float* __restrict__ grad_in) {
  __shared__ BlockSum<kThreads> shared;
  const int64_t n = C * H * W, image = blockIdx.x;
  const AugmentImage t = augment_image(draws + image * kAugmentDraws);
  const CutoutSquare square = cutout_square(t, H, W);
  const float* g = grad_out + image * n;
  float* x = grad_in + image * n;
  // Cutout, then the translation's transpose: each input position takes the gradient of the
  // output position its value went to, 0 where it went outside or into the square.
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    const int64_t ch = i / (H * W);
    int64_t r = (i / W) % H, c = i % W;
    if (policy & kAugmentTranslation) {
      r -= t.shift_rows;
      c -= t.shift_cols;
    }
    const bool live = r >= 0 && r < H && c >= 0 && c < W && !((policy & kAugmentCutout) && in_cutout(square, r, c));
    x[i] = live ? g[(ch * H + r) * W + c] : 0.0f;
  }
  if (policy & kAugmentColor) {  // both blends are symmetric maps: contrast's, then saturation's
    blend_with_mean(shared, x, n, t.contrast);
    blend_with_channel_mean(x, C, H * W, t.saturation);
  }
}

void check_images(const char* what, int64_t B, int64_t C, int64_t H, int64_t W) {
  if (B < 1 || C < 1 || H < 1 || W < 1) {
    throw InternalError(std::string(what) + ": images of " + std::to_string(B) + " x " + std::to_string(C) + " x " +
                        std::to_string(H) + " x " + std::to_string(W));
  }
  if (B > 2147483647) throw InternalError(std::string(what) + ": a grid of " + std::to_string(B) + " blocks");
}

}  // namespace

void launch_augment_draws(uint64_t seed, const uint64_t* device_step_key, uint32_t site, int64_t B, int64_t height,
                          int64_t width, float* draws, cudaStream_t stream) {
  check_images("augment draws", B, 1, height, width);
  const int64_t count = B * kAugmentDraws;
  augment_draws_kernel<<<static_cast<unsigned>((count + kThreads - 1) / kThreads), kThreads, 0, stream>>>(
      seed, device_step_key, site, B, height, width, draws);
  GAN_CHECK_LAUNCH("augment_draws_kernel");
}

void launch_diff_augment(uint32_t policy, const float* draws, int64_t B, int64_t C, int64_t H, int64_t W,
                         const float* in, float* scratch, float* out, cudaStream_t stream) {
  check_images("diff augment", B, C, H, W);
  diff_augment_kernel<<<static_cast<unsigned>(B), kThreads, 0, stream>>>(policy, draws, C, H, W, in, scratch, out);
  GAN_CHECK_LAUNCH("diff_augment_kernel");
}

void launch_diff_augment_backward(uint32_t policy, const float* draws, int64_t B, int64_t C, int64_t H, int64_t W,
                                  const float* grad_out, float* grad_in, cudaStream_t stream) {
  check_images("diff augment backward", B, C, H, W);
  diff_augment_backward_kernel<<<static_cast<unsigned>(B), kThreads, 0, stream>>>(policy, draws, C, H, W, grad_out,
                                                                                  grad_in);
  GAN_CHECK_LAUNCH("diff_augment_backward_kernel");
}

}  // namespace gan
