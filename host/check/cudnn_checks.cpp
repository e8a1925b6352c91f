#include "check/cudnn_checks.h"

#include <random>
#include <string>
#include <tuple>

#include "cpu/dcgan.h"
#include "check/check_inputs.h"
#include "check/kernel_checks.h"
#include "cuda/resources.h"

namespace gan {
namespace {

using Kind = CudnnConvLayer::Kind;

std::string conv_name(Kind kind) { return kind == Kind::kConv ? "Conv2d" : "ConvTranspose2d"; }

std::string conv_shape_text(const ConvShape& s) {
  return shape_text({{"B", s.batch},
                     {"Ci", s.in_channels},
                     {"Co", s.out_channels},
                     {"H", s.height},
                     {"K", s.kernel},
                     {"s", s.stride},
                     {"p", s.padding}});
}

// Element counts of a layer's input, weight and output, as PyTorch lays them out.
struct ConvSizes {
  size_t x, w, y, bias;
};
ConvSizes conv_sizes(Kind kind, const ConvShape& s) {
  const size_t big = static_cast<size_t>(s.height * s.width),
               small = static_cast<size_t>(s.out_height() * s.out_width());
  const size_t B = static_cast<size_t>(s.batch), ci = static_cast<size_t>(s.in_channels),
               co = static_cast<size_t>(s.out_channels), kk = static_cast<size_t>(s.kernel * s.kernel);
  if (kind == Kind::kConv) return {B * ci * big, co * ci * kk, B * co * small, co};
  return {B * ci * small, ci * co * kk, B * co * big, co};
}

// " timed", " timed-any" or nothing (the default choice), in a check's name.
std::string choice_label(ConvAlgorithms choice) {
  switch (choice) {
    case ConvAlgorithms::kTimedDeterministic: return " timed";
    case ConvAlgorithms::kTimedAny: return " timed-any";
    case ConvAlgorithms::kHeuristic: break;
  }
  return "";
}

}  // namespace

KernelCheck check_cudnn_conv_forward(Kind kind, const ConvShape& s, bool tf32, uint64_t seed, ConvAlgorithms choice) {
  KernelCheck check = start_check("cuDNN " + conv_name(kind) + (tf32 ? " tf32" : " fp32") + choice_label(choice) + " forward",
                                  conv_shape_text(s), tf32 ? kTf32Bound : kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  const ConvSizes n = conv_sizes(kind, s);
  const std::vector<float> x = uniform_values(n.x, -1, 1, rng), w = uniform_values(n.w, -0.2f, 0.2f, rng),
                           b = uniform_values(n.bias, -0.2f, 0.2f, rng);
  std::vector<double> reference(n.y);
  if (kind == Kind::kConv) {
    conv2d_forward<double>(s, widen(x).data(), widen(w).data(), widen(b).data(), reference.data());
  } else {
    conv_transpose2d_forward<double>(s, widen(x).data(), widen(w).data(), widen(b).data(), reference.data());
  }
  CudaStream stream;
  CudnnHandle cudnn(stream.get());
  const CudnnConvLayer layer(cudnn, kind, s, tf32, choice);
  DeviceBuffer<float> d_x(x), d_w(w), d_b(b), d_y(n.y);
  DeviceBuffer<char> workspace(layer.workspace_bytes());
  d_y.poison();
  layer.forward(d_x.get(), d_w.get(), d_b.get(), d_y.get(), workspace.get());
  stream.synchronize();
  compare_relative(check, d_y.download(), reference);
  return finish_check(check);
}

KernelCheck check_cudnn_conv_backward(Kind kind, const ConvShape& s, bool tf32, uint64_t seed, ConvAlgorithms choice) {
  KernelCheck check = start_check("cuDNN " + conv_name(kind) + (tf32 ? " tf32" : " fp32") + choice_label(choice) + " dx, dw, db",
                                  conv_shape_text(s), tf32 ? kTf32Bound : kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  const ConvSizes n = conv_sizes(kind, s);
  const std::vector<float> x = uniform_values(n.x, -1, 1, rng), w = uniform_values(n.w, -0.2f, 0.2f, rng),
                           dy = uniform_values(n.y, -1, 1, rng);
  std::vector<double> dx(n.x), dw(n.w), db(n.bias);
  if (kind == Kind::kConv) {
    conv2d_backward<double>(s, widen(x).data(), widen(w).data(), widen(dy).data(), dx.data(), dw.data(), db.data());
  } else {
    conv_transpose2d_backward<double>(s, widen(x).data(), widen(w).data(), widen(dy).data(), dx.data(), dw.data(),
                                      db.data());
  }
  CudaStream stream;
  CudnnHandle cudnn(stream.get());
  const CudnnConvLayer layer(cudnn, kind, s, tf32, choice);
  DeviceBuffer<float> d_x(x), d_w(w), d_dy(dy), d_dx(n.x), d_dw(n.w), d_db(n.bias);
  DeviceBuffer<char> workspace(layer.workspace_bytes());
  d_dx.poison();
  d_dw.poison();
  d_db.poison();
  layer.backward(d_x.get(), d_w.get(), d_dy.get(), d_dx.get(), d_dw.get(), d_db.get(), workspace.get());
  stream.synchronize();
  compare_relative(check, d_dx.download(), dx);
  compare_relative(check, d_dw.download(), dw);
  compare_relative(check, d_db.download(), db);
  return finish_check(check);
}

KernelCheck check_cudnn_batch_norm_forward(int64_t B, int64_t C, int64_t HW, uint64_t seed) {
  KernelCheck check = start_check("cuDNN BatchNorm train + eval forward", shape_text({{"B", B}, {"C", C}, {"HW", HW}}),
                                  kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  const BatchNormInputs in = batch_norm_inputs(B, C, HW, rng);
  std::vector<double> y(in.x.size()), y_eval(in.x.size());
  std::vector<double> mean = widen(in.running_mean), var = widen(in.running_var);
  BatchNormSaved<double> saved;
  const std::vector<double> x = widen(in.x), gamma = widen(in.gamma), beta = widen(in.beta);
  batch_norm_forward<double>(x.data(), B, C, HW, gamma.data(), beta.data(), kBatchNormEps, kBatchNormMomentum,
                             mean.data(), var.data(), y.data(), &saved);
  batch_norm_inference<double>(x.data(), B, C, HW, gamma.data(), beta.data(), kBatchNormEps, mean.data(), var.data(),
                               y_eval.data());

  CudaStream stream;
  CudnnHandle cudnn(stream.get());
  const CudnnBatchNorm bn(cudnn, B, C, HW, kBatchNormEps);
  DeviceBuffer<float> d_x(in.x), d_gamma(in.gamma), d_beta(in.beta), d_mean(in.running_mean), d_var(in.running_var);
  DeviceBuffer<float> d_y(in.x.size()), d_y_eval(in.x.size()), d_saved_mean(static_cast<size_t>(C)),
      d_saved_inverse_std(static_cast<size_t>(C));
  d_y.poison();
  d_y_eval.poison();
  d_saved_mean.poison();
  d_saved_inverse_std.poison();
  bn.forward_training(d_x.get(), d_gamma.get(), d_beta.get(), kBatchNormMomentum, d_mean.get(), d_var.get(), d_y.get(),
                      d_saved_mean.get(), d_saved_inverse_std.get());
  bn.forward_inference(d_x.get(), d_gamma.get(), d_beta.get(), d_mean.get(), d_var.get(), d_y_eval.get());
  stream.synchronize();
  compare_relative(check, d_y.download(), y);
  compare_relative(check, d_mean.download(), mean);
  compare_relative(check, d_var.download(), var);  // the unbiased variance, as PyTorch keeps it
  compare_relative(check, d_saved_mean.download(), saved.mean);
  compare_relative(check, d_saved_inverse_std.download(), saved.inverse_std);
  compare_relative(check, d_y_eval.download(), y_eval);
  return finish_check(check);
}

KernelCheck check_cudnn_batch_norm_backward(int64_t B, int64_t C, int64_t HW, uint64_t seed) {
  KernelCheck check =
      start_check("cuDNN BatchNorm dx, dgamma, dbeta", shape_text({{"B", B}, {"C", C}, {"HW", HW}}), kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  const BatchNormInputs in = batch_norm_inputs(B, C, HW, rng);
  const std::vector<float> dy = uniform_values(in.x.size(), -1, 1, rng);
  const std::vector<double> x = widen(in.x), gamma = widen(in.gamma), beta = widen(in.beta);
  std::vector<double> y(x.size()), dx(x.size()), dgamma(static_cast<size_t>(C)), dbeta(static_cast<size_t>(C));
  BatchNormSaved<double> saved;
  batch_norm_forward<double>(x.data(), B, C, HW, gamma.data(), beta.data(), kBatchNormEps, kBatchNormMomentum, nullptr,
                             nullptr, y.data(), &saved);
  batch_norm_backward<double>(x.data(), widen(dy).data(), B, C, HW, gamma.data(), saved, dx.data(), dgamma.data(),
                              dbeta.data());

  CudaStream stream;
  CudnnHandle cudnn(stream.get());
  const CudnnBatchNorm bn(cudnn, B, C, HW, kBatchNormEps);
  DeviceBuffer<float> d_x(in.x), d_gamma(in.gamma), d_beta(in.beta), d_mean(in.running_mean), d_var(in.running_var);
  DeviceBuffer<float> d_y(in.x.size()), d_saved_mean(static_cast<size_t>(C)),
      d_saved_inverse_std(static_cast<size_t>(C));
  DeviceBuffer<float> d_dy(dy), d_dx(in.x.size()), d_dgamma(static_cast<size_t>(C)), d_dbeta(static_cast<size_t>(C));
  d_dx.poison();
  d_dgamma.poison();
  d_dbeta.poison();
  // The saved statistics the backward pass reads come from cuDNN's own forward pass, as in the step.
  bn.forward_training(d_x.get(), d_gamma.get(), d_beta.get(), kBatchNormMomentum, d_mean.get(), d_var.get(), d_y.get(),
                      d_saved_mean.get(), d_saved_inverse_std.get());
  bn.backward(d_x.get(), d_dy.get(), d_gamma.get(), d_saved_mean.get(), d_saved_inverse_std.get(), d_dx.get(),
              d_dgamma.get(), d_dbeta.get());
  stream.synchronize();
  compare_relative(check, d_dx.download(), dx);
  compare_relative(check, d_dgamma.download(), dgamma);
  compare_relative(check, d_dbeta.download(), dbeta);
  return finish_check(check);
}

std::vector<KernelCheck> dcgan_shape_checks(const ModelSpec& spec, int64_t batch, bool tf32, uint64_t seed) {
  std::vector<KernelCheck> checks;
  uint64_t draw = seed;
  auto next = [&] { return ++draw; };
  const int64_t c0 = spec.dcgan.c0, c1 = spec.dcgan.c1;
  const std::pair<Kind, ConvShape> convolutions[] = {
      {Kind::kTransposed, halving_shape(batch, c0, c1, 14)},  // G net.2
      {Kind::kTransposed, halving_shape(batch, c1, 1, 28)},   // G net.5
      {Kind::kConv, halving_shape(batch, 1, c1, 28)},         // D net.0
      {Kind::kConv, halving_shape(batch, c1, c0, 14)},        // D net.2
  };
  for (const auto& [kind, shape] : convolutions) {
    checks.push_back(check_cudnn_conv_forward(kind, shape, false, next()));
    checks.push_back(check_cudnn_conv_backward(kind, shape, false, next()));
    if (tf32) {
      checks.push_back(check_cudnn_conv_forward(kind, shape, true, next()));
      checks.push_back(check_cudnn_conv_backward(kind, shape, true, next()));
    }
  }
  // The two linear layers (G's projection, D's logit) and the activations' backward passes.
  const int64_t projected = c0 * 49;
  checks.push_back(check_linear_cublas(batch, spec.latent_dim, projected, Activation::kIdentity, false, next()));
  checks.push_back(check_gemm_weight_grad(batch, spec.latent_dim, projected, false, next()));
  checks.push_back(check_activation_backward(batch, projected, Activation::kIdentity, true, next()));
  checks.push_back(check_linear_cublas(batch, projected, 1, Activation::kIdentity, false, next()));
  checks.push_back(check_gemm_weight_grad(batch, projected, 1, false, next()));
  checks.push_back(check_gemm_input_grad(batch, projected, 1, false, next()));
  checks.push_back(check_activation_backward(batch, c1 * 196, Activation::kLeakyRelu, false, next()));
  checks.push_back(check_activation_backward(batch, 784, Activation::kTanh, false, next()));
  for (const auto& [channels, plane] : {std::pair<int64_t, int64_t>{c0, 49}, {c1, 196}}) {
    checks.push_back(check_cudnn_batch_norm_forward(batch, channels, plane, next()));
    checks.push_back(check_cudnn_batch_norm_backward(batch, channels, plane, next()));
  }
  // The fused alternative (--gpu-batchnorm fused) at the same layers: G's two with ReLU, D's with LeakyReLU.
  for (const auto& [channels, plane, slope] :
       {std::tuple<int64_t, int64_t, float>{c0, 49, 0.0f}, {c1, 196, 0.0f}, {c0, 49, spec.slope}}) {
    checks.push_back(check_batch_norm_fused_forward(batch, channels, plane, slope, next()));
    checks.push_back(check_batch_norm_fused_backward(batch, channels, plane, slope, next()));
  }
  return checks;
}

}  // namespace gan
