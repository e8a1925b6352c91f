#include "cpu/conv_gemm.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "cpu/cpu_gemm.h"
#include "util/error.h"
#include "util/parallel.h"

namespace gan {

namespace {

// One GEMM covers as many images as fit in this many floats of each scratch matrix (4 MiB). With
// one GEMM per image, a layer on 4x4 or 8x8 maps repacked its whole weight matrix for every
// image to multiply it by 16 or 64 columns: OpenBLAS's packing took more time than its
// arithmetic. Measured at 32x32, width 64, batch 128, 2 threads (bench/RESULTS.md): 1 Mi floats
// beat 256 Ki and 4 Mi, whose columns no longer stay in the caches between im2col and the GEMM.
constexpr int64_t kColumnBudget = int64_t{1} << 20;

// floats_per_image: the larger of the two scratch matrices' shares of one image (the columns, or
// the channel-major operand), so that neither buffer outgrows the budget.
int64_t images_per_gemm(int64_t floats_per_image, int64_t batch, int64_t max_images) {
  int64_t n = std::max<int64_t>(1, kColumnBudget / std::max<int64_t>(floats_per_image, 1));
  if (max_images > 0) n = std::min(n, max_images);
  return std::max<int64_t>(1, std::min(n, batch));
}

// Scratch kept between calls (grown, never shrunk): a fresh vector per call cost a page fault per
// 4 KiB on every step.
thread_local std::vector<float> t_columns, t_matrix;

float* scratch(std::vector<float>& buffer, int64_t floats) {
  if (buffer.size() < static_cast<size_t>(floats)) buffer.resize(static_cast<size_t>(floats));
  return buffer.data();
}

// The output positions o in [0, count) whose input o*stride - padding + k lies in [0, size):
// [*lo, *hi).
void valid_range(int64_t k, const ConvShape& s, int64_t size, int64_t count, int64_t* lo, int64_t* hi) {
  *lo = 0;
  while (*lo < count && *lo * s.stride - s.padding + k < 0) ++*lo;
  *hi = count;
  while (*hi > *lo && (*hi - 1) * s.stride - s.padding + k >= size) --*hi;
}

// The Conv2d geometry of `s`: a [C, H, W] image (C = s.in_channels) against [C*K*K, Ho*Wo]
// columns with row stride ld, col[(c*K + ky)*K + kx, oy*Wo + ox] = image[c, oy*stride - pad + ky,
// ox*stride - pad + kx] (zero outside). Instantiated for the strides of 1 and 2 that the layers
// use, where a constant stride lets the compiler vectorise the row loop (kStride 0 reads
// s.stride at run time). The rows are short (4 to 32 outputs): a call per row through a function
// pointer, as this was written first, cost more than the copying (perf, 32x32 colour step: 21%
// of the step in im2col and its row gather).
template <int64_t kStride>
void im2col_strided(const ConvShape& s, const float* image, float* col, int64_t ld) {
  const int64_t K = s.kernel, Ho = s.out_height(), Wo = s.out_width();
  const int64_t step = kStride ? kStride : s.stride;
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t ky = 0; ky < K; ++ky)
      for (int64_t kx = 0; kx < K; ++kx) {
        float* row = col + ((c * K + ky) * K + kx) * ld;
        int64_t lo = 0, hi = 0;
        valid_range(kx, s, s.width, Wo, &lo, &hi);
        const int64_t shift = kx - s.padding;
        for (int64_t oy = 0; oy < Ho; ++oy) {
          float* out = row + oy * Wo;
          const int64_t iy = oy * step - s.padding + ky;
          if (iy < 0 || iy >= s.height) {
            std::fill(out, out + Wo, 0.0f);
            continue;
          }
          const float* in = image + (c * s.height + iy) * s.width;
          for (int64_t ox = 0; ox < lo; ++ox) out[ox] = 0.0f;
          for (int64_t ox = lo; ox < hi; ++ox) out[ox] = in[ox * step + shift];
          for (int64_t ox = hi; ox < Wo; ++ox) out[ox] = 0.0f;
        }
      }
}

void im2col(const ConvShape& s, const float* image, float* col, int64_t ld) {
  if (s.stride == 1) return im2col_strided<1>(s, image, col, ld);
  if (s.stride == 2) return im2col_strided<2>(s, image, col, ld);
  im2col_strided<0>(s, image, col, ld);
}

// The adjoint of im2col: image[c, y, x] = the sum of the columns' entries that read it
// (overwritten).
template <int64_t kStride>
void col2im_strided(const ConvShape& s, const float* col, int64_t ld, float* image) {
  const int64_t K = s.kernel, Ho = s.out_height(), Wo = s.out_width();
  const int64_t step = kStride ? kStride : s.stride;
  std::fill(image, image + s.in_channels * s.height * s.width, 0.0f);
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t ky = 0; ky < K; ++ky)
      for (int64_t kx = 0; kx < K; ++kx) {
        const float* row = col + ((c * K + ky) * K + kx) * ld;
        int64_t lo = 0, hi = 0;
        valid_range(kx, s, s.width, Wo, &lo, &hi);
        const int64_t shift = kx - s.padding;
        for (int64_t oy = 0; oy < Ho; ++oy) {
          const int64_t iy = oy * step - s.padding + ky;
          if (iy < 0 || iy >= s.height) continue;
          const float* from = row + oy * Wo;
          float* in = image + (c * s.height + iy) * s.width;
          for (int64_t ox = lo; ox < hi; ++ox) in[ox * step + shift] += from[ox];
        }
      }
}

void col2im(const ConvShape& s, const float* col, int64_t ld, float* image) {
  if (s.stride == 1) return col2im_strided<1>(s, col, ld, image);
  if (s.stride == 2) return col2im_strided<2>(s, col, ld, image);
  col2im_strided<0>(s, col, ld, image);
}

// im2col (or col2im) of images [first, first + n) of a batch, image j into columns
// [j*plane, (j+1)*plane) of rows of stride n*plane; the images split between the workers.
void batch_im2col(const ConvShape& s, const float* images, int64_t first, int64_t n, float* col) {
  const int64_t plane = s.out_height() * s.out_width(), image = s.in_channels * s.height * s.width;
  parallel_for(static_cast<size_t>(n), 1, [&](size_t j0, size_t j1) {
    for (size_t j = j0; j < j1; ++j)
      im2col(s, images + (first + static_cast<int64_t>(j)) * image, col + static_cast<int64_t>(j) * plane, n * plane);
  });
}

void batch_col2im(const ConvShape& s, const float* col, int64_t first, int64_t n, float* images) {
  const int64_t plane = s.out_height() * s.out_width(), image = s.in_channels * s.height * s.width;
  parallel_for(static_cast<size_t>(n), 1, [&](size_t j0, size_t j1) {
    for (size_t j = j0; j < j1; ++j)
      col2im(s, col + static_cast<int64_t>(j) * plane, n * plane, images + (first + static_cast<int64_t>(j)) * image);
  });
}

// [n, C, P] -> [C, n*P]: the channels of n images side by side, one GEMM operand for all of them.
void to_channel_major(const float* images, int64_t n, int64_t channels, int64_t plane, float* out) {
  parallel_for(static_cast<size_t>(channels), 8, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; ++c)
      for (int64_t j = 0; j < n; ++j) {
        const float* from = images + (j * channels + static_cast<int64_t>(c)) * plane;
        std::copy(from, from + plane, out + (static_cast<int64_t>(c) * n + j) * plane);
      }
  });
}

// [C, n*P] -> [n, C, P], adding bias[c] (null: none).
void from_channel_major(const float* matrix, int64_t n, int64_t channels, int64_t plane, const float* bias,
                        float* images) {
  parallel_for(static_cast<size_t>(channels), 8, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; ++c) {
      const float add = bias ? bias[c] : 0.0f;
      for (int64_t j = 0; j < n; ++j) {
        const float* from = matrix + (static_cast<int64_t>(c) * n + j) * plane;
        float* to = images + (j * channels + static_cast<int64_t>(c)) * plane;
        for (int64_t p = 0; p < plane; ++p) to[p] = from[p] + add;
      }
    }
  });
}

// C[M, N] = op(A) op(B) + beta C, row-major, every matrix contiguous.
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float beta, float* C) {
  sgemm(ta, tb, M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, beta, C, N);
}

// dbias[c] += the sum of channel c of images [first, first + n) of g [B, C, plane].
void add_channel_sums(const float* g, int64_t first, int64_t n, int64_t channels, int64_t plane, float* dbias) {
  for (int64_t b = first; b < first + n; ++b)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t p = 0; p < plane; ++p) dbias[c] += g[(b * channels + c) * plane + p];
}

// The Conv2d seen by a ConvTranspose2d(Cin -> Cout): from Cout channels at H x W to Cin at Hi x Wi.
ConvShape adjoint_conv(const ConvShape& s) {
  ConvShape conv = s;
  conv.in_channels = s.out_channels;
  conv.out_channels = s.in_channels;
  return conv;
}

}  // namespace

void conv2d_forward_gemm(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                         int64_t max_images) {
  const int64_t rows = s.in_channels * s.kernel * s.kernel, plane = s.out_height() * s.out_width();
  const int64_t most = images_per_gemm(std::max(rows, s.out_channels) * plane, s.batch, max_images);
  float* col = scratch(t_columns, rows * plane * most);
  float* out = scratch(t_matrix, s.out_channels * plane * most);
  for (int64_t first = 0; first < s.batch; first += most) {
    const int64_t n = std::min(most, s.batch - first);
    batch_im2col(s, x, first, n, col);
    gemm(false, false, s.out_channels, n * plane, rows, w, col, 0.0f, out);  // [Co, CiKK] x [CiKK, nP]
    from_channel_major(out, n, s.out_channels, plane, bias, y + first * s.out_channels * plane);
  }
}

void conv2d_backward_gemm(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                          float* dbias, int64_t max_images) {
  const int64_t rows = s.in_channels * s.kernel * s.kernel, plane = s.out_height() * s.out_width();
  const int64_t most = images_per_gemm(std::max(rows, s.out_channels) * plane, s.batch, max_images);
  float* col = scratch(t_columns, rows * plane * most);
  float* g = scratch(t_matrix, s.out_channels * plane * most);
  if (dw) std::fill(dw, dw + s.out_channels * rows, 0.0f);
  if (dbias) std::fill(dbias, dbias + s.out_channels, 0.0f);
  for (int64_t first = 0; first < s.batch; first += most) {
    const int64_t n = std::min(most, s.batch - first);
    if (dbias) add_channel_sums(dy, first, n, s.out_channels, plane, dbias);
    to_channel_major(dy + first * s.out_channels * plane, n, s.out_channels, plane, g);  // [Co, nP]
    if (dw) {
      batch_im2col(s, x, first, n, col);
      gemm(false, true, s.out_channels, rows, n * plane, g, col, 1.0f, dw);  // [Co, nP] x [nP, CiKK]
    }
    if (dx) {
      gemm(true, false, rows, n * plane, s.out_channels, w, g, 0.0f, col);  // [CiKK, Co] x [Co, nP]
      batch_col2im(s, col, first, n, dx);
    }
  }
}

void conv_transpose2d_forward_gemm(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                                   int64_t max_images) {
  // y_b = col2im(W^T x_b) for the adjoint Conv2d, W = weight as [Cin, Cout*K*K].
  const ConvShape conv = adjoint_conv(s);
  const int64_t rows = s.out_channels * s.kernel * s.kernel, pixels = s.out_height() * s.out_width();
  const int64_t plane = s.height * s.width;
  const int64_t most = images_per_gemm(std::max(rows, s.in_channels) * pixels, s.batch, max_images);
  float* col = scratch(t_columns, rows * pixels * most);
  float* xt = scratch(t_matrix, s.in_channels * pixels * most);
  for (int64_t first = 0; first < s.batch; first += most) {
    const int64_t n = std::min(most, s.batch - first);
    to_channel_major(x + first * s.in_channels * pixels, n, s.in_channels, pixels, xt);  // [Cin, n*pixels]
    gemm(true, false, rows, n * pixels, s.in_channels, w, xt, 0.0f, col);             // [CoKK, Cin] x [Cin, n*pixels]
    batch_col2im(conv, col, first, n, y);
  }
  if (bias) {
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t co = 0; co < s.out_channels; ++co) {
        float* out = y + (b * s.out_channels + co) * plane;
        for (int64_t p = 0; p < plane; ++p) out[p] += bias[co];
      }
  }
}

void conv_transpose2d_backward_gemm(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx,
                                    float* dw, float* dbias, int64_t max_images) {
  const ConvShape conv = adjoint_conv(s);
  const int64_t rows = s.out_channels * s.kernel * s.kernel, pixels = s.out_height() * s.out_width();
  const int64_t plane = s.height * s.width;
  const int64_t most = images_per_gemm(std::max(rows, s.in_channels) * pixels, s.batch, max_images);
  float* col = scratch(t_columns, rows * pixels * most);
  float* mat = scratch(t_matrix, s.in_channels * pixels * most);
  if (dw) std::fill(dw, dw + s.in_channels * rows, 0.0f);
  if (dbias) std::fill(dbias, dbias + s.out_channels, 0.0f);
  for (int64_t first = 0; first < s.batch; first += most) {
    const int64_t n = std::min(most, s.batch - first);
    if (dbias) add_channel_sums(dy, first, n, s.out_channels, plane, dbias);
    batch_im2col(conv, dy, first, n, col);  // [Cout*K*K, n*pixels]
    if (dx) {
      gemm(false, false, s.in_channels, n * pixels, rows, w, col, 0.0f, mat);  // [Cin, CoKK] x [CoKK, n*pixels]
      from_channel_major(mat, n, s.in_channels, pixels, nullptr, dx + first * s.in_channels * pixels);
    }
    if (dw) {
      to_channel_major(x + first * s.in_channels * pixels, n, s.in_channels, pixels, mat);
      gemm(false, true, s.in_channels, rows, n * pixels, mat, col, 1.0f, dw);  // [Cin, n*pixels] x [n*pixels, CoKK]
    }
  }
}

}  // namespace gan
