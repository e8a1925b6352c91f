#pragma once
// defines: DcganGeneratorPass, DcganDiscriminatorPass, dcgan_generator_forward,
// dcgan_discriminator_forward, dcgan_generator_backward, dcgan_discriminator_backward — the
// convolutional GAN's passes on the CPU, from the
// reference layers (cpu/image_ops.h, cpu/ops.h), in training mode (BatchNorm on the batch's
// statistics, running statistics updated as PyTorch does). A template over float and double.
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu/conv_gemm.h"
#include "cpu/image_ops.h"
#include "cpu/ops.h"
#include "model/dcgan_spec.h"
#include "util/error.h"

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
  const int32_t* labels = nullptr;  // [B] when conditional (the projection term), not owned
};

// Which convolution code a float pass runs: the im2col + GEMM versions (the trainer's, for
// speed), or the plain-loop references (a second float implementation that sums in another
// order: the tests' stand-in for another backend's honest rounding). Double always runs the
// plain loops (the finite-difference tests and the exact reference).
enum class ConvCode { kGemm, kLoops };

template <class T>
void conv_forward(const ConvShape& s, const T* x, const T* w, const T* b, T* y, ConvCode code) {
  if constexpr (std::is_same_v<T, float>) {
    if (code == ConvCode::kGemm) return conv2d_forward_gemm(s, x, w, b, y);
  }
  conv2d_forward(s, x, w, b, y);
}
template <class T>
void conv_backward(const ConvShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, ConvCode code) {
  if constexpr (std::is_same_v<T, float>) {
    if (code == ConvCode::kGemm) return conv2d_backward_gemm(s, x, w, dy, dx, dw, db);
  }
  conv2d_backward(s, x, w, dy, dx, dw, db);
}
template <class T>
void deconv_forward(const ConvShape& s, const T* x, const T* w, const T* b, T* y, ConvCode code) {
  if constexpr (std::is_same_v<T, float>) {
    if (code == ConvCode::kGemm) return conv_transpose2d_forward_gemm(s, x, w, b, y);
  }
  conv_transpose2d_forward(s, x, w, b, y);
}
template <class T>
void deconv_backward(const ConvShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, ConvCode code) {
  if constexpr (std::is_same_v<T, float>) {
    if (code == ConvCode::kGemm) return conv_transpose2d_backward_gemm(s, x, w, dy, dx, dw, db);
  }
  conv_transpose2d_backward(s, x, w, dy, dx, dw, db);
}

// G(z). In training mode BatchNorm uses the batch's statistics and updates G's running
// statistics in `buffers` (null: left alone); in evaluation mode (training false, for sampling)
// it uses the running statistics, which `buffers` must then hold.
template <class T>
void dcgan_generator_forward(const ModelSpec& spec, const T* params, T* buffers, const T* z, int64_t B,
                             DcganGeneratorPass<T>* pass, bool training = true, ConvCode code = ConvCode::kGemm) {
  const NetworkSpec& g = spec.generator;
  auto p = [&](const char* name) { return params + g.tensor(name).offset; };
  auto buffer = [&](const char* name) { return buffers ? buffers + g.buffer(name).offset : static_cast<T*>(nullptr); };
  const int64_t c0 = spec.dcgan.c0, c1 = spec.dcgan.c1;
  if (!training && !buffers) throw InternalError("the DCGAN generator in evaluation mode needs its running statistics");
  pass->batch = B;
  pass->projected.resize(static_cast<size_t>(B * c0 * 49));
  // z: [B, latent], or cat(label_emb(y), z) [B, label_dim + latent] when conditional.
  const int64_t z_width = g.tensor("project.weight").shape[1];
  linear_forward(z, p("project.weight"), p("project.bias"), pass->projected.data(), B, z_width, c0 * 49);
  pass->normed0.resize(pass->projected.size());
  auto normalise = [&](const std::vector<T>& x, int64_t channels, int64_t plane, const char* prefix,
                       std::vector<T>* y, BatchNormSaved<T>* saved) {
    const std::string at(prefix);
    if (training) {
      batch_norm_forward(x.data(), B, channels, plane, p((at + "weight").c_str()), p((at + "bias").c_str()),
                         spec.dcgan.bn_eps, spec.dcgan.bn_momentum, buffer((at + "running_mean").c_str()),
                         buffer((at + "running_var").c_str()), y->data(), saved);
    } else {
      batch_norm_inference(x.data(), B, channels, plane, p((at + "weight").c_str()), p((at + "bias").c_str()),
                           spec.dcgan.bn_eps, buffer((at + "running_mean").c_str()), buffer((at + "running_var").c_str()),
                           y->data());
    }
  };
  normalise(pass->projected, c0, 49, "net.0.", &pass->normed0, &pass->bn0);
  pass->relu0 = pass->normed0;
  for (T& v : pass->relu0) v = v > T(0) ? v : T(0);

  pass->deconv1.resize(static_cast<size_t>(B * c1 * 196));
  deconv_forward(halving_shape(B, c0, c1, 14), pass->relu0.data(), p("net.2.weight"), p("net.2.bias"),
                 pass->deconv1.data(), code);
  pass->normed1.resize(pass->deconv1.size());
  normalise(pass->deconv1, c1, 196, "net.3.", &pass->normed1, &pass->bn1);
  pass->relu1 = pass->normed1;
  for (T& v : pass->relu1) v = v > T(0) ? v : T(0);

  pass->deconv2.resize(static_cast<size_t>(B * 784));
  deconv_forward(halving_shape(B, c1, 1, 28), pass->relu1.data(), p("net.5.weight"), p("net.5.bias"),
                 pass->deconv2.data(), code);
  pass->image = pass->deconv2;
  for (T& v : pass->image) v = std::tanh(v);
}

// D(x) in training mode: logits [B, 1]. buffers: D's running statistics, updated (null: left
// alone). When conditional, labels [B] are x's classes and the projection term joins the logit.
// x and labels must outlive the pass (its backward reads them).
template <class T>
void dcgan_discriminator_forward(const ModelSpec& spec, const T* params, T* buffers, const T* x, int64_t B,
                                 DcganDiscriminatorPass<T>* pass, ConvCode code = ConvCode::kGemm,
                                 const int32_t* labels = nullptr) {
  const NetworkSpec& d = spec.discriminator;
  auto p = [&](const char* name) { return params + d.tensor(name).offset; };
  auto buffer = [&](const char* name) { return buffers ? buffers + d.buffer(name).offset : static_cast<T*>(nullptr); };
  const int64_t c0 = spec.dcgan.c0, c1 = spec.dcgan.c1;
  const T slope = static_cast<T>(spec.slope);
  pass->batch = B;
  pass->input = x;
  pass->conv1.resize(static_cast<size_t>(B * c1 * 196));
  conv_forward(halving_shape(B, 1, c1, 28), x, p("net.0.weight"), p("net.0.bias"), pass->conv1.data(), code);
  pass->act1 = pass->conv1;
  activation_forward(Activation::kLeakyRelu, slope, pass->act1.data(), pass->act1.size());

  pass->conv2.resize(static_cast<size_t>(B * c0 * 49));
  conv_forward(halving_shape(B, c1, c0, 14), pass->act1.data(), p("net.2.weight"), p("net.2.bias"),
               pass->conv2.data(), code);
  pass->normed2.resize(pass->conv2.size());
  batch_norm_forward(pass->conv2.data(), B, c0, 49, p("net.3.weight"), p("net.3.bias"), spec.dcgan.bn_eps,
                     spec.dcgan.bn_momentum, buffer("net.3.running_mean"), buffer("net.3.running_var"),
                     pass->normed2.data(), &pass->bn2);
  pass->act2 = pass->normed2;
  activation_forward(Activation::kLeakyRelu, slope, pass->act2.data(), pass->act2.size());

  pass->logits.resize(static_cast<size_t>(B));
  linear_forward(pass->act2.data(), p("net.6.weight"), p("net.6.bias"), pass->logits.data(), B, c0 * 49, int64_t{1});
  pass->labels = labels;
  if (spec.conditional()) {
    if (!labels) throw InternalError("the conditional DCGAN discriminator needs the labels");
    label_projection_forward(pass->act2.data(), params + d.projection.offset, labels, B, c0 * 49,
                             pass->logits.data());
  }
}

// dY -> dZ through ReLU, from its output: dZ = Y > 0 ? dY : 0.
template <class T>
std::vector<T> relu_backward(const std::vector<T>& y, const std::vector<T>& dy) {
  std::vector<T> dz(dy.size());
  for (size_t i = 0; i < dy.size(); ++i) dz[i] = y[i] > T(0) ? dy[i] : T(0);
  return dz;
}

// Back-propagates d_image [B, 784] (d loss / d G(z)) through the pass: every gradient of G's
// parameters into grads [parameter_count] (overwritten). z is the pass's input; when
// conditional, cat(label_emb(y), z) with y in labels [B], whose table's gradient comes from the
// projection's dZ (label_embedding_backward).
template <class T>
void dcgan_generator_backward(const ModelSpec& spec, const T* params, const T* z, const DcganGeneratorPass<T>& pass,
                              const T* d_image, T* grads, ConvCode code = ConvCode::kGemm,
                              const int32_t* labels = nullptr) {
  const NetworkSpec& g = spec.generator;
  auto p = [&](const char* name) { return params + g.tensor(name).offset; };
  auto grad = [&](const char* name) { return grads + g.tensor(name).offset; };
  const int64_t B = pass.batch, c0 = spec.dcgan.c0, c1 = spec.dcgan.c1;
  std::fill(grads, grads + g.parameter_count, T(0));

  std::vector<T> d_deconv2(pass.image.size());
  for (size_t i = 0; i < d_deconv2.size(); ++i) d_deconv2[i] = d_image[i] * (T(1) - pass.image[i] * pass.image[i]);
  std::vector<T> d_relu1(pass.relu1.size());
  deconv_backward(halving_shape(B, c1, 1, 28), pass.relu1.data(), p("net.5.weight"), d_deconv2.data(),
                            d_relu1.data(), grad("net.5.weight"), grad("net.5.bias"), code);
  const std::vector<T> d_normed1 = relu_backward(pass.normed1, d_relu1);
  std::vector<T> d_deconv1(pass.deconv1.size());
  batch_norm_backward(pass.deconv1.data(), d_normed1.data(), B, c1, 196, p("net.3.weight"), pass.bn1,
                      d_deconv1.data(), grad("net.3.weight"), grad("net.3.bias"));
  std::vector<T> d_relu0(pass.relu0.size());
  deconv_backward(halving_shape(B, c0, c1, 14), pass.relu0.data(), p("net.2.weight"), d_deconv1.data(),
                            d_relu0.data(), grad("net.2.weight"), grad("net.2.bias"), code);
  const std::vector<T> d_normed0 = relu_backward(pass.normed0, d_relu0);
  std::vector<T> d_projected(pass.projected.size());
  batch_norm_backward(pass.projected.data(), d_normed0.data(), B, c0, 49, p("net.0.weight"), pass.bn0,
                      d_projected.data(), grad("net.0.weight"), grad("net.0.bias"));
  const int64_t projected = c0 * 49;
  const int64_t z_width = g.tensor("project.weight").shape[1];
  linear_backward_weight(d_projected.data(), z, grad("project.weight"), B, z_width, projected);
  if (spec.conditional()) {
    if (!labels) throw InternalError("the conditional DCGAN generator's backward needs the labels");
    const LabelEmbedding& label = g.label;
    std::vector<T> class_sums(static_cast<size_t>(label.classes * projected));
    label_embedding_backward(d_projected.data(), p("project.weight"), z_width, projected, label.column, label.dim,
                             labels, B, label.classes, class_sums.data(), grads + label.offset);
  }
  // The projection's bias gradient: the column sums activation_backward computes for any linear
  // layer (identity: d_projected is already dZ).
  activation_backward(Activation::kIdentity, T(0), d_projected.data(), d_projected.data(), d_projected.data(),
                      grad("project.bias"), B, projected);
}

// Back-propagates d_logits [B] through the pass. grads [parameter_count]: every gradient of D's
// parameters, overwritten, or null for none (the G step). d_input [B, 784]: the gradient at D's
// input, or null to skip it (the D step).
template <class T>
void dcgan_discriminator_backward(const ModelSpec& spec, const T* params, const DcganDiscriminatorPass<T>& pass,
                                  const T* d_logits, T* grads, T* d_input, ConvCode code = ConvCode::kGemm) {
  const NetworkSpec& d = spec.discriminator;
  auto p = [&](const char* name) { return params + d.tensor(name).offset; };
  auto grad = [&](const char* name) { return grads ? grads + d.tensor(name).offset : static_cast<T*>(nullptr); };
  const int64_t B = pass.batch, c0 = spec.dcgan.c0, c1 = spec.dcgan.c1, projected = c0 * 49;
  const T slope = static_cast<T>(spec.slope);
  if (grads) {
    std::fill(grads, grads + d.parameter_count, T(0));
    linear_backward_weight(d_logits, pass.act2.data(), grad("net.6.weight"), B, projected, int64_t{1});
    for (int64_t r = 0; r < B; ++r) *grad("net.6.bias") += d_logits[r];
  }
  std::vector<T> d_act2(pass.act2.size());
  linear_backward_input(d_logits, p("net.6.weight"), d_act2.data(), B, projected, int64_t{1});
  if (spec.conditional()) {
    const LabelProjection& projection = d.projection;
    label_projection_backward(pass.act2.data(), params + projection.offset, pass.labels, d_logits, B, projected,
                              projection.classes, d_act2.data(), grads ? grads + projection.offset : nullptr);
  }
  std::vector<T> d_normed2(d_act2.size());
  activation_backward(Activation::kLeakyRelu, slope, pass.act2.data(), d_act2.data(), d_normed2.data(),
                      static_cast<T*>(nullptr), B, projected);
  std::vector<T> d_conv2(d_normed2.size());
  batch_norm_backward(pass.conv2.data(), d_normed2.data(), B, c0, 49, p("net.3.weight"), pass.bn2, d_conv2.data(),
                      grad("net.3.weight"), grad("net.3.bias"));
  std::vector<T> d_act1(pass.act1.size());
  conv_backward(halving_shape(B, c1, c0, 14), pass.act1.data(), p("net.2.weight"), d_conv2.data(), d_act1.data(),
                  grad("net.2.weight"), grad("net.2.bias"), code);
  std::vector<T> d_conv1(d_act1.size());
  activation_backward(Activation::kLeakyRelu, slope, pass.act1.data(), d_act1.data(), d_conv1.data(),
                      static_cast<T*>(nullptr), B, c1 * 196);
  if (grads || d_input) {
    conv_backward(halving_shape(B, 1, c1, 28), pass.input, p("net.0.weight"), d_conv1.data(), d_input,
                    grad("net.0.weight"), grad("net.0.bias"), code);
  }
}

}  // namespace gan
