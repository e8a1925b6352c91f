#include "cpu/conv_gemm.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

namespace gan {

namespace {

// The Conv2d geometry of `s`: a [C, H, W] image (C = s.in_channels) against [C*K*K, Ho*Wo]
// columns, col[(c*K + ky)*K + kx, oy*Wo + ox] = image[c, oy*stride - pad + ky, ox*stride - pad + kx]
// (zero outside).
void im2col(const ConvShape& s, const float* image, float* col) {
  const int64_t K = s.kernel, Ho = s.out_height(), Wo = s.out_width();
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t ky = 0; ky < K; ++ky)
      for (int64_t kx = 0; kx < K; ++kx) {
        float* row = col + ((c * K + ky) * K + kx) * Ho * Wo;
        for (int64_t oy = 0; oy < Ho; ++oy) {
          const int64_t iy = oy * s.stride - s.padding + ky;
          for (int64_t ox = 0; ox < Wo; ++ox) {
            const int64_t ix = ox * s.stride - s.padding + kx;
            row[oy * Wo + ox] = (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width)
                                    ? 0.0f
                                    : image[(c * s.height + iy) * s.width + ix];
          }
        }
      }
}

// The adjoint of im2col: image[c, y, x] = sum of the columns' entries that read it (overwritten).
void col2im(const ConvShape& s, const float* col, float* image) {
  const int64_t K = s.kernel, Ho = s.out_height(), Wo = s.out_width();
  std::fill(image, image + s.in_channels * s.height * s.width, 0.0f);
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t ky = 0; ky < K; ++ky)
      for (int64_t kx = 0; kx < K; ++kx) {
        const float* row = col + ((c * K + ky) * K + kx) * Ho * Wo;
        for (int64_t oy = 0; oy < Ho; ++oy) {
          const int64_t iy = oy * s.stride - s.padding + ky;
          if (iy < 0 || iy >= s.height) continue;
          for (int64_t ox = 0; ox < Wo; ++ox) {
            const int64_t ix = ox * s.stride - s.padding + kx;
            if (ix >= 0 && ix < s.width) image[(c * s.height + iy) * s.width + ix] += row[oy * Wo + ox];
          }
        }
      }
}

// C[M, N] = alpha op(A) op(B) + beta C, row-major.
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float beta, float* C) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(M),
              static_cast<int>(N), static_cast<int>(K), 1.0f, A, static_cast<int>(ta ? M : K), B,
              static_cast<int>(tb ? K : N), beta, C, static_cast<int>(N));
}

// dbias[c] += the sum of g's channel c ([C, plane]): a bias's gradient from one image.
void add_channel_sums(const float* g, int64_t channels, int64_t plane, float* dbias) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t p = 0; p < plane; ++p) dbias[c] += g[c * plane + p];
}

// The Conv2d seen by a ConvTranspose2d(Cin -> Cout): from Cout channels at H x W to Cin at Hi x Wi.
ConvShape adjoint_conv(const ConvShape& s) {
  ConvShape conv = s;
  conv.in_channels = s.out_channels;
  conv.out_channels = s.in_channels;
  return conv;
}

}  // namespace

void conv2d_forward_gemm(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  const int64_t rows = s.in_channels * s.kernel * s.kernel, pixels = s.out_height() * s.out_width();
  std::vector<float> col(static_cast<size_t>(rows * pixels));
  for (int64_t b = 0; b < s.batch; ++b) {
    float* out = y + b * s.out_channels * pixels;
    im2col(s, x + b * s.in_channels * s.height * s.width, col.data());
    for (int64_t co = 0; co < s.out_channels; ++co) std::fill(out + co * pixels, out + (co + 1) * pixels, bias ? bias[co] : 0.0f);
    gemm(false, false, s.out_channels, pixels, rows, w, col.data(), 1.0f, out);  // [Co, CiKK] x [CiKK, P]
  }
}

void conv2d_backward_gemm(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                          float* dbias) {
  const int64_t rows = s.in_channels * s.kernel * s.kernel, pixels = s.out_height() * s.out_width();
  std::vector<float> col(static_cast<size_t>(rows * pixels));
  if (dw) std::fill(dw, dw + s.out_channels * rows, 0.0f);
  if (dbias) std::fill(dbias, dbias + s.out_channels, 0.0f);
  for (int64_t b = 0; b < s.batch; ++b) {
    const float* g = dy + b * s.out_channels * pixels;
    if (dbias) add_channel_sums(g, s.out_channels, pixels, dbias);
    if (dw) {
      im2col(s, x + b * s.in_channels * s.height * s.width, col.data());
      gemm(false, true, s.out_channels, rows, pixels, g, col.data(), 1.0f, dw);  // [Co, P] x [P, CiKK]
    }
    if (dx) {
      gemm(true, false, rows, pixels, s.out_channels, w, g, 0.0f, col.data());  // [CiKK, Co] x [Co, P]
      col2im(s, col.data(), dx + b * s.in_channels * s.height * s.width);
    }
  }
}

void conv_transpose2d_forward_gemm(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  // y_b = col2im(W^T x_b) for the adjoint Conv2d, W = weight as [Cin, Cout*K*K].
  const ConvShape conv = adjoint_conv(s);
  const int64_t rows = s.out_channels * s.kernel * s.kernel, pixels = s.out_height() * s.out_width();
  const int64_t plane = s.height * s.width;
  std::vector<float> col(static_cast<size_t>(rows * pixels));
  for (int64_t b = 0; b < s.batch; ++b) {
    gemm(true, false, rows, pixels, s.in_channels, w, x + b * s.in_channels * pixels, 0.0f, col.data());
    float* out = y + b * s.out_channels * plane;
    col2im(conv, col.data(), out);
    if (bias) {
      for (int64_t co = 0; co < s.out_channels; ++co)
        for (int64_t p = 0; p < plane; ++p) out[co * plane + p] += bias[co];
    }
  }
}

void conv_transpose2d_backward_gemm(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx,
                                    float* dw, float* dbias) {
  const ConvShape conv = adjoint_conv(s);
  const int64_t rows = s.out_channels * s.kernel * s.kernel, pixels = s.out_height() * s.out_width();
  const int64_t plane = s.height * s.width;
  std::vector<float> col(static_cast<size_t>(rows * pixels));
  if (dw) std::fill(dw, dw + s.in_channels * rows, 0.0f);
  if (dbias) std::fill(dbias, dbias + s.out_channels, 0.0f);
  for (int64_t b = 0; b < s.batch; ++b) {
    const float* g = dy + b * s.out_channels * plane;
    if (dbias) add_channel_sums(g, s.out_channels, plane, dbias);
    im2col(conv, g, col.data());  // [Cout*K*K, Hi*Wi]
    if (dx) gemm(false, false, s.in_channels, pixels, rows, w, col.data(), 0.0f, dx + b * s.in_channels * pixels);
    if (dw) gemm(false, true, s.in_channels, rows, pixels, x + b * s.in_channels * pixels, col.data(), 1.0f, dw);
  }
}

}  // namespace gan
