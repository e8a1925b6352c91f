// The BLAS-backed linear ops against the naive triple loop, on odd, non-square sizes so that a
// swapped dimension or a wrong leading dimension cannot pass.
#include <gtest/gtest.h>

#include "cpu/cpu_gemm.h"
#include "cpu/ops.h"
#include "test_util.h"

namespace gan {
namespace {

using testing::max_relative_error;
using testing::random_vector;

struct Shape {
  int64_t B, in, out;
};
const Shape kShapes[] = {{1, 1, 1}, {7, 3, 5}, {129, 7, 1}, {3, 129, 17}, {33, 100, 256}, {5, 1000, 7}};

template <class T>
void check_linear(double bound) {
  for (const Shape s : kShapes) {
    SCOPED_TRACE(::testing::Message() << "B=" << s.B << " in=" << s.in << " out=" << s.out);
    const auto X = random_vector<T>(s.B * s.in, 1), W = random_vector<T>(s.out * s.in, 2), b = random_vector<T>(s.out, 3);
    const auto dZ = random_vector<T>(s.B * s.out, 4);

    std::vector<T> Y(s.B * s.out, T(NAN)), expected(s.B * s.out);
    linear_forward(X.data(), W.data(), b.data(), Y.data(), s.B, s.in, s.out);
    gemm_naive(false, true, s.B, s.out, s.in, X.data(), W.data(), expected.data());  // X W^T
    for (int64_t r = 0; r < s.B; ++r)
      for (int64_t c = 0; c < s.out; ++c) expected[r * s.out + c] += b[c];
    EXPECT_LT(max_relative_error(Y, expected), bound) << "forward";

    std::vector<T> dW(s.out * s.in, T(NAN)), dW_ref(s.out * s.in);
    linear_backward_weight(dZ.data(), X.data(), dW.data(), s.B, s.in, s.out);
    gemm_naive(true, false, s.out, s.in, s.B, dZ.data(), X.data(), dW_ref.data());  // dZ^T X
    EXPECT_LT(max_relative_error(dW, dW_ref), bound) << "weight gradient";

    std::vector<T> dX(s.B * s.in, T(NAN)), dX_ref(s.B * s.in);
    linear_backward_input(dZ.data(), W.data(), dX.data(), s.B, s.in, s.out);
    gemm_naive(false, false, s.B, s.in, s.out, dZ.data(), W.data(), dX_ref.data());  // dZ W
    EXPECT_LT(max_relative_error(dX, dX_ref), bound) << "input gradient";
  }
}

// Both CPU GEMMs (cpu/cpu_gemm.h): each against the naive loop.
TEST(LinearOps, FloatMatchesNaiveLoop) {
  for (CpuGemm gemm : {CpuGemm::kOpenBlas, CpuGemm::kOneDnn}) {
    SCOPED_TRACE(cpu_gemm_name(gemm));
    const testing::UsingCpuGemm using_it(gemm);
    check_linear<float>(1e-5);
  }
}
TEST(LinearOps, DoubleMatchesNaiveLoop) { check_linear<double>(1e-13); }

TEST(LinearOps, NaiveLoopMatchesHandWorkedProduct) {
  // [1 2; 3 4] x [5 6; 7 8] = [19 22; 43 50]; with A transposed: [1 3; 2 4] x B = [26 30; 38 44].
  const std::vector<double> A = {1, 2, 3, 4}, Bm = {5, 6, 7, 8};
  std::vector<double> C(4);
  gemm_naive(false, false, 2, 2, 2, A.data(), Bm.data(), C.data());
  EXPECT_EQ(C, (std::vector<double>{19, 22, 43, 50}));
  gemm_naive(true, false, 2, 2, 2, A.data(), Bm.data(), C.data());
  EXPECT_EQ(C, (std::vector<double>{26, 30, 38, 44}));
  gemm_naive(false, true, 2, 2, 2, A.data(), Bm.data(), C.data());  // A B^T
  EXPECT_EQ(C, (std::vector<double>{17, 23, 39, 53}));
}

TEST(ActivationOps, ForwardValues) {
  std::vector<float> y = {-2.0f, -0.0f, 0.0f, 3.0f};
  activation_forward(Activation::kLeakyRelu, 0.2f, y.data(), y.size());
  EXPECT_EQ(y, (std::vector<float>{-0.4f, -0.0f, 0.0f, 3.0f}));
  std::vector<float> t = {-30.0f, 0.0f, 0.5f};
  activation_forward(Activation::kTanh, 0.2f, t.data(), t.size());
  EXPECT_EQ(t[0], -1.0f);
  EXPECT_EQ(t[1], 0.0f);
  EXPECT_NEAR(t[2], std::tanh(0.5), 1e-7);
}

}  // namespace
}  // namespace gan
