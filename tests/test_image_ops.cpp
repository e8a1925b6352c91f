// The convolutional GAN's CPU reference layers (host/cpu/image_ops.h): every gradient against
// central finite differences in double precision, on odd shapes with stride and padding; the
// transposed convolution against its definition as the convolution's adjoint; BatchNorm's
// running statistics against PyTorch's update rule.
#include <cblas.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <utility>

#include "cpu/conv_gemm.h"
#include "cpu/image_ops.h"
#include "test_util.h"
#include "util/parallel.h"

namespace gan {
namespace {

using testing::random_vector;

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

// Checks analytic[i] == d loss / d values[i] by central differences, for every i.
void expect_gradient(const std::string& what, std::vector<double>& values, const std::vector<double>& analytic,
                     const std::function<double()>& loss) {
  ASSERT_EQ(values.size(), analytic.size()) << what;
  EXPECT_LT(testing::finite_difference_error(values, analytic, {}, loss), 1e-6) << what;
}

ConvShape odd_conv() {
  ConvShape s;
  s.batch = 2;
  s.in_channels = 3;
  s.out_channels = 2;
  s.height = 7;
  s.width = 6;
  s.kernel = 4;
  s.stride = 2;
  s.padding = 1;
  return s;  // output 3 x 3: (7 + 2 - 4) / 2 + 1, (6 + 2 - 4) / 2 + 1
}

TEST(ImageOps, Conv2dShapesAndAKnownValue) {
  ConvShape s = odd_conv();
  EXPECT_EQ(s.out_height(), 3);
  EXPECT_EQ(s.out_width(), 3);
  // A 1x1 input channel, a kernel of ones: each output is the sum of its window plus the bias.
  ConvShape one;
  one.height = 3;
  one.width = 3;
  one.kernel = 2;
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w = {1, 1, 1, 1}, b = {0.5};
  std::vector<double> y(4);
  conv2d_forward(one, x.data(), w.data(), b.data(), y.data());
  EXPECT_EQ(y, (std::vector<double>{12.5, 16.5, 24.5, 28.5}));
}

TEST(ImageOps, Conv2dGradientsMatchFiniteDifferences) {
  const ConvShape s = odd_conv();
  const size_t nx = static_cast<size_t>(s.batch * s.in_channels * s.height * s.width);
  const size_t nw = static_cast<size_t>(s.out_channels * s.in_channels * s.kernel * s.kernel);
  const size_t ny = static_cast<size_t>(s.batch * s.out_channels * s.out_height() * s.out_width());
  std::vector<double> x = random_vector<double>(nx, 1), w = random_vector<double>(nw, 2);
  std::vector<double> b = random_vector<double>(static_cast<size_t>(s.out_channels), 3);
  const std::vector<double> r = random_vector<double>(ny, 4);  // loss = sum(y * r), so dy = r
  auto loss = [&] {
    std::vector<double> y(ny);
    conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
    return dot(y, r);
  };
  std::vector<double> dx(nx), dw(nw), db(b.size());
  conv2d_backward(s, x.data(), w.data(), r.data(), dx.data(), dw.data(), db.data());
  expect_gradient("dx", x, dx, loss);
  expect_gradient("dw", w, dw, loss);
  expect_gradient("dbias", b, db, loss);
}

TEST(ImageOps, ConvTransposeIsTheAdjointOfConvAndItsGradientsMatch) {
  // For ConvTranspose2d(Cin -> Cout) the shape is the Conv2d(Cout -> Cin) it inverts, seen
  // from the transposed layer: in_channels Cin, out_channels Cout, height/width its output.
  const ConvShape s = odd_conv();  // as a transposed conv: 3 -> 2 channels, 3x3 -> 7x6
  const size_t n_in = static_cast<size_t>(s.batch * s.in_channels * s.out_height() * s.out_width());
  const size_t n_out = static_cast<size_t>(s.batch * s.out_channels * s.height * s.width);
  const size_t nw = static_cast<size_t>(s.in_channels * s.out_channels * s.kernel * s.kernel);
  std::vector<double> x = random_vector<double>(n_in, 5), w = random_vector<double>(nw, 6);
  std::vector<double> b = random_vector<double>(static_cast<size_t>(s.out_channels), 7);
  const std::vector<double> u = random_vector<double>(n_out, 8);

  // <convT(x), u> = <x, conv(u)> with the conv that maps Cout -> Cin channels and the same
  // weights read as [Cin, Cout, K, K] = Conv2d's [out, in, K, K].
  std::vector<double> y(n_out), conv_u(n_in);
  conv_transpose2d_forward(s, x.data(), w.data(), static_cast<const double*>(nullptr), y.data());
  ConvShape as_conv = s;
  as_conv.in_channels = s.out_channels;
  as_conv.out_channels = s.in_channels;
  conv2d_forward(as_conv, u.data(), w.data(), static_cast<const double*>(nullptr), conv_u.data());
  EXPECT_NEAR(dot(y, u), dot(x, conv_u), 1e-10 * std::fabs(dot(y, u)));

  auto loss = [&] {
    std::vector<double> out(n_out);
    conv_transpose2d_forward(s, x.data(), w.data(), b.data(), out.data());
    return dot(out, u);
  };
  std::vector<double> dx(n_in), dw(nw), db(b.size());
  conv_transpose2d_backward(s, x.data(), w.data(), u.data(), dx.data(), dw.data(), db.data());
  expect_gradient("dx", x, dx, loss);
  expect_gradient("dw", w, dw, loss);
  expect_gradient("dbias", b, db, loss);
}

TEST(ImageOps, BatchNormGradientsMatchFiniteDifferences) {
  const int64_t B = 3, C = 4, HW = 5;
  std::vector<double> x = random_vector<double>(static_cast<size_t>(B * C * HW), 9, -2, 3);
  std::vector<double> gamma = random_vector<double>(static_cast<size_t>(C), 10, 0.5, 1.5);
  std::vector<double> beta = random_vector<double>(static_cast<size_t>(C), 11);
  const std::vector<double> r = random_vector<double>(x.size(), 12);
  auto loss = [&] {
    std::vector<double> y(x.size());
    BatchNormSaved<double> saved;
    batch_norm_forward(x.data(), B, C, HW, gamma.data(), beta.data(), 1e-5, 0.1, static_cast<double*>(nullptr),
                       static_cast<double*>(nullptr), y.data(), &saved);
    return dot(y, r);
  };
  std::vector<double> y(x.size()), dx(x.size()), dgamma(gamma.size()), dbeta(beta.size());
  BatchNormSaved<double> saved;
  batch_norm_forward(x.data(), B, C, HW, gamma.data(), beta.data(), 1e-5, 0.1, static_cast<double*>(nullptr),
                     static_cast<double*>(nullptr), y.data(), &saved);
  batch_norm_backward(x.data(), r.data(), B, C, HW, gamma.data(), saved, dx.data(), dgamma.data(), dbeta.data());
  expect_gradient("dx", x, dx, loss);
  expect_gradient("dgamma", gamma, dgamma, loss);
  expect_gradient("dbeta", beta, dbeta, loss);
}

TEST(ImageOps, BatchNormNormalisesAndUpdatesRunningStatsAsPyTorch) {
  // One channel, four values 1, 2, 3, 6: mean 3, biased variance 3.5, unbiased 14/3.
  const std::vector<double> x = {1, 2, 3, 6}, gamma = {2}, beta = {1};
  std::vector<double> y(4), running_mean = {0}, running_var = {1};
  BatchNormSaved<double> saved;
  batch_norm_forward(x.data(), 4, 1, 1, gamma.data(), beta.data(), 0.0, 0.1, running_mean.data(), running_var.data(),
                     y.data(), &saved);
  EXPECT_NEAR(saved.mean[0], 3.0, 1e-15);
  EXPECT_NEAR(y[0], (1 - 3) / std::sqrt(3.5) * 2 + 1, 1e-12);
  EXPECT_NEAR(y[3], (6 - 3) / std::sqrt(3.5) * 2 + 1, 1e-12);
  EXPECT_NEAR(running_mean[0], 0.9 * 0 + 0.1 * 3, 1e-15);
  EXPECT_NEAR(running_var[0], 0.9 * 1 + 0.1 * 14.0 / 3.0, 1e-15);
}

TEST(ImageOps, GemmConvolutionsMatchTheReferenceLoops) {
  // Odd shapes, every kernel/stride/padding mix the layers could use and stride 3 (the loops
  // without a constant stride), both directions; one GEMM for the whole batch, and groups of 2 of
  // 5 images (the last group partial); a map one pixel wide too, where with padding some kernel
  // columns read no pixel of any output row.
  for (const auto& [batch, group] : {std::pair<int64_t, int64_t>{2, 0}, {5, 2}})
  for (int64_t width : {7, 1})
  for (int64_t kernel : {1, 3, 4})
    for (int64_t stride : {1, 2, 3})
      for (int64_t padding : {0, 1}) {
        if (kernel > width + 2 * padding) continue;  // no output column
        ConvShape s;
        s.batch = batch;
        s.in_channels = 3;
        s.out_channels = 5;
        s.height = 9;
        s.width = width;
        s.kernel = kernel;
        s.stride = stride;
        s.padding = padding;
        SCOPED_TRACE("B=" + std::to_string(batch) + " group=" + std::to_string(group) + " W=" + std::to_string(width) +
                     " K=" + std::to_string(kernel) + " s=" + std::to_string(stride) + " p=" + std::to_string(padding));
        const size_t n_big = static_cast<size_t>(s.batch * s.in_channels * s.height * s.width);
        const size_t n_small = static_cast<size_t>(s.batch * s.out_channels * s.out_height() * s.out_width());
        const size_t nw = static_cast<size_t>(s.out_channels * s.in_channels * kernel * kernel);
        const auto x = random_vector<float>(n_big, 1), w = random_vector<float>(nw, 2);
        const auto b = random_vector<float>(static_cast<size_t>(s.out_channels), 3);
        const auto g = random_vector<float>(n_small, 4);
        auto wide = [](const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); };
        // Conv2d: forward, and all three gradients.
        std::vector<float> y(n_small, NAN), dx(n_big, NAN), dw(nw, NAN), db(b.size(), NAN);
        std::vector<double> y_ref(n_small), dx_ref(n_big), dw_ref(nw), db_ref(b.size());
        conv2d_forward_gemm(s, x.data(), w.data(), b.data(), y.data(), group);
        conv2d_forward(s, wide(x).data(), wide(w).data(), wide(b).data(), y_ref.data());
        conv2d_backward_gemm(s, x.data(), w.data(), g.data(), dx.data(), dw.data(), db.data(), group);
        conv2d_backward(s, wide(x).data(), wide(w).data(), wide(g).data(), dx_ref.data(), dw_ref.data(), db_ref.data());
        EXPECT_LT(testing::max_relative_error(y, y_ref), 1e-5);
        EXPECT_LT(testing::max_relative_error(dx, dx_ref), 1e-5);
        EXPECT_LT(testing::max_relative_error(dw, dw_ref), 1e-5);
        EXPECT_LT(testing::max_relative_error(db, db_ref), 1e-5);
        // ConvTranspose2d(Cin = 3 -> Cout = 5) from the small map back to the big one.
        ConvShape t = s;  // as a transposed conv: in 3 at out_height x out_width, out 5 at 9 x 7
        const size_t t_in = static_cast<size_t>(t.batch * t.in_channels * t.out_height() * t.out_width());
        const size_t t_out = static_cast<size_t>(t.batch * t.out_channels * t.height * t.width);
        const auto tx = random_vector<float>(t_in, 5), tg = random_vector<float>(t_out, 6);
        std::vector<float> ty(t_out, NAN), tdx(t_in, NAN), tdw(nw, NAN), tdb(b.size(), NAN);
        std::vector<double> ty_ref(t_out), tdx_ref(t_in), tdw_ref(nw), tdb_ref(b.size());
        conv_transpose2d_forward_gemm(t, tx.data(), w.data(), b.data(), ty.data(), group);
        conv_transpose2d_forward(t, wide(tx).data(), wide(w).data(), wide(b).data(), ty_ref.data());
        conv_transpose2d_backward_gemm(t, tx.data(), w.data(), tg.data(), tdx.data(), tdw.data(), tdb.data(),
                                       group);
        conv_transpose2d_backward(t, wide(tx).data(), wide(w).data(), wide(tg).data(), tdx_ref.data(), tdw_ref.data(),
                                  tdb_ref.data());
        EXPECT_LT(testing::max_relative_error(ty, ty_ref), 1e-5);
        EXPECT_LT(testing::max_relative_error(tdx, tdx_ref), 1e-5);
        EXPECT_LT(testing::max_relative_error(tdw, tdw_ref), 1e-5);
        EXPECT_LT(testing::max_relative_error(tdb, tdb_ref), 1e-5);
      }
}

TEST(ImageOps, BatchNormAndGemmConvolutionsGiveTheSameBitsOnAnyWorkerCount) {
  // The workers split BatchNorm's channels and the convolutions' images, and OpenBLAS splits the
  // GEMMs' rows and columns; each result is still summed in one fixed order, so one worker and
  // three agree bit for bit (three: more than the CI machine's cores, so never one pool of one).
  ConvShape s = halving_shape(7, 5, 6, 10);  // Conv2d 5 -> 6 channels, 10x10 -> 5x5, 7 images
  const int64_t plane = s.out_height() * s.out_width();
  const auto x = random_vector<float>(static_cast<size_t>(s.batch * s.in_channels * s.height * s.width), 1);
  const auto w = random_vector<float>(static_cast<size_t>(s.out_channels * s.in_channels * 16), 2);
  const auto g = random_vector<float>(static_cast<size_t>(s.batch * s.out_channels * plane), 3);
  const auto gamma = random_vector<float>(static_cast<size_t>(s.out_channels), 4);
  const auto beta = random_vector<float>(static_cast<size_t>(s.out_channels), 5);
  auto run = [&] {
    std::vector<float> y(g.size(), NAN), normed(g.size(), NAN), dnormed(g.size(), NAN), dx(x.size(), NAN),
        dw(w.size(), NAN), dgamma(gamma.size(), NAN), dbeta(beta.size(), NAN);
    std::vector<float> mean(gamma.size(), 0.0f), var(gamma.size(), 1.0f);
    BatchNormSaved<float> saved;
    conv2d_forward_gemm(s, x.data(), w.data(), nullptr, y.data(), 3);
    batch_norm_forward(y.data(), s.batch, s.out_channels, plane, gamma.data(), beta.data(), 1e-5, 0.1, mean.data(),
                       var.data(), normed.data(), &saved);
    batch_norm_backward(y.data(), g.data(), s.batch, s.out_channels, plane, gamma.data(), saved, dnormed.data(),
                        dgamma.data(), dbeta.data());
    conv2d_backward_gemm(s, x.data(), w.data(), dnormed.data(), dx.data(), dw.data(), nullptr, 3);
    std::vector<float> all;
    for (const auto* v : {&normed, &mean, &var, &dgamma, &dbeta, &dx, &dw}) all.insert(all.end(), v->begin(), v->end());
    return all;
  };
  // Both pools: parallel_for's workers and OpenBLAS's threads (the CPU trainer sets both).
  const int blas_threads = openblas_get_num_threads();
  set_worker_threads(3);
  openblas_set_num_threads(3);
  const auto three = run();
  set_worker_threads(1);
  openblas_set_num_threads(1);
  const auto one = run();
  set_worker_threads(0);
  openblas_set_num_threads(blas_threads);
  EXPECT_EQ(0, std::memcmp(three.data(), one.data(), one.size() * sizeof(float)));
  for (float v : one) ASSERT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace gan
