#pragma once
// defines: diff_augment, diff_augment_backward — DiffAugment's transforms (model/augment.h) and
// their gradient on the CPU
//
// images [B, C, H, W] (the MLP's [B, H*W] is C = 1), draws [B, kAugmentDraws] (fill_augment_draws).
// Per image, in order, as DiffAugment_pytorch.py:
//   color:       x += b - 0.5;  x = (x - mean_c x) * 2s + mean_c x  (per pixel, over channels);
//                x = (x - mean x) * (k + 0.5) + mean x  (over the image's C*H*W values)
//   translation: y[r][c] = x[r + dr][c + dc] where inside, else 0
//   cutout:      y = 0 on rows clamp(oy - n/2 + i, 0, H-1), i < n, and the same for columns
// Each is linear in x, so the backward is the transposed map of the same draws. The factors and
// the means stay in double (PyTorch's float32 rounds rand + 0.5 to float: a difference of at most
// 2^-24 in the factor); each transform rounds its results to T.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "model/augment.h"

namespace gan {

namespace detail {

// y [C, H, W] = x shifted by (dr, dc) with zero fill; `inverse` puts each value back where it
// came from (the transpose), zero where nothing came from.
template <class T>
void translate(const T* x, int64_t C, int64_t H, int64_t W, int64_t dr, int64_t dc, bool inverse, T* y) {
  std::fill(y, y + C * H * W, T(0));
  for (int64_t ch = 0; ch < C; ++ch) {
    for (int64_t r = 0; r < H; ++r) {
      const int64_t source_row = r + dr;
      if (source_row < 0 || source_row >= H) continue;
      for (int64_t c = 0; c < W; ++c) {
        const int64_t source_col = c + dc;
        if (source_col < 0 || source_col >= W) continue;
        const int64_t to = (ch * H + r) * W + c, from = (ch * H + source_row) * W + source_col;
        if (inverse) {
          y[from] = x[to];
        } else {
          y[to] = x[from];
        }
      }
    }
  }
}

// Zeroes the cutout square of x [C, H, W] in place (its own transpose).
template <class T>
void cut_out(T* x, int64_t C, int64_t H, int64_t W, int64_t centre_row, int64_t centre_col) {
  const int64_t rows = augment_cutout_size(H), cols = augment_cutout_size(W);
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t r = std::clamp(centre_row - rows / 2 + i, int64_t{0}, H - 1);
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t c = std::clamp(centre_col - cols / 2 + j, int64_t{0}, W - 1);
      for (int64_t ch = 0; ch < C; ++ch) x[(ch * H + r) * W + c] = T(0);
    }
  }
}

// x [C, H*W] = (x - mean over channels) * factor + that mean, per pixel. The map is symmetric
// (factor * I + (1 - factor) * the averaging projector), so the backward applies it to the gradient.
template <class T>
void blend_with_channel_mean(T* x, int64_t C, int64_t pixels, double factor) {
  for (int64_t p = 0; p < pixels; ++p) {
    double mean = 0;
    for (int64_t ch = 0; ch < C; ++ch) mean += static_cast<double>(x[ch * pixels + p]);
    mean /= static_cast<double>(C);
    for (int64_t ch = 0; ch < C; ++ch) {
      T& v = x[ch * pixels + p];
      v = static_cast<T>((static_cast<double>(v) - mean) * factor + mean);
    }
  }
}

// x [n] = (x - mean x) * factor + mean x: symmetric too.
template <class T>
void blend_with_mean(T* x, int64_t n, double factor) {
  double mean = 0;
  for (int64_t i = 0; i < n; ++i) mean += static_cast<double>(x[i]);
  mean /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<T>((static_cast<double>(x[i]) - mean) * factor + mean);
}

}  // namespace detail

// out [B, C, H, W] = the policy's transforms of in [B, C, H, W] with the draws [B, kAugmentDraws].
template <class T>
void diff_augment(const AugmentPolicy& policy, const float* draws, int64_t B, int64_t C, int64_t H, int64_t W,
                  const T* in, T* out) {
  const int64_t n = C * H * W;
  std::vector<T> shifted(static_cast<size_t>(n));
  for (int64_t b = 0; b < B; ++b) {
    const AugmentImage a = augment_image(draws + b * kAugmentDraws);
    T* y = out + b * n;
    std::copy(in + b * n, in + (b + 1) * n, y);
    if (policy.color) {
      for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(static_cast<double>(y[i]) + a.brightness);
      detail::blend_with_channel_mean(y, C, H * W, a.saturation);
      detail::blend_with_mean(y, n, a.contrast);
    }
    if (policy.translation) {
      detail::translate(y, C, H, W, a.shift_rows, a.shift_cols, /*inverse=*/false, shifted.data());
      std::copy(shifted.begin(), shifted.end(), y);
    }
    if (policy.cutout) detail::cut_out(y, C, H, W, a.cut_row, a.cut_col);
  }
}

// grad [B, C, H, W]: on entry the gradient of diff_augment's output, on return that of its input
// (the same draws). The transforms in reverse order, each transposed.
template <class T>
void diff_augment_backward(const AugmentPolicy& policy, const float* draws, int64_t B, int64_t C, int64_t H,
                           int64_t W, T* grad) {
  const int64_t n = C * H * W;
  std::vector<T> shifted(static_cast<size_t>(n));
  for (int64_t b = 0; b < B; ++b) {
    const AugmentImage a = augment_image(draws + b * kAugmentDraws);
    T* g = grad + b * n;
    if (policy.cutout) detail::cut_out(g, C, H, W, a.cut_row, a.cut_col);
    if (policy.translation) {
      detail::translate(g, C, H, W, a.shift_rows, a.shift_cols, /*inverse=*/true, shifted.data());
      std::copy(shifted.begin(), shifted.end(), g);
    }
    if (policy.color) {  // brightness adds a constant: its gradient passes through
      detail::blend_with_mean(g, n, a.contrast);
      detail::blend_with_channel_mean(g, C, H * W, a.saturation);
    }
  }
}

}  // namespace gan
