#include "check/kernel_checks.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include "adam.cuh"
#include "ema.cuh"
#include "activation_backward.cuh"
#include "batch.cuh"
#include "batch_norm.cuh"
#include "bce.cuh"
#include "cpu/image_ops.h"
#include "cpu/ops.h"
#include "cuda/blas.h"
#include "check/check_inputs.h"
#include "cuda/resources.h"
#include "data/dataset.h"
#include "hinge.cuh"
#include "linear_forward.cuh"
#include "model/random_streams.h"
#include "noise.cuh"
#include "util/error.h"

namespace gan {
namespace {

constexpr float kSlope = 0.2f;  // LeakyReLU's slope in every check (the seed's)

std::string with_activation(const std::string& kernel, Activation activation) {
  return kernel + " (" + activation_name(activation) + ")";
}

struct LinearInputs {
  std::vector<float> X, W, b;
  std::vector<double> reference;  // act(X W^T + b) in double
};

LinearInputs linear_inputs(int64_t B, int64_t in, int64_t out, Activation activation, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const float bound = 1.0f / std::sqrt(static_cast<float>(in));  // PyTorch's init scale
  LinearInputs inputs;
  inputs.X = uniform_values(static_cast<size_t>(B * in), -1.0f, 1.0f, rng);
  inputs.W = uniform_values(static_cast<size_t>(out * in), -bound, bound, rng);
  inputs.b = uniform_values(static_cast<size_t>(out), -bound, bound, rng);
  const std::vector<double> X = widen(inputs.X), W = widen(inputs.W), b = widen(inputs.b);
  inputs.reference.resize(static_cast<size_t>(B * out));
  linear_forward<double>(X.data(), W.data(), b.data(), inputs.reference.data(), B, in, out);
  activation_forward<double>(activation, static_cast<double>(kSlope), inputs.reference.data(), inputs.reference.size());
  return inputs;
}

}  // namespace

KernelCheck check_linear_fused(int64_t B, int64_t in, int64_t out, Activation activation, bool tf32, uint64_t seed) {
  KernelCheck check = start_check(with_activation(tf32 ? "linear fused tf32" : "linear fused fp32", activation),
                            shape_text({{"B", B}, {"in", in}, {"out", out}}), tf32 ? kTf32Bound : kFp32Bound, "rel");
  const LinearInputs inputs = linear_inputs(B, in, out, activation, seed);
  CudaStream stream;
  DeviceBuffer<float> X(inputs.X), W(inputs.W), b(inputs.b), Y(static_cast<size_t>(B * out));
  Y.poison();
  launch_linear_forward_fused(X.get(), W.get(), b.get(), Y.get(), B, in, out, activation, kSlope, tf32, stream.get());
  stream.synchronize();
  compare_relative(check, Y.download(), inputs.reference);
  return finish_check(check);
}

KernelCheck check_linear_cublas(int64_t B, int64_t in, int64_t out, Activation activation, bool tf32, uint64_t seed) {
  KernelCheck check = start_check(with_activation(tf32 ? "cuBLAS tf32 + epilogue" : "cuBLAS fp32 + epilogue", activation),
                            shape_text({{"B", B}, {"in", in}, {"out", out}}), tf32 ? kTf32Bound : kFp32Bound, "rel");
  const LinearInputs inputs = linear_inputs(B, in, out, activation, seed);
  CudaStream stream;
  CublasHandle blas(stream.get(), tf32);
  DeviceBuffer<float> X(inputs.X), W(inputs.W), b(inputs.b), Y(static_cast<size_t>(B * out));
  Y.poison();
  gemm_forward(blas, X.get(), W.get(), Y.get(), B, in, out);
  launch_bias_activation(Y.get(), b.get(), B, out, activation, kSlope, stream.get());
  stream.synchronize();
  compare_relative(check, Y.download(), inputs.reference);
  return finish_check(check);
}

namespace {

// The two backward GEMMs share everything but their second operand, reference and launcher:
// dW = dZ^T X (second operand X [B, in]) or dX = dZ W (second operand W [out, in]).
KernelCheck check_gemm_gradient(bool weight_gradient, int64_t B, int64_t in, int64_t out, bool tf32, uint64_t seed) {
  const std::string precision = tf32 ? "tf32" : "fp32";
  KernelCheck check = start_check("cuBLAS " + precision + (weight_gradient ? " dW = dZ^T X" : " dX = dZ W"),
                                  shape_text({{"B", B}, {"in", in}, {"out", out}}), tf32 ? kTf32Bound : kFp32Bound,
                                  "rel");
  std::mt19937_64 rng(seed);
  const std::vector<float> dZ = uniform_values(static_cast<size_t>(B * out), -1, 1, rng);
  const std::vector<float> other = uniform_values(static_cast<size_t>((weight_gradient ? B : out) * in), -1, 1, rng);
  std::vector<double> reference(static_cast<size_t>((weight_gradient ? out : B) * in));
  if (weight_gradient) {
    linear_backward_weight<double>(widen(dZ).data(), widen(other).data(), reference.data(), B, in, out);
  } else {
    linear_backward_input<double>(widen(dZ).data(), widen(other).data(), reference.data(), B, in, out);
  }
  CudaStream stream;
  CublasHandle blas(stream.get(), tf32);
  DeviceBuffer<float> d_dZ(dZ), d_other(other), d_result(reference.size());
  d_result.poison();
  if (weight_gradient) {
    gemm_weight_grad(blas, d_dZ.get(), d_other.get(), d_result.get(), B, in, out);
  } else {
    gemm_input_grad(blas, d_dZ.get(), d_other.get(), d_result.get(), B, in, out);
  }
  stream.synchronize();
  compare_relative(check, d_result.download(), reference);
  return finish_check(check);
}

}  // namespace

KernelCheck check_gemm_weight_grad(int64_t B, int64_t in, int64_t out, bool tf32, uint64_t seed) {
  return check_gemm_gradient(true, B, in, out, tf32, seed);
}

KernelCheck check_gemm_input_grad(int64_t B, int64_t in, int64_t out, bool tf32, uint64_t seed) {
  return check_gemm_gradient(false, B, in, out, tf32, seed);
}

KernelCheck check_activation_backward(int64_t B, int64_t out, Activation activation, bool with_bias_grad,
                                      uint64_t seed) {
  KernelCheck check = start_check(with_activation(with_bias_grad ? "activation backward + db" : "activation backward",
                                            activation),
                            shape_text({{"B", B}, {"out", out}}), kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  // Y as the forward leaves it: the activation of a pre-activation spread over both signs.
  std::vector<float> Y = uniform_values(static_cast<size_t>(B * out), -3, 3, rng);
  for (float& y : Y) {
    if (activation == Activation::kLeakyRelu && y <= 0) y *= kSlope;
    if (activation == Activation::kTanh) y = std::tanh(y);
  }
  const std::vector<float> dY = uniform_values(Y.size(), -1, 1, rng);
  std::vector<double> dZ_ref(Y.size()), db_ref(static_cast<size_t>(out));
  activation_backward<double>(activation, static_cast<double>(kSlope), widen(Y).data(), widen(dY).data(),
                              dZ_ref.data(), db_ref.data(), B, out);
  CudaStream stream;
  DeviceBuffer<float> d_Y(Y), d_dY(dY), d_dZ(Y.size()), d_db(static_cast<size_t>(out));
  d_dZ.poison();
  d_db.poison();
  launch_activation_backward(activation, kSlope, d_Y.get(), d_dY.get(), d_dZ.get(),
                             with_bias_grad ? d_db.get() : nullptr, B, out, stream.get());
  stream.synchronize();
  compare_relative(check, d_dZ.download(), dZ_ref);
  if (with_bias_grad) compare_relative(check, d_db.download(), db_ref);
  return finish_check(check);
}

namespace {

// A loss kernel on D's logits (BCE, D's hinge, G's hinge) against its double reference, from
// fresh logits in [-8, 8] with saturated ones planted (where a naive log(sigmoid) gives -inf) and
// logits on the hinge's kinks (-1, 1); dlogit and the stats poisoned first. `reference` fills
// dlogit and returns the stats; `launch` enqueues the kernel. Both take the split as BCE's and
// D's hinge do (G's hinge: n_fake 0).
using LossReference = BceStats (*)(const double* logits, int64_t n_real, int64_t n_fake, double* dlogit);
using LossLaunch = void (*)(const float* logits, int64_t n_real, int64_t n_fake, float* dlogit, BceDeviceStats* stats,
                            cudaStream_t stream);

KernelCheck check_logit_loss(const std::string& name, int64_t n_real, int64_t n_fake, uint64_t seed,
                             LossReference reference, LossLaunch launch) {
  KernelCheck check = start_check(name, shape_text({{"real", n_real}, {"fake", n_fake}}), kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  std::vector<float> logits = uniform_values(static_cast<size_t>(n_real + n_fake), -8, 8, rng);
  const float planted[] = {40.0f, -40.0f, 100.0f, -100.0f};
  for (size_t i = 0; i < logits.size() && i < 4; ++i) logits[(i * 37) % logits.size()] = planted[i];
  // The hinge's kinks, one in each half whatever the split: 1 on a real, -1 on a fake.
  if (n_real > 1) logits[static_cast<size_t>(n_real / 2)] = 1.0f;
  if (n_fake > 1) logits[static_cast<size_t>(n_real + n_fake / 2)] = -1.0f;
  std::vector<double> dlogit_ref(logits.size());
  const BceStats stats = reference(widen(logits).data(), n_real, n_fake, dlogit_ref.data());
  CudaStream stream;
  DeviceBuffer<float> d_logits(logits), d_dlogit(logits.size());
  DeviceBuffer<BceDeviceStats> d_stats(1);
  d_dlogit.poison();
  d_stats.poison();
  launch(d_logits.get(), n_real, n_fake, d_dlogit.get(), d_stats.get(), stream.get());
  stream.synchronize();
  compare_relative(check, d_dlogit.download(), dlogit_ref);
  const BceDeviceStats got = d_stats.download()[0];
  compare_relative(check, {got.loss_real, got.loss_fake, got.prob_real, got.prob_fake},
                   {stats.loss_real, stats.loss_fake, stats.prob_real, stats.prob_fake});
  return finish_check(check);
}

}  // namespace

KernelCheck check_bce(int64_t n_real, int64_t n_fake, uint64_t seed) {
  return check_logit_loss("BCE with logits", n_real, n_fake, seed, bce_with_logits<double>, launch_bce_with_logits);
}

KernelCheck check_hinge_discriminator(int64_t n_real, int64_t n_fake, uint64_t seed) {
  return check_logit_loss("hinge loss, D", n_real, n_fake, seed, hinge_discriminator<double>,
                          launch_hinge_discriminator);
}

KernelCheck check_hinge_generator(int64_t B, uint64_t seed) {
  return check_logit_loss(
      "hinge loss, G", B, 0, seed,
      [](const double* logits, int64_t n, int64_t, double* dlogit) { return hinge_generator<double>(logits, n, dlogit); },
      [](const float* logits, int64_t n, int64_t, float* dlogit, BceDeviceStats* stats, cudaStream_t stream) {
        launch_hinge_generator(logits, n, dlogit, stats, stream);
      });
}

namespace {

// The fused BatchNorm + LeakyReLU's forward on the device, from fresh inputs: what both checks
// start from. Outputs are poisoned first.
struct FusedBatchNormRun {
  BatchNormInputs in;
  DeviceBuffer<float> x, gamma, beta, mean, var, y, saved_mean, saved_inverse_std;
};

std::unique_ptr<FusedBatchNormRun> run_fused_batch_norm(int64_t B, int64_t C, int64_t HW, float slope,
                                                        std::mt19937_64& rng, cudaStream_t stream) {
  auto run = std::make_unique<FusedBatchNormRun>();
  run->in = batch_norm_inputs(B, C, HW, rng);
  const BatchNormInputs& in = run->in;
  run->x = DeviceBuffer<float>(in.x);
  run->gamma = DeviceBuffer<float>(in.gamma);
  run->beta = DeviceBuffer<float>(in.beta);
  run->mean = DeviceBuffer<float>(in.running_mean);
  run->var = DeviceBuffer<float>(in.running_var);
  run->y = DeviceBuffer<float>(in.x.size());
  run->saved_mean = DeviceBuffer<float>(static_cast<size_t>(C));
  run->saved_inverse_std = DeviceBuffer<float>(static_cast<size_t>(C));
  run->y.poison();
  run->saved_mean.poison();
  run->saved_inverse_std.poison();
  launch_batch_norm_forward(run->x.get(), B, C, HW, run->gamma.get(), run->beta.get(), kBatchNormEps,
                            kBatchNormMomentum, run->mean.get(), run->var.get(), Activation::kLeakyRelu, slope,
                            run->y.get(), run->saved_mean.get(), run->saved_inverse_std.get(), stream);
  return run;
}

std::string batch_norm_name(const char* pass, float slope) {
  return std::string("BatchNorm + ") + (slope == 0.0f ? "ReLU" : "LeakyReLU") + " fused " + pass;
}

}  // namespace

KernelCheck check_batch_norm_fused_forward(int64_t B, int64_t C, int64_t HW, float slope, uint64_t seed) {
  KernelCheck check = start_check(batch_norm_name("forward", slope), shape_text({{"B", B}, {"C", C}, {"HW", HW}}),
                                  kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  CudaStream stream;
  const std::unique_ptr<FusedBatchNormRun> run = run_fused_batch_norm(B, C, HW, slope, rng, stream.get());
  stream.synchronize();
  const BatchNormInputs& in = run->in;
  std::vector<double> y(in.x.size()), mean = widen(in.running_mean), var = widen(in.running_var);
  BatchNormSaved<double> saved;
  batch_norm_forward<double>(widen(in.x).data(), B, C, HW, widen(in.gamma).data(), widen(in.beta).data(),
                             kBatchNormEps, kBatchNormMomentum, mean.data(), var.data(), y.data(), &saved);
  activation_forward<double>(Activation::kLeakyRelu, static_cast<double>(slope), y.data(), y.size());
  compare_relative(check, run->y.download(), y);
  compare_relative(check, run->mean.download(), mean);
  compare_relative(check, run->var.download(), var);
  compare_relative(check, run->saved_mean.download(), saved.mean);
  compare_relative(check, run->saved_inverse_std.download(), saved.inverse_std);
  return finish_check(check);
}

KernelCheck check_batch_norm_fused_backward(int64_t B, int64_t C, int64_t HW, float slope, uint64_t seed) {
  KernelCheck check = start_check(batch_norm_name("dx, dgamma, dbeta", slope),
                                  shape_text({{"B", B}, {"C", C}, {"HW", HW}}), kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  CudaStream stream;
  const std::unique_ptr<FusedBatchNormRun> run = run_fused_batch_norm(B, C, HW, slope, rng, stream.get());
  const std::vector<float> dy = uniform_values(run->in.x.size(), -1, 1, rng);
  DeviceBuffer<float> d_dy(dy), d_dx(dy.size()), d_dgamma(static_cast<size_t>(C)), d_dbeta(static_cast<size_t>(C));
  d_dx.poison();
  d_dgamma.poison();
  d_dbeta.poison();
  launch_batch_norm_backward(run->x.get(), run->y.get(), d_dy.get(), B, C, HW, run->gamma.get(),
                             run->saved_mean.get(), run->saved_inverse_std.get(), Activation::kLeakyRelu, slope,
                             d_dx.get(), d_dgamma.get(), d_dbeta.get(), stream.get());
  stream.synchronize();
  // The reference: the activation's derivative at the device's own y (its sign decides it, and
  // a y within rounding of 0 may fall on either side), then BatchNorm's backward in double.
  const BatchNormInputs& in = run->in;
  const std::vector<double> x = widen(in.x), gamma = widen(in.gamma);
  std::vector<double> normed(x.size()), dz(x.size()), dx(x.size()), dgamma(static_cast<size_t>(C)),
      dbeta(static_cast<size_t>(C));
  BatchNormSaved<double> saved;
  batch_norm_forward<double>(x.data(), B, C, HW, gamma.data(), widen(in.beta).data(), kBatchNormEps,
                             kBatchNormMomentum, nullptr, nullptr, normed.data(), &saved);
  activation_backward<double>(Activation::kLeakyRelu, static_cast<double>(slope), widen(run->y.download()).data(),
                              widen(dy).data(), dz.data(), nullptr, B, C * HW);
  batch_norm_backward<double>(x.data(), dz.data(), B, C, HW, gamma.data(), saved, dx.data(), dgamma.data(),
                              dbeta.data());
  compare_relative(check, d_dx.download(), dx);
  compare_relative(check, d_dgamma.download(), dgamma);
  compare_relative(check, d_dbeta.download(), dbeta);
  return finish_check(check);
}

KernelCheck check_adam(size_t n, bool misalign, uint64_t step, uint64_t seed) {
  KernelCheck check = start_check(misalign ? "Adam (unaligned, scalar path)" : "Adam (float4 path)",
                            shape_text({{"n", static_cast<int64_t>(n)}, {"t", static_cast<int64_t>(step)}}), 1, "ulp");
  std::mt19937_64 rng(seed);
  std::vector<float> params = uniform_values(n, -1, 1, rng), grads = uniform_values(n, -1, 1, rng);
  std::vector<float> exp_avg = uniform_values(n, -0.1f, 0.1f, rng), exp_avg_sq = uniform_values(n, 0, 0.01f, rng);
  AdamSettings settings;
  settings.beta1 = 0.5;  // not the default, so that a kernel ignoring its settings fails
  CudaStream stream;
  const size_t shift = misalign ? 1 : 0;  // DeviceBuffer memory is 256-byte aligned
  DeviceBuffer<float> d_p(n + shift), d_g(n + shift), d_m(n + shift), d_v(n + shift);
  d_p.upload(params, shift);
  d_g.upload(grads, shift);
  d_m.upload(exp_avg, shift);
  d_v.upload(exp_avg_sq, shift);
  DeviceBuffer<uint64_t> d_step(std::vector<uint64_t>{step});
  launch_adam(d_p.get() + shift, d_g.get() + shift, d_m.get() + shift, d_v.get() + shift, n, settings, d_step.get(),
              stream.get());
  stream.synchronize();
  adam_update<float>(params.data(), grads.data(), exp_avg.data(), exp_avg_sq.data(), n, settings,
                     static_cast<int64_t>(step));
  auto got = [&](const DeviceBuffer<float>& buffer) {
    std::vector<float> all = buffer.download();
    return std::vector<float>(all.begin() + static_cast<std::ptrdiff_t>(shift), all.end());
  };
  compare_ulps(check, got(d_p), params);
  compare_ulps(check, got(d_m), exp_avg);
  compare_ulps(check, got(d_v), exp_avg_sq);
  return finish_check(check);
}

KernelCheck check_ema(size_t n, uint64_t update, uint64_t seed) {
  // Each product and the sum rounded on both sides, the decay computed in double on both: 0 ulp.
  const double decay = 0.999;
  KernelCheck check = start_check("EMA of G (--ema " + std::to_string(decay).substr(0, 5) + ")",
                                  shape_text({{"n", static_cast<int64_t>(n)}, {"t", static_cast<int64_t>(update)}}), 0,
                                  "ulp");
  std::mt19937_64 rng(seed);
  std::vector<float> ema = uniform_values(n, -1, 1, rng);
  const std::vector<float> params = uniform_values(n, -1, 1, rng);
  CudaStream stream;
  DeviceBuffer<float> d_ema(n), d_params(n);
  d_ema.upload(ema);
  d_params.upload(params);
  DeviceBuffer<uint64_t> d_update(std::vector<uint64_t>{update});
  launch_ema_update(d_ema.get(), d_params.get(), n, decay, d_update.get(), stream.get());
  stream.synchronize();
  ema_update<float>(ema.data(), params.data(), n, ema_decay_at(decay, update));
  compare_ulps(check, d_ema.download(), ema);
  compare_ulps(check, d_params.download(), params);  // read, never written
  return finish_check(check);
}

KernelCheck check_noise(int64_t count, uint64_t step, uint64_t seed) {
  // Box-Muller in double on both sides: device and glibc log/sin/cos differ by an ulp of a
  // double at most, which survives rounding to float very rarely: 1 float ulp allowed.
  KernelCheck check = start_check("Philox normal noise", shape_text({{"n", count}, {"step", static_cast<int64_t>(step)}}), 1,
                            "ulp");
  std::vector<float> reference(static_cast<size_t>(count));
  fill_normal(seed, RandomPurpose::kNoiseGenerator, step, reference.data(), count);
  CudaStream stream;
  DeviceBuffer<float> d_out(reference.size());
  DeviceBuffer<uint64_t> d_step(std::vector<uint64_t>{step});
  d_out.poison();
  launch_normal_noise(d_out.get(), count, seed, RandomPurpose::kNoiseGenerator, d_step.get(), stream.get());
  stream.synchronize();
  compare_ulps(check, d_out.download(), reference);
  return finish_check(check);
}

KernelCheck check_gather(int64_t images, int64_t pixels, int64_t batch, uint64_t seed) {
  if (batch > images) throw InputError("check_gather: batch " + std::to_string(batch) + " > images " + std::to_string(images));
  KernelCheck check = start_check("gather + normalise", shape_text({{"N", images}, {"pixels", pixels}, {"B", batch}}), 0,
                            "ulp");
  std::mt19937_64 rng(seed);
  Dataset dataset;
  dataset.count = images;
  dataset.height = 1;
  dataset.width = static_cast<int>(pixels);
  dataset.pixels.resize(static_cast<size_t>(images * pixels));
  for (uint8_t& p : dataset.pixels) p = static_cast<uint8_t>(rng() & 0xFF);
  const std::vector<uint32_t> order = epoch_permutation(seed, 1, static_cast<uint32_t>(images));
  const uint64_t offset = images > batch ? rng() % static_cast<uint64_t>(images - batch + 1) : 0;
  std::vector<float> reference(static_cast<size_t>(batch * pixels));
  gather_normalize(dataset, order.data() + offset, batch, 0.5f, 0.5f, reference.data());
  CudaStream stream;
  DeviceBuffer<uint8_t> d_images(dataset.pixels);
  DeviceBuffer<uint32_t> d_order(order);
  DeviceBuffer<uint64_t> d_offset(std::vector<uint64_t>{offset});
  DeviceBuffer<float> d_out(reference.size());
  d_out.poison();
  launch_gather_normalize(d_images.get(), pixels, d_order.get(), d_offset.get(), batch, 0.5f, 0.5f, d_out.get(),
                          stream.get());
  stream.synchronize();
  compare_ulps(check, d_out.download(), reference);
  return finish_check(check);
}

KernelCheck check_permutation(uint32_t count, uint64_t epoch, uint64_t seed) {
  KernelCheck check = start_check("epoch permutation (CUB sort)",
                            shape_text({{"N", count}, {"epoch", static_cast<int64_t>(epoch)}}), 0, "mismatches");
  const std::vector<uint32_t> reference = epoch_permutation(seed, epoch, count);
  CudaStream stream;
  DeviceBuffer<char> workspace(epoch_permutation_workspace_bytes(count));
  DeviceBuffer<uint32_t> d_order(count);
  d_order.poison();
  launch_epoch_permutation(seed, epoch, count, d_order.get(), workspace.get(), workspace.size(), stream.get());
  stream.synchronize();
  const std::vector<uint32_t> got = d_order.download();
  for (size_t i = 0; i < reference.size(); ++i) {
    if (got[i] != reference[i]) check.error += 1;
  }
  check.max_abs = check.error;
  return finish_check(check);
}

std::vector<KernelCheck> seed_shape_checks(const ModelSpec& spec, int64_t batch, bool tf32, uint64_t seed) {
  std::vector<KernelCheck> checks;
  uint64_t draw = seed;
  auto next = [&] { return ++draw; };
  const NetworkSpec* networks[] = {&spec.generator, &spec.discriminator};
  for (const NetworkSpec* network : networks) {
    const int64_t rows = network == &spec.discriminator ? 2 * batch : batch;  // D sees [real; fake]
    for (size_t l = 0; l < network->layers.size(); ++l) {
      const LinearLayer& layer = network->layers[l];
      checks.push_back(check_linear_fused(rows, layer.in, layer.out, layer.activation, false, next()));
      checks.push_back(check_linear_cublas(rows, layer.in, layer.out, layer.activation, false, next()));
      if (tf32) {
        checks.push_back(check_linear_fused(rows, layer.in, layer.out, layer.activation, true, next()));
        checks.push_back(check_linear_cublas(rows, layer.in, layer.out, layer.activation, true, next()));
      }
      checks.push_back(check_activation_backward(rows, layer.out, layer.activation, true, next()));
      checks.push_back(check_gemm_weight_grad(rows, layer.in, layer.out, false, next()));
      // The step needs no gradient of G's input (the noise).
      if (network == &spec.discriminator || l > 0) {
        checks.push_back(check_gemm_input_grad(rows, layer.in, layer.out, false, next()));
      }
    }
  }
  checks.push_back(check_bce(batch, batch, next()));
  checks.push_back(check_hinge_discriminator(batch, batch, next()));
  checks.push_back(check_hinge_generator(batch, next()));
  checks.push_back(check_adam(spec.generator.parameter_count, false, 1, next()));
  checks.push_back(check_adam(spec.discriminator.parameter_count, false, 4687, next()));
  checks.push_back(check_ema(spec.generator.parameter_count, 1, next()));
  checks.push_back(check_ema(spec.generator.parameter_count, 20000, next()));
  checks.push_back(check_noise(batch * spec.latent_dim, 1, next()));
  checks.push_back(check_gather(10000, spec.image_size(), batch, next()));
  checks.push_back(check_permutation(60000, 1, next()));
  return checks;
}

}  // namespace gan
