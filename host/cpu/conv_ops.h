#pragma once
// defines: im2col_3x3, col2im_3x3, maxpool2_forward, maxpool2_backward — the pieces that turn a
// 3x3 convolution (stride 1, padding 1) into the linear ops' GEMMs, for the evaluation
// classifier. Activations are NHWC ([B, H, W, C], channels contiguous), so that
//   out[(b,y,x), co] = sum over (ky,kx,c) of col[(b,y,x), (ky,kx,c)] * W[co, (ky,kx,c)] + bias[co]
// is linear_forward(col, W, bias, out, B*H*W, 9*C, Cout), and its gradients are
// linear_backward_weight / linear_backward_input followed by col2im_3x3.
// Header-only templates (float for the classifier, double for the gradient checks).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace gan {

// col[(b*H + y)*W + x, (ky*3 + kx)*C + c] = x[b, y+ky-1, x+kx-1, c], zero outside the image.
// x: [B, H, W, C], col: [B*H*W, 9*C].
template <class T>
void im2col_3x3(const T* x, int64_t B, int64_t H, int64_t W, int64_t C, T* col) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t xx = 0; xx < W; ++xx) {
        T* row = col + ((b * H + y) * W + xx) * 9 * C;
        for (int64_t ky = 0; ky < 3; ++ky)
          for (int64_t kx = 0; kx < 3; ++kx) {
            const int64_t sy = y + ky - 1, sx = xx + kx - 1;
            T* out = row + (ky * 3 + kx) * C;
            if (sy < 0 || sy >= H || sx < 0 || sx >= W) {
              std::fill(out, out + C, T(0));
            } else {
              const T* in = x + ((b * H + sy) * W + sx) * C;
              std::copy(in, in + C, out);
            }
          }
      }
}

// The adjoint of im2col_3x3: dx[b, y, x, c] = sum of the dcol entries that read it.
// dcol: [B*H*W, 9*C], dx: [B, H, W, C] (overwritten).
template <class T>
void col2im_3x3(const T* dcol, int64_t B, int64_t H, int64_t W, int64_t C, T* dx) {
  std::fill(dx, dx + B * H * W * C, T(0));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t xx = 0; xx < W; ++xx) {
        const T* row = dcol + ((b * H + y) * W + xx) * 9 * C;
        for (int64_t ky = 0; ky < 3; ++ky)
          for (int64_t kx = 0; kx < 3; ++kx) {
            const int64_t sy = y + ky - 1, sx = xx + kx - 1;
            if (sy < 0 || sy >= H || sx < 0 || sx >= W) continue;
            T* out = dx + ((b * H + sy) * W + sx) * C;
            const T* in = row + (ky * 3 + kx) * C;
            for (int64_t c = 0; c < C; ++c) out[c] += in[c];
          }
      }
}

// 2x2 max pooling, stride 2 (odd trailing rows/columns dropped, as PyTorch's floor mode).
// x: [B, H, W, C] -> y: [B, H/2, W/2, C]; argmax[i] is the index into x of y[i]'s maximum.
template <class T>
void maxpool2_forward(const T* x, int64_t B, int64_t H, int64_t W, int64_t C, T* y, std::vector<int64_t>* argmax) {
  const int64_t Ho = H / 2, Wo = W / 2;
  argmax->resize(static_cast<size_t>(B * Ho * Wo * C));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t oy = 0; oy < Ho; ++oy)
      for (int64_t ox = 0; ox < Wo; ++ox)
        for (int64_t c = 0; c < C; ++c) {
          T best = -std::numeric_limits<T>::infinity();
          int64_t where = 0;
          for (int64_t dy = 0; dy < 2; ++dy)
            for (int64_t dx = 0; dx < 2; ++dx) {
              const int64_t i = ((b * H + 2 * oy + dy) * W + 2 * ox + dx) * C + c;
              if (x[i] > best) {
                best = x[i];
                where = i;
              }
            }
          const int64_t o = ((b * Ho + oy) * Wo + ox) * C + c;
          y[o] = best;
          (*argmax)[o] = where;
        }
}

// dx (size x_size, overwritten) receives each dy at its window's maximum.
template <class T>
void maxpool2_backward(const T* dy, const std::vector<int64_t>& argmax, int64_t x_size, T* dx) {
  std::fill(dx, dx + x_size, T(0));
  for (size_t o = 0; o < argmax.size(); ++o) dx[argmax[o]] += dy[o];
}

}  // namespace gan
