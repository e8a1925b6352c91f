// BCE with logits and Adam against hand-worked values.
#include <gtest/gtest.h>

#include <cmath>

#include "cpu/ops.h"
#include "test_util.h"
#include "util/parallel.h"

namespace gan {
namespace {

TEST(Bce, HandWorkedValues) {
  // Logit 0: sigmoid 0.5, loss log 2 for either target, dlogit -0.5/n (real) and +0.5/n (fake).
  const std::vector<double> logits = {0.0, 0.0, 0.0, std::log(3.0)};  // last: sigmoid = 0.75
  std::vector<double> d(4, NAN);
  const BceStats s = bce_with_logits(logits.data(), 2, 2, d.data());
  EXPECT_NEAR(s.loss_real, std::log(2.0), 1e-15);
  // fake half: (log 2 + -log(1 - 0.75)) / 2 = (log 2 + log 4) / 2
  EXPECT_NEAR(s.loss_fake, (std::log(2.0) + std::log(4.0)) / 2, 1e-15);
  EXPECT_NEAR(s.prob_real, 0.5, 1e-15);
  EXPECT_NEAR(s.prob_fake, (0.5 + 0.75) / 2, 1e-15);
  EXPECT_NEAR(d[0], -0.25, 1e-15);
  EXPECT_NEAR(d[2], 0.25, 1e-15);
  EXPECT_NEAR(d[3], 0.75 / 2, 1e-15);
}

TEST(Bce, SaturatedLogitsStayFinite) {
  // Where BCELoss on sigmoid outputs would take log(0), the softplus form stays exact.
  const std::vector<float> logits = {100.0f, -100.0f, -100.0f, 100.0f};
  std::vector<float> d(4, NAN);
  const BceStats s = bce_with_logits(logits.data(), 2, 2, d.data());
  EXPECT_NEAR(s.loss_real, 50.0, 1e-4);  // (0 + 100) / 2
  EXPECT_NEAR(s.loss_fake, 50.0, 1e-4);  // (0 + 100) / 2
  for (float g : d) EXPECT_TRUE(std::isfinite(g));
  EXPECT_NEAR(d[1], -0.5f, 1e-6);  // real with logit -100: gradient -1/n
  EXPECT_NEAR(d[3], 0.5f, 1e-6);   // fake with logit +100: gradient +1/n
  EXPECT_GT(-d[0], 0.0f);          // tiny, but not rounded to zero
}

TEST(Bce, GeneratorHalfOnly) {
  const std::vector<float> logits = {0.0f, 0.0f, 0.0f};
  std::vector<float> d(3, NAN);
  const BceStats s = bce_with_logits(logits.data(), 3, 0, d.data());
  EXPECT_NEAR(s.loss_real, std::log(2.0), 1e-7);
  EXPECT_EQ(s.loss_fake, 0.0);
  EXPECT_NEAR(d[1], -0.5f / 3, 1e-8);
}

TEST(Adam, FirstStepMovesEachParameterByLrTimesTheGradientsSign) {
  // After one step: m_hat = g, v_hat = g^2, so p -= lr * g / (|g| + eps).
  std::vector<double> p = {1.0, -2.0, 0.5}, g = {0.3, -4.0, 0.0}, m(3, 0.0), v(3, 0.0);
  AdamSettings s;
  adam_update(p.data(), g.data(), m.data(), v.data(), 3, s, 1);
  EXPECT_NEAR(p[0], 1.0 - 2e-4 * 0.3 / (0.3 + 1e-8), 1e-15);
  EXPECT_NEAR(p[1], -2.0 + 2e-4 * 4.0 / (4.0 + 1e-8), 1e-15);
  EXPECT_EQ(p[2], 0.5);
  EXPECT_NEAR(m[0], 0.1 * 0.3, 1e-15);
  EXPECT_NEAR(v[1], 0.001 * 16.0, 1e-15);
}

TEST(Adam, SecondStepFollowsPyTorchsFormula) {
  std::vector<double> p = {0.7}, m = {0.0}, v = {0.0};
  AdamSettings s{1e-3, 0.5, 0.9, 1e-8};
  std::vector<double> g1 = {0.2}, g2 = {-0.6};
  adam_update(p.data(), g1.data(), m.data(), v.data(), 1, s, 1);
  adam_update(p.data(), g2.data(), m.data(), v.data(), 1, s, 2);
  // By hand: step 1 moves 1e-3 * 0.2 / (0.2 + eps). Step 2: m = 0.5*0.1 + 0.5*(-0.6) = -0.25,
  // v = 0.9*0.004 + 0.1*0.36 = 0.0396; p -= 1e-3 / 0.75 * m / (sqrt(v) / sqrt(0.19) + eps).
  double expected = 0.7 - 1e-3 * 0.2 / (0.2 + 1e-8);
  expected -= 1e-3 / 0.75 * -0.25 / (std::sqrt(0.0396) / std::sqrt(0.19) + 1e-8);
  EXPECT_NEAR(m[0], -0.25, 1e-15);
  EXPECT_NEAR(v[0], 0.0396, 1e-15);
  EXPECT_NEAR(p[0], expected, 1e-14);
}

TEST(Adam, FloatMatchesDoubleOnRandomBuffers) {
  // A long buffer, so the parallel chunks and the vectorised clone are exercised.
  const size_t n = 300001;
  auto pd = testing::random_vector<double>(n, 1), gd = testing::random_vector<double>(n, 2);
  std::vector<float> pf(pd.begin(), pd.end()), gf(gd.begin(), gd.end());
  std::vector<double> md(n, 0), vd(n, 0);
  std::vector<float> mf(n, 0), vf(n, 0);
  pd.assign(pf.begin(), pf.end());
  gd.assign(gf.begin(), gf.end());
  AdamSettings s;
  for (int64_t step = 1; step <= 3; ++step) {
    adam_update(pd.data(), gd.data(), md.data(), vd.data(), n, s, step);
    adam_update(pf.data(), gf.data(), mf.data(), vf.data(), n, s, step);
  }
  double worst = 0;
  for (size_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(pf[i] - pd[i]));
  EXPECT_LT(worst, 1e-6);  // float rounding of parameters of magnitude <= 1
}

TEST(Adam, ResultsDoNotDependOnTheThreadCount) {
  const size_t n = 200003;
  const auto p0 = testing::random_vector<float>(n, 5), g = testing::random_vector<float>(n, 6);
  auto run = [&] {
    std::vector<float> p = p0, m(n, 0.0f), v(n, 0.0f);
    adam_update(p.data(), g.data(), m.data(), v.data(), n, AdamSettings{}, 1);
    return p;
  };
  const auto many = run();
  set_worker_threads(1);
  const auto one = run();
  set_worker_threads(0);
  EXPECT_EQ(many, one);
}

}  // namespace
}  // namespace gan
