#pragma once
// defines: DcganGeneratorPass, DcganDiscriminatorPass, dcgan_generator_forward,
// dcgan_discriminator_forward — the convolutional GAN's forward passes on the CPU, from the
// reference layers (cpu/image_ops.h, cpu/ops.h), in training mode (BatchNorm on the batch's
// statistics, running statistics updated as PyTorch does). A template over float and double.
#include <cmath>
#include <vector>

#include "cpu/image_ops.h"
#include "cpu/ops.h"
#include "model/dcgan_spec.h"

namespace gan {

template <class T>
struct DcganGeneratorPass {
  int64_t batch = 0;
  std::vector<T> projected, normed0, relu0;  // [B, C0, 7, 7]
  std::vector<T> deconv1, normed1, relu1;    // [B, C1, 14, 14]
  std::vector<T> deconv2, image;             // [B, 1, 28, 28]; image = tanh(deconv2)
  BatchNormSaved<T> bn0, bn1;
};

template <class T>
struct DcganDiscriminatorPass {
  int64_t batch = 0;
  const T* input = nullptr;         // [B, 1, 28, 28], not owned
  std::vector<T> conv1, act1;       // [B, C1, 14, 14]
  std::vector<T> conv2, normed2, act2;  // [B, C0, 7, 7]
  std::vector<T> logits;            // [B, 1]
  BatchNormSaved<T> bn2;
};

// The ConvShape of a stride-2, padding-1, 4x4 layer between 2n x 2n and n x n maps: for a
// Conv2d from `in` channels at `size` x `size`; for a ConvTranspose2d to `out` channels at
// `size` x `size` (see image_ops.h).
inline ConvShape halving_shape(int64_t batch, int64_t in, int64_t out, int64_t size) {
  ConvShape s;
  s.batch = batch;
  s.in_channels = in;
  s.out_channels = out;
  s.height = size;
  s.width = size;
  s.kernel = 4;
  s.stride = 2;
  s.padding = 1;
  return s;
}

// G(z) in training mode. buffers: G's running statistics, updated (null: left alone).
template <class T>
void dcgan_generator_forward(const DcganSpec& spec, const T* params, T* buffers, const T* z, int64_t B,
                             DcganGeneratorPass<T>* pass) {
  const DcganNetwork& g = spec.generator;
  auto p = [&](const char* name) { return params + g.param(name).offset; };
  auto buffer = [&](const char* name) { return buffers ? buffers + g.buffer(name).offset : static_cast<T*>(nullptr); };
  const int64_t c0 = spec.c0, c1 = spec.c1;
  pass->batch = B;
  pass->projected.resize(static_cast<size_t>(B * c0 * 49));
  linear_forward(z, p("project.weight"), p("project.bias"), pass->projected.data(), B, spec.latent_dim, c0 * 49);
  pass->normed0.resize(pass->projected.size());
  batch_norm_forward(pass->projected.data(), B, c0, 49, p("net.0.weight"), p("net.0.bias"), spec.bn_eps,
                     spec.bn_momentum, buffer("net.0.running_mean"), buffer("net.0.running_var"),
                     pass->normed0.data(), &pass->bn0);
  pass->relu0 = pass->normed0;
  for (T& v : pass->relu0) v = v > T(0) ? v : T(0);

  pass->deconv1.resize(static_cast<size_t>(B * c1 * 196));
  conv_transpose2d_forward(halving_shape(B, c0, c1, 14), pass->relu0.data(), p("net.2.weight"), p("net.2.bias"),
                           pass->deconv1.data());
  pass->normed1.resize(pass->deconv1.size());
  batch_norm_forward(pass->deconv1.data(), B, c1, 196, p("net.3.weight"), p("net.3.bias"), spec.bn_eps,
                     spec.bn_momentum, buffer("net.3.running_mean"), buffer("net.3.running_var"),
                     pass->normed1.data(), &pass->bn1);
  pass->relu1 = pass->normed1;
  for (T& v : pass->relu1) v = v > T(0) ? v : T(0);

  pass->deconv2.resize(static_cast<size_t>(B * 784));
  conv_transpose2d_forward(halving_shape(B, c1, 1, 28), pass->relu1.data(), p("net.5.weight"), p("net.5.bias"),
                           pass->deconv2.data());
  pass->image = pass->deconv2;
  for (T& v : pass->image) v = std::tanh(v);
}

// D(x) in training mode: logits [B, 1]. buffers: D's running statistics, updated (null: left
// alone). x must outlive the pass (its backward reads it).
template <class T>
void dcgan_discriminator_forward(const DcganSpec& spec, const T* params, T* buffers, const T* x, int64_t B,
                                 DcganDiscriminatorPass<T>* pass) {
  const DcganNetwork& d = spec.discriminator;
  auto p = [&](const char* name) { return params + d.param(name).offset; };
  auto buffer = [&](const char* name) { return buffers ? buffers + d.buffer(name).offset : static_cast<T*>(nullptr); };
  const int64_t c0 = spec.c0, c1 = spec.c1;
  const T slope = static_cast<T>(spec.slope);
  pass->batch = B;
  pass->input = x;
  pass->conv1.resize(static_cast<size_t>(B * c1 * 196));
  conv2d_forward(halving_shape(B, 1, c1, 28), x, p("net.0.weight"), p("net.0.bias"), pass->conv1.data());
  pass->act1 = pass->conv1;
  activation_forward(Activation::kLeakyRelu, slope, pass->act1.data(), pass->act1.size());

  pass->conv2.resize(static_cast<size_t>(B * c0 * 49));
  conv2d_forward(halving_shape(B, c1, c0, 14), pass->act1.data(), p("net.2.weight"), p("net.2.bias"),
                 pass->conv2.data());
  pass->normed2.resize(pass->conv2.size());
  batch_norm_forward(pass->conv2.data(), B, c0, 49, p("net.3.weight"), p("net.3.bias"), spec.bn_eps,
                     spec.bn_momentum, buffer("net.3.running_mean"), buffer("net.3.running_var"),
                     pass->normed2.data(), &pass->bn2);
  pass->act2 = pass->normed2;
  activation_forward(Activation::kLeakyRelu, slope, pass->act2.data(), pass->act2.size());

  pass->logits.resize(static_cast<size_t>(B));
  linear_forward(pass->act2.data(), p("net.6.weight"), p("net.6.bias"), pass->logits.data(), B, c0 * 49, int64_t{1});
}

}  // namespace gan
