// Every gradient of the reference ops against central finite differences in double precision:
// each op alone, then whole networks (the D step's loss and the G step's loss through D, under
// the seed's BCE and the hinge loss).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "cpu/mlp.h"
#include "cpu/ops.h"
#include "test_util.h"
#include "train/config.h"

namespace gan {
namespace {

using testing::expect_each_tensor_close;
using testing::max_relative_error;
using testing::numeric_gradient;
using testing::random_vector;

// A fixed random weighting turns a tensor output into a scalar loss: L = sum(w * Y).
double weighted_sum(const std::vector<double>& y, const std::vector<double>& w) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += y[i] * w[i];
  return s;
}

TEST(Gradients, ActivationBackwardFromOutput) {
  const int64_t B = 7, out = 5;
  for (Activation act : {Activation::kLeakyRelu, Activation::kTanh, Activation::kIdentity}) {
    SCOPED_TRACE(activation_name(act));
    // Keep pre-activations away from 0, where LeakyReLU has a kink.
    auto z = random_vector<double>(B * out, 11, -2, 2);
    for (auto& v : z) v += v > 0 ? 0.1 : -0.1;
    const auto w = random_vector<double>(B * out, 12);
    auto loss = [&] {
      std::vector<double> y = z;
      activation_forward<double>(act, 0.2, y.data(), y.size());
      return weighted_sum(y, w);
    };
    const auto numeric = numeric_gradient(z, loss);
    std::vector<double> y = z;
    activation_forward<double>(act, 0.2, y.data(), y.size());
    std::vector<double> dz(B * out, NAN), db(out, NAN);
    activation_backward<double>(act, 0.2, y.data(), w.data(), dz.data(), db.data(), B, out);
    EXPECT_LT(max_relative_error(dz, numeric), 1e-8);
    // The bias gradient is the column sum of dZ: d/db of sum(w * act(z + b)).
    std::vector<double> column(out, 0.0);
    for (int64_t r = 0; r < B; ++r)
      for (int64_t c = 0; c < out; ++c) column[c] += numeric[r * out + c];
    EXPECT_LT(max_relative_error(db, column), 1e-8);
  }
}

TEST(Gradients, LinearWeightAndInput) {
  const int64_t B = 6, in = 9, out = 4;
  auto X = random_vector<double>(B * in, 21), W = random_vector<double>(out * in, 22), b = random_vector<double>(out, 23);
  const auto w = random_vector<double>(B * out, 24);
  auto loss = [&] {
    std::vector<double> y(B * out);
    linear_forward(X.data(), W.data(), b.data(), y.data(), B, in, out);
    return weighted_sum(y, w);
  };
  std::vector<double> dW(out * in, NAN), dX(B * in, NAN);
  linear_backward_weight(w.data(), X.data(), dW.data(), B, in, out);
  linear_backward_input(w.data(), W.data(), dX.data(), B, in, out);
  EXPECT_LT(max_relative_error(dW, numeric_gradient(W, loss)), 1e-8);
  EXPECT_LT(max_relative_error(dX, numeric_gradient(X, loss)), 1e-8);
}

TEST(Gradients, BceWithLogits) {
  auto logits = random_vector<double>(11, 31, -4, 4);
  const int64_t n_real = 4, n_fake = 7;
  auto loss = [&] {
    std::vector<double> d(logits.size());
    const BceStats s = bce_with_logits(logits.data(), n_real, n_fake, d.data());
    return s.loss_real + s.loss_fake;
  };
  std::vector<double> dlogit(logits.size(), NAN);
  bce_with_logits(logits.data(), n_real, n_fake, dlogit.data());
  EXPECT_LT(max_relative_error(dlogit, numeric_gradient(logits, loss)), 1e-8);
}

// A small D and G of the seed's shape (odd widths), in double.
ModelSpec tiny_spec() {
  TrainConfig config = config_from_json({{"latent_dim", 5}, {"g_hidden", {7, 6}}, {"d_hidden", {8, 3}}}, "test");
  return make_mlp_spec(config, 3, 4);  // 12-pixel images
}

std::vector<double> init_double(const NetworkSpec& n, uint32_t index) {
  std::vector<float> p(n.parameter_count);
  init_parameters(n, index, 99, p.data());
  return std::vector<double>(p.begin(), p.end());
}

// Under each loss (--loss): for the hinge, D's weights are tripled so that its logits spread past
// the margin and the clipping is exercised (inside it every logit's gradient is +-1/B).
std::vector<double> discriminator_params(const NetworkSpec& D, AdversarialLoss loss) {
  auto params = init_double(D, 1);
  if (loss == AdversarialLoss::kHinge) {
    for (double& p : params) p *= 3;
  }
  return params;
}

TEST(Gradients, DiscriminatorStepLossOverEveryParameter) {
  for (AdversarialLoss loss : {AdversarialLoss::kBce, AdversarialLoss::kHinge}) {
    SCOPED_TRACE(adversarial_loss_name(loss));
    const ModelSpec spec = tiny_spec();
    const NetworkSpec& D = spec.discriminator;
    auto params = discriminator_params(D, loss);
    const int64_t B = 5;
    // [2B, 12]: a real half and a fake half, as the trainer feeds D.
    const auto input = random_vector<double>(2 * B * spec.image_size(), 41);
    auto loss_value = [&] {
      MlpPass<double> pass;
      mlp_forward<double>(D, 0.2, params.data(), input.data(), 2 * B, &pass);
      std::vector<double> d(2 * B);
      const BceStats s = discriminator_loss(loss, pass.output(), B, B, d.data());
      return s.loss_real + s.loss_fake;
    };
    MlpPass<double> pass;
    mlp_forward<double>(D, 0.2, params.data(), input.data(), 2 * B, &pass);
    if (loss == AdversarialLoss::kHinge) {
      int64_t past_margin = 0;
      for (int64_t i = 0; i < 2 * B; ++i) {
        const double x = pass.output()[i];
        ASSERT_GT(std::abs(std::abs(x) - 1), 1e-3) << "logit " << i << " on a kink";
        past_margin += i < B ? x > 1 : x < -1;
      }
      ASSERT_GT(past_margin, 0);
      ASSERT_LT(past_margin, 2 * B);
    }
    std::vector<double> dlogit(2 * B);
    discriminator_loss(loss, pass.output(), B, B, dlogit.data());
    std::vector<double> grads(D.parameter_count, NAN);
    MlpScratch<double> scratch;
    mlp_backward<double>(D, 0.2, params.data(), pass, dlogit.data(), grads.data(), nullptr, &scratch);
    expect_each_tensor_close(D, grads, numeric_gradient(params, loss_value), 1e-7);
  }
}

TEST(Gradients, GeneratorStepLossThroughTheDiscriminator) {
  for (AdversarialLoss loss : {AdversarialLoss::kBce, AdversarialLoss::kHinge}) {
    SCOPED_TRACE(adversarial_loss_name(loss));
    const ModelSpec spec = tiny_spec();
    const NetworkSpec &G = spec.generator, &D = spec.discriminator;
    auto g_params = init_double(G, 0);
    const auto d_params = discriminator_params(D, loss);
    const int64_t B = 4;
    const auto z = random_vector<double>(B * spec.latent_dim, 51, -2, 2);
    auto loss_value = [&] {
      MlpPass<double> g_pass, d_pass;
      mlp_forward<double>(G, 0.2, g_params.data(), z.data(), B, &g_pass);
      mlp_forward<double>(D, 0.2, d_params.data(), g_pass.output(), B, &d_pass);
      std::vector<double> d(B);
      return generator_loss(loss, d_pass.output(), B, d.data()).loss_real;
    };
    MlpPass<double> g_pass, d_pass;
    MlpScratch<double> scratch;
    mlp_forward<double>(G, 0.2, g_params.data(), z.data(), B, &g_pass);
    mlp_forward<double>(D, 0.2, d_params.data(), g_pass.output(), B, &d_pass);
    std::vector<double> dlogit(B), d_image(B * spec.image_size(), NAN), grads(G.parameter_count, NAN);
    generator_loss(loss, d_pass.output(), B, dlogit.data());
    mlp_backward<double>(D, 0.2, d_params.data(), d_pass, dlogit.data(), nullptr, d_image.data(), &scratch);
    mlp_backward<double>(G, 0.2, g_params.data(), g_pass, d_image.data(), grads.data(), nullptr, &scratch);
    expect_each_tensor_close(G, grads, numeric_gradient(g_params, loss_value), 1e-7);
  }
}

TEST(Gradients, FloatNetworkAgreesWithDouble) {
  const ModelSpec spec = tiny_spec();
  const NetworkSpec& D = spec.discriminator;
  const auto pd = init_double(D, 1);
  const std::vector<float> pf(pd.begin(), pd.end());
  const auto xd = random_vector<double>(6 * spec.image_size(), 61);
  const std::vector<float> xf(xd.begin(), xd.end());
  MlpPass<double> passd;
  MlpPass<float> passf;
  mlp_forward<double>(D, 0.2, pd.data(), xd.data(), 6, &passd);
  mlp_forward<float>(D, 0.2f, pf.data(), xf.data(), 6, &passf);
  EXPECT_LT(max_relative_error(passf.outputs.back(), passd.outputs.back()), 1e-5);
}

}  // namespace
}  // namespace gan
