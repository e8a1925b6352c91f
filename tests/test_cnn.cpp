// The evaluation classifier's CNN: im2col convolution against a direct loop, every
// parameter's gradient against central finite differences in double precision, grey and colour.
#include <gtest/gtest.h>

#include <functional>

#include "eval/cnn.h"
#include "test_util.h"

namespace gan {
namespace {

using testing::max_relative_error;
using testing::random_vector;

TEST(Conv, Im2colGemmMatchesADirectConvolution) {
  const int64_t B = 2, H = 5, W = 7, C = 3, Co = 4;
  const auto x = random_vector<double>(B * H * W * C, 1), w = random_vector<double>(Co * 9 * C, 2);
  const auto bias = random_vector<double>(Co, 3);
  std::vector<double> col(B * H * W * 9 * C), y(B * H * W * Co, NAN);
  im2col_3x3(x.data(), B, H, W, C, col.data());
  linear_forward(col.data(), w.data(), bias.data(), y.data(), B * H * W, 9 * C, Co);
  std::vector<double> direct(B * H * W * Co);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < H; ++i)
      for (int64_t j = 0; j < W; ++j)
        for (int64_t o = 0; o < Co; ++o) {
          double s = bias[o];
          for (int64_t ky = 0; ky < 3; ++ky)
            for (int64_t kx = 0; kx < 3; ++kx)
              for (int64_t c = 0; c < C; ++c) {
                const int64_t si = i + ky - 1, sj = j + kx - 1;
                if (si < 0 || si >= H || sj < 0 || sj >= W) continue;
                s += w[o * 9 * C + (ky * 3 + kx) * C + c] * x[((b * H + si) * W + sj) * C + c];
              }
          direct[((b * H + i) * W + j) * Co + o] = s;
        }
  EXPECT_LT(max_relative_error(y, direct), 1e-14);
}

TEST(Conv, Col2imIsTheAdjointOfIm2col) {
  // <im2col(x), g> == <x, col2im(g)> for any x, g.
  const int64_t B = 2, H = 4, W = 3, C = 2;
  const auto x = random_vector<double>(B * H * W * C, 4), g = random_vector<double>(B * H * W * 9 * C, 5);
  std::vector<double> col(g.size()), back(x.size());
  im2col_3x3(x.data(), B, H, W, C, col.data());
  col2im_3x3(g.data(), B, H, W, C, back.data());
  double left = 0, right = 0;
  for (size_t i = 0; i < col.size(); ++i) left += col[i] * g[i];
  for (size_t i = 0; i < x.size(); ++i) right += x[i] * back[i];
  EXPECT_NEAR(left, right, 1e-12 * std::fabs(left));
}

TEST(Conv, MaxPoolPicksWindowMaximaAndRoutesGradients) {
  // One 4x4 channel: windows' maxima and their positions.
  const std::vector<double> x = {1, 2, 0, 0, 3, 4, 0, 9, 5, 0, 1, 1, 0, 6, 1, 2};
  std::vector<double> y(4);
  std::vector<int64_t> arg;
  maxpool2_forward(x.data(), 1, 4, 4, 1, y.data(), &arg);
  EXPECT_EQ(y, (std::vector<double>{4, 9, 6, 2}));
  std::vector<double> dx(16);
  maxpool2_backward(std::vector<double>{1, 2, 3, 4}.data(), arg, 16, dx.data());
  EXPECT_EQ(dx[5], 1);
  EXPECT_EQ(dx[7], 2);
  EXPECT_EQ(dx[13], 3);
  EXPECT_EQ(dx[15], 4);
  double total = 0;
  for (double v : dx) total += v;
  EXPECT_EQ(total, 10);
}

// Every parameter's gradient of the softmax cross-entropy of a batch of two, against central
// differences at up to 24 spread-out elements of each tensor (all of them would take minutes).
void expect_cnn_gradients_match(int64_t height, int64_t width, int64_t channels) {
  const CnnLayout layout = make_cnn_layout(height, width, 3, channels);
  std::vector<float> init(layout.parameter_count);
  init_tensors(layout.tensors, layout.parameter_count, 2, 7, init.data());
  std::vector<double> params(init.begin(), init.end());
  const int64_t B = 2;
  const auto images = random_vector<double>(static_cast<size_t>(B * layout.image_size()), 8);
  const std::vector<uint8_t> labels = {0, 2};
  auto loss = [&] {
    CnnPass<double> pass;
    cnn_forward(layout, params.data(), images.data(), B, &pass);
    std::vector<double> d(B * 3);
    return softmax_cross_entropy(pass.logits.data(), labels.data(), B, 3, d.data());
  };
  CnnPass<double> pass;
  cnn_forward(layout, params.data(), images.data(), B, &pass);
  std::vector<double> dlogits(B * 3), grads(layout.parameter_count, NAN);
  softmax_cross_entropy(pass.logits.data(), labels.data(), B, 3, dlogits.data());
  cnn_backward(layout, params.data(), pass, dlogits.data(), grads.data());
  for (const auto& t : layout.tensors) {
    std::vector<double> ours, numeric;
    const size_t stride = std::max<size_t>(1, t.size / 24);
    for (size_t e = 0; e < t.size; e += stride) {
      double& p = params[t.offset + e];
      const double saved = p, h = 1e-6;
      p = saved + h;
      const double up = loss();
      p = saved - h;
      const double down = loss();
      p = saved;
      numeric.push_back((up - down) / (2 * h));
      ours.push_back(grads[t.offset + e]);
    }
    EXPECT_LT(max_relative_error(ours, numeric), 1e-5) << t.name << " (" << channels << " channels)";
  }
}

TEST(Conv, EveryCnnGradientMatchesFiniteDifferences) { expect_cnn_gradients_match(8, 8, 1); }

// Colour, and a non-square image (rows and columns are not swapped anywhere).
TEST(Conv, EveryColourCnnGradientMatchesFiniteDifferences) { expect_cnn_gradients_match(8, 12, 3); }

// The finite differences cannot see a wrong order of the input channels (any fixed shuffle of
// the inputs has consistent gradients), so the first convolution is checked against a direct
// one that reads the images as the data set stores them, channel planes [B, C, H, W].
TEST(Conv, FirstConvolutionReadsChannelPlanes) {
  const int64_t B = 2, H = 4, W = 8, C = 3, C1 = CnnLayout::kConv1;
  const CnnLayout layout = make_cnn_layout(H, W, 2, C);
  std::vector<float> init(layout.parameter_count);
  init_tensors(layout.tensors, layout.parameter_count, 2, 11, init.data());
  const std::vector<double> params(init.begin(), init.end());
  const auto images = random_vector<double>(static_cast<size_t>(B * C * H * W), 12);
  CnnPass<double> pass;
  cnn_forward(layout, params.data(), images.data(), B, &pass);
  const double* weight = params.data() + layout.tensor(0).offset;  // [32, (ky*3 + kx)*C + c]
  const double* bias = params.data() + layout.tensor(1).offset;
  std::vector<double> direct(static_cast<size_t>(B * H * W * C1));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x)
        for (int64_t o = 0; o < C1; ++o) {
          double s = bias[o];
          for (int64_t c = 0; c < C; ++c)
            for (int64_t ky = 0; ky < 3; ++ky)
              for (int64_t kx = 0; kx < 3; ++kx) {
                const int64_t sy = y + ky - 1, sx = x + kx - 1;
                if (sy < 0 || sy >= H || sx < 0 || sx >= W) continue;
                s += weight[o * 9 * C + (ky * 3 + kx) * C + c] * images[((b * C + c) * H + sy) * W + sx];
              }
          direct[((b * H + y) * W + x) * C1 + o] = s > 0 ? s : kCnnSlope * s;  // z1 is after LeakyReLU
        }
  EXPECT_LT(max_relative_error(pass.z1, direct), 1e-14);
}

}  // namespace
}  // namespace gan
