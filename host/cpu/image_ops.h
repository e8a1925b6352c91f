#pragma once
// defines: conv2d_forward, conv2d_backward, conv_transpose2d_forward,
// conv_transpose2d_backward, BatchNormSaved, batch_norm_forward, batch_norm_inference,
// batch_norm_backward — the CPU
// references of the convolutional GAN's layers (the seed's section
// 4.4; issue 10), in PyTorch's semantics and layouts: activations NCHW, Conv2d weights
// [Cout, Cin, K, K], ConvTranspose2d weights [Cin, Cout, K, K].
//
// Plain loops a reader can check by eye, templates over float (a trainer) and double (the
// finite-difference tests). The GPU side (cuDNN) will be checked against these.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "model/conv_shape.h"
#include "util/parallel.h"

namespace gan {

// y[b, co, oy, ox] = bias[co] + sum over ci, ky, kx of x[b, ci, oy*s - p + ky, ox*s - p + kx] *
// w[co, ci, ky, kx] (zero outside the image). bias may be null.
// x: [B, Ci, H, W], w: [Co, Ci, K, K], y: [B, Co, Ho, Wo] (overwritten).
template <class T>
void conv2d_forward(const ConvShape& s, const T* x, const T* w, const T* bias, T* y) {
  const int64_t Ho = s.out_height(), Wo = s.out_width(), K = s.kernel;
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t co = 0; co < s.out_channels; ++co)
      for (int64_t oy = 0; oy < Ho; ++oy)
        for (int64_t ox = 0; ox < Wo; ++ox) {
          T sum = bias ? bias[co] : T(0);
          for (int64_t ci = 0; ci < s.in_channels; ++ci)
            for (int64_t ky = 0; ky < K; ++ky) {
              const int64_t iy = oy * s.stride - s.padding + ky;
              if (iy < 0 || iy >= s.height) continue;
              for (int64_t kx = 0; kx < K; ++kx) {
                const int64_t ix = ox * s.stride - s.padding + kx;
                if (ix < 0 || ix >= s.width) continue;
                sum += x[((b * s.in_channels + ci) * s.height + iy) * s.width + ix] *
                       w[((co * s.in_channels + ci) * K + ky) * K + kx];
              }
            }
          y[((b * s.out_channels + co) * Ho + oy) * Wo + ox] = sum;
        }
}

// Gradients of conv2d_forward given dy [B, Co, Ho, Wo]: dx [B, Ci, H, W], dw [Co, Ci, K, K],
// dbias [Co], each overwritten; any may be null to skip it.
template <class T>
void conv2d_backward(const ConvShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* dbias) {
  const int64_t Ho = s.out_height(), Wo = s.out_width(), K = s.kernel;
  if (dx) std::fill(dx, dx + s.batch * s.in_channels * s.height * s.width, T(0));
  if (dw) std::fill(dw, dw + s.out_channels * s.in_channels * K * K, T(0));
  if (dbias) std::fill(dbias, dbias + s.out_channels, T(0));
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t co = 0; co < s.out_channels; ++co)
      for (int64_t oy = 0; oy < Ho; ++oy)
        for (int64_t ox = 0; ox < Wo; ++ox) {
          const T g = dy[((b * s.out_channels + co) * Ho + oy) * Wo + ox];
          if (dbias) dbias[co] += g;
          for (int64_t ci = 0; ci < s.in_channels; ++ci)
            for (int64_t ky = 0; ky < K; ++ky) {
              const int64_t iy = oy * s.stride - s.padding + ky;
              if (iy < 0 || iy >= s.height) continue;
              for (int64_t kx = 0; kx < K; ++kx) {
                const int64_t ix = ox * s.stride - s.padding + kx;
                if (ix < 0 || ix >= s.width) continue;
                const int64_t xi = ((b * s.in_channels + ci) * s.height + iy) * s.width + ix;
                const int64_t wi = ((co * s.in_channels + ci) * K + ky) * K + kx;
                if (dx) dx[xi] += g * w[wi];
                if (dw) dw[wi] += g * x[xi];
              }
            }
        }
}

// ConvTranspose2d(Cin -> Cout) as PyTorch defines it: each input pixel scatters a K x K patch,
//   y[b, co, iy*s - p + ky, ix*s - p + kx] += x[b, ci, iy, ix] * w[ci, co, ky, kx],
// then bias[co] (if not null) is added. The ConvShape describes the Conv2d this is the adjoint
// of, seen from this layer: in_channels = Cin, out_channels = Cout, height/width = the OUTPUT's
// size, and out_height()/out_width() = the INPUT's size.
// x: [B, Cin, Hi, Wi], w: [Cin, Cout, K, K], y: [B, Cout, H, W] (overwritten).
template <class T>
void conv_transpose2d_forward(const ConvShape& s, const T* x, const T* w, const T* bias, T* y) {
  const int64_t Hi = s.out_height(), Wi = s.out_width(), K = s.kernel;
  const int64_t plane = s.height * s.width;
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t co = 0; co < s.out_channels; ++co)
      std::fill(y + (b * s.out_channels + co) * plane, y + (b * s.out_channels + co + 1) * plane,
                bias ? bias[co] : T(0));
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t ci = 0; ci < s.in_channels; ++ci)
      for (int64_t iy = 0; iy < Hi; ++iy)
        for (int64_t ix = 0; ix < Wi; ++ix) {
          const T v = x[((b * s.in_channels + ci) * Hi + iy) * Wi + ix];
          for (int64_t co = 0; co < s.out_channels; ++co)
            for (int64_t ky = 0; ky < K; ++ky) {
              const int64_t oy = iy * s.stride - s.padding + ky;
              if (oy < 0 || oy >= s.height) continue;
              for (int64_t kx = 0; kx < K; ++kx) {
                const int64_t ox = ix * s.stride - s.padding + kx;
                if (ox < 0 || ox >= s.width) continue;
                y[((b * s.out_channels + co) * s.height + oy) * s.width + ox] +=
                    v * w[((ci * s.out_channels + co) * K + ky) * K + kx];
              }
            }
        }
}

// Gradients of conv_transpose2d_forward given dy [B, Cout, H, W]: dx [B, Cin, Ho, Wo],
// dw [Cin, Cout, K, K], dbias [Cout], each overwritten; any may be null.
template <class T>
void conv_transpose2d_backward(const ConvShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* dbias) {
  const int64_t Hi = s.out_height(), Wi = s.out_width(), K = s.kernel;
  if (dw) std::fill(dw, dw + s.in_channels * s.out_channels * K * K, T(0));
  if (dbias) {
    std::fill(dbias, dbias + s.out_channels, T(0));
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t co = 0; co < s.out_channels; ++co)
        for (int64_t i = 0; i < s.height * s.width; ++i) dbias[co] += dy[(b * s.out_channels + co) * s.height * s.width + i];
  }
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t ci = 0; ci < s.in_channels; ++ci)
      for (int64_t iy = 0; iy < Hi; ++iy)
        for (int64_t ix = 0; ix < Wi; ++ix) {
          const int64_t xi = ((b * s.in_channels + ci) * Hi + iy) * Wi + ix;
          T gx = T(0);
          for (int64_t co = 0; co < s.out_channels; ++co)
            for (int64_t ky = 0; ky < K; ++ky) {
              const int64_t oy = iy * s.stride - s.padding + ky;
              if (oy < 0 || oy >= s.height) continue;
              for (int64_t kx = 0; kx < K; ++kx) {
                const int64_t ox = ix * s.stride - s.padding + kx;
                if (ox < 0 || ox >= s.width) continue;
                const T g = dy[((b * s.out_channels + co) * s.height + oy) * s.width + ox];
                const int64_t wi = ((ci * s.out_channels + co) * K + ky) * K + kx;
                gx += g * w[wi];
                if (dw) dw[wi] += g * x[xi];
              }
            }
          if (dx) dx[xi] = gx;
        }
}

// What a training-mode BatchNorm pass keeps for its backward pass.
template <class T>
struct BatchNormSaved {
  std::vector<T> mean, inverse_std;  // per channel: batch mean, 1 / sqrt(biased variance + eps)
};

// PyTorch's BatchNorm2d in training mode over x [B, C, HW] (HW = 1 for BatchNorm1d):
//   y = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c, with the batch's biased variance;
// running_mean/var (if not null) move by `momentum` toward the batch mean and the UNBIASED
// variance, as PyTorch does. Needs B * HW >= 2.
template <class T>
void batch_norm_forward(const T* x, int64_t B, int64_t C, int64_t HW, const T* gamma, const T* beta, double eps,
                        double momentum, T* running_mean, T* running_var, T* y, BatchNormSaved<T>* saved) {
  const double n = static_cast<double>(B * HW);
  saved->mean.assign(static_cast<size_t>(C), T(0));
  saved->inverse_std.assign(static_cast<size_t>(C), T(0));
  // Channels are independent: the workers split them, each channel summed in one fixed order.
  parallel_for(static_cast<size_t>(C), 1, [&](size_t c0, size_t c1) {
    for (int64_t c = static_cast<int64_t>(c0); c < static_cast<int64_t>(c1); ++c) {
      double sum = 0, squares = 0;
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < HW; ++i) sum += static_cast<double>(x[(b * C + c) * HW + i]);
      const double mean = sum / n;
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < HW; ++i) {
          const double d = static_cast<double>(x[(b * C + c) * HW + i]) - mean;
          squares += d * d;
        }
      const double variance = squares / n;
      const T inverse_std = static_cast<T>(1.0 / std::sqrt(variance + eps));
      saved->mean[static_cast<size_t>(c)] = static_cast<T>(mean);
      saved->inverse_std[static_cast<size_t>(c)] = inverse_std;
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < HW; ++i) {
          const int64_t k = (b * C + c) * HW + i;
          y[k] = (x[k] - static_cast<T>(mean)) * inverse_std * gamma[c] + beta[c];
        }
      if (running_mean) running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
      if (running_var) running_var[c] = static_cast<T>((1 - momentum) * running_var[c] + momentum * squares / (n - 1));
    }
  });
}

// BatchNorm in evaluation mode (PyTorch's model.eval()): the running statistics instead of the
// batch's. y may alias x.
template <class T>
void batch_norm_inference(const T* x, int64_t B, int64_t C, int64_t HW, const T* gamma, const T* beta, double eps,
                          const T* running_mean, const T* running_var, T* y) {
  for (int64_t c = 0; c < C; ++c) {
    const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps)) * gamma[c];
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < HW; ++i) {
        const int64_t k = (b * C + c) * HW + i;
        y[k] = (x[k] - running_mean[c]) * scale + beta[c];
      }
  }
}

// The gradients of batch_norm_forward (training mode: the batch statistics depend on x):
//   dx = gamma * inverse_std / N * (N dy - sum(dy) - x_hat * sum(dy * x_hat)),
//   dgamma = sum(dy * x_hat), dbeta = sum(dy), sums over the batch and the plane.
template <class T>
void batch_norm_backward(const T* x, const T* dy, int64_t B, int64_t C, int64_t HW, const T* gamma,
                         const BatchNormSaved<T>& saved, T* dx, T* dgamma, T* dbeta) {
  const double n = static_cast<double>(B * HW);
  parallel_for(static_cast<size_t>(C), 1, [&](size_t c0, size_t c1) {  // as batch_norm_forward
    for (int64_t c = static_cast<int64_t>(c0); c < static_cast<int64_t>(c1); ++c) {
      const double mean = saved.mean[static_cast<size_t>(c)], inverse_std = saved.inverse_std[static_cast<size_t>(c)];
      double sum_dy = 0, sum_dy_xhat = 0;
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < HW; ++i) {
          const int64_t k = (b * C + c) * HW + i;
          const double x_hat = (static_cast<double>(x[k]) - mean) * inverse_std;
          sum_dy += static_cast<double>(dy[k]);
          sum_dy_xhat += static_cast<double>(dy[k]) * x_hat;
        }
      if (dgamma) dgamma[c] = static_cast<T>(sum_dy_xhat);
      if (dbeta) dbeta[c] = static_cast<T>(sum_dy);
      if (!dx) continue;
      const double scale = static_cast<double>(gamma[c]) * inverse_std / n;
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < HW; ++i) {
          const int64_t k = (b * C + c) * HW + i;
          const double x_hat = (static_cast<double>(x[k]) - mean) * inverse_std;
          dx[k] = static_cast<T>(scale * (n * static_cast<double>(dy[k]) - sum_dy - x_hat * sum_dy_xhat));
        }
    }
  });
}

}  // namespace gan
