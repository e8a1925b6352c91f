#pragma once
// defines: CnnLayout, CnnPass, cnn_forward, cnn_backward — the evaluation classifier's network
//
// A small CNN on images of C channels (1 grey, 3 RGB):
//   conv 3x3 C->32 (padding 1), LeakyReLU(0.01), maxpool 2
//   conv 3x3 32->64 (padding 1), LeakyReLU(0.01), maxpool 2
//   linear 64*(H/4)*(W/4) -> 256, LeakyReLU(0.01)      <- the features
//   linear 256 -> classes                               <- the logits
// Convolutions are im2col (cpu/conv_ops.h) followed by the linear reference ops, so the same
// BLAS path and the same tested backward ops serve. A template over float (training) and
// double (the finite-difference check).
//
// Images come as the data set stores them, channel planes [B, C, H, W] (data/dataset.h); the
// activations are NHWC, so the forward pass first interleaves the planes (a copy: nothing
// needs the gradient of the images). With one channel the two layouts are the same bytes and
// the network is exactly the grey classifier it always was (conv1.weight [32, 9]).
#include <vector>

#include "cpu/conv_ops.h"
#include "cpu/ops.h"
#include "model/model_spec.h"

namespace gan {

struct CnnLayout {
  int64_t height = 0, width = 0, classes = 0, channels = 1;
  static constexpr int64_t kConv1 = 32, kConv2 = 64, kFeatures = 256;
  std::vector<TensorSlot> tensors;  // conv1.weight [32, 9*C], conv1.bias, conv2.*, fc1.*, fc2.*
  size_t parameter_count = 0;

  int64_t flat() const { return kConv2 * (height / 4) * (width / 4); }
  int64_t image_size() const { return channels * height * width; }  // values per input image
  const TensorSlot& tensor(size_t i) const { return tensors[i]; }
};

inline CnnLayout make_cnn_layout(int64_t height, int64_t width, int64_t classes, int64_t channels = 1) {
  CnnLayout layout;
  layout.height = height;
  layout.width = width;
  layout.classes = classes;
  layout.channels = channels;
  const int64_t shapes[4][2] = {{CnnLayout::kConv1, 9 * channels},
                                {CnnLayout::kConv2, 9 * CnnLayout::kConv1},
                                {CnnLayout::kFeatures, layout.flat()},
                                {classes, CnnLayout::kFeatures}};
  const char* names[4] = {"conv1", "conv2", "fc1", "fc2"};
  size_t offset = 0;
  auto aligned = [](size_t o) { return (o + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment; };
  for (int i = 0; i < 4; ++i) {
    const int64_t out = shapes[i][0], in = shapes[i][1];
    layout.tensors.push_back({std::string(names[i]) + ".weight", {out, in}, offset, static_cast<size_t>(out * in), in});
    offset = aligned(offset + static_cast<size_t>(out * in));
    layout.tensors.push_back({std::string(names[i]) + ".bias", {out}, offset, static_cast<size_t>(out), in});
    offset = aligned(offset + static_cast<size_t>(out));
  }
  layout.parameter_count = offset;
  return layout;
}

template <class T>
struct CnnPass {
  int64_t batch = 0;
  std::vector<T> nhwc, col1, z1, p1, col2, z2, p2, features, logits;
  std::vector<int64_t> arg1, arg2;
};

constexpr double kCnnSlope = 0.01;

// images: [B, C, H, W], channel planes.
template <class T>
void cnn_forward(const CnnLayout& L, const T* params, const T* images, int64_t B, CnnPass<T>* p) {
  const int64_t H = L.height, W = L.width, H2 = H / 2, W2 = W / 2, C = L.channels, C1 = L.kConv1, C2 = L.kConv2;
  const T slope = static_cast<T>(kCnnSlope);
  auto w = [&](size_t i) { return params + L.tensors[i].offset; };
  p->batch = B;
  const T* input = images;
  if (C > 1) {  // planes [B, C, H*W] -> interleaved [B, H*W, C]
    p->nhwc.resize(static_cast<size_t>(B * C * H * W));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < H * W; ++i) p->nhwc[(b * H * W + i) * C + c] = images[(b * C + c) * H * W + i];
    input = p->nhwc.data();
  }
  p->col1.resize(static_cast<size_t>(B * H * W * 9 * C));
  im2col_3x3(input, B, H, W, C, p->col1.data());
  p->z1.resize(static_cast<size_t>(B * H * W * C1));
  linear_forward(p->col1.data(), w(0), w(1), p->z1.data(), B * H * W, 9 * C, C1);
  activation_forward(Activation::kLeakyRelu, slope, p->z1.data(), p->z1.size());
  p->p1.resize(static_cast<size_t>(B * H2 * W2 * C1));
  maxpool2_forward(p->z1.data(), B, H, W, C1, p->p1.data(), &p->arg1);
  p->col2.resize(static_cast<size_t>(B * H2 * W2 * 9 * C1));
  im2col_3x3(p->p1.data(), B, H2, W2, C1, p->col2.data());
  p->z2.resize(static_cast<size_t>(B * H2 * W2 * C2));
  linear_forward(p->col2.data(), w(2), w(3), p->z2.data(), B * H2 * W2, 9 * C1, C2);
  activation_forward(Activation::kLeakyRelu, slope, p->z2.data(), p->z2.size());
  p->p2.resize(static_cast<size_t>(B * L.flat()));
  maxpool2_forward(p->z2.data(), B, H2, W2, C2, p->p2.data(), &p->arg2);
  p->features.resize(static_cast<size_t>(B * L.kFeatures));
  linear_forward(p->p2.data(), w(4), w(5), p->features.data(), B, L.flat(), L.kFeatures);
  activation_forward(Activation::kLeakyRelu, slope, p->features.data(), p->features.size());
  p->logits.resize(static_cast<size_t>(B * L.classes));
  linear_forward(p->features.data(), w(6), w(7), p->logits.data(), B, L.kFeatures, L.classes);
}

// grads [parameter_count] (overwritten) from dlogits [B, classes].
template <class T>
void cnn_backward(const CnnLayout& L, const T* params, const CnnPass<T>& p, const T* dlogits, T* grads) {
  const int64_t B = p.batch, H = L.height, W = L.width, H2 = H / 2, W2 = W / 2, C1 = L.kConv1, C2 = L.kConv2;
  const T slope = static_cast<T>(kCnnSlope);
  auto w = [&](size_t i) { return params + L.tensors[i].offset; };
  auto g = [&](size_t i) { return grads + L.tensors[i].offset; };
  // fc2 (identity activation): bias gradient = column sums of dlogits.
  std::vector<T> d_logits(dlogits, dlogits + B * L.classes);
  activation_backward(Activation::kIdentity, slope, p.logits.data(), d_logits.data(), d_logits.data(), g(7), B, L.classes);
  linear_backward_weight(d_logits.data(), p.features.data(), g(6), B, L.kFeatures, L.classes);
  std::vector<T> d_features(static_cast<size_t>(B * L.kFeatures));
  linear_backward_input(d_logits.data(), w(6), d_features.data(), B, L.kFeatures, L.classes);
  // fc1
  activation_backward(Activation::kLeakyRelu, slope, p.features.data(), d_features.data(), d_features.data(), g(5), B,
                      L.kFeatures);
  linear_backward_weight(d_features.data(), p.p2.data(), g(4), B, L.flat(), L.kFeatures);
  std::vector<T> d_p2(static_cast<size_t>(B * L.flat()));
  linear_backward_input(d_features.data(), w(4), d_p2.data(), B, L.flat(), L.kFeatures);
  // pool 2, conv 2
  std::vector<T> d_z2(p.z2.size());
  maxpool2_backward(d_p2.data(), p.arg2, static_cast<int64_t>(p.z2.size()), d_z2.data());
  activation_backward(Activation::kLeakyRelu, slope, p.z2.data(), d_z2.data(), d_z2.data(), g(3), B * H2 * W2, C2);
  linear_backward_weight(d_z2.data(), p.col2.data(), g(2), B * H2 * W2, 9 * C1, C2);
  std::vector<T> d_col2(p.col2.size()), d_p1(p.p1.size());
  linear_backward_input(d_z2.data(), w(2), d_col2.data(), B * H2 * W2, 9 * C1, C2);
  col2im_3x3(d_col2.data(), B, H2, W2, C1, d_p1.data());
  // pool 1, conv 1 (no gradient for the images themselves)
  std::vector<T> d_z1(p.z1.size());
  maxpool2_backward(d_p1.data(), p.arg1, static_cast<int64_t>(p.z1.size()), d_z1.data());
  activation_backward(Activation::kLeakyRelu, slope, p.z1.data(), d_z1.data(), d_z1.data(), g(1), B * H * W, C1);
  linear_backward_weight(d_z1.data(), p.col1.data(), g(0), B * H * W, 9 * L.channels, C1);
}

}  // namespace gan
