#include "cpu/ops.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "cpu/cpu_gemm.h"
#include "util/parallel.h"

namespace gan {

namespace {

// Row-major GEMM: C[M, N] = alpha op(A) op(B) + beta C; float through the process's CPU GEMM
// (cpu/cpu_gemm.h), double (the references' checks) through OpenBLAS.
void blas_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void blas_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
               const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(M),
              static_cast<int>(N), static_cast<int>(K), alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb),
              beta, C, static_cast<int>(ldc));
}

template <class T>
T softplus(T x) {  // log(1 + e^x), without overflow
  return std::max(x, T(0)) + std::log1p(std::exp(-std::fabs(x)));
}

template <class T>
T sigmoid(T x) {
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

}  // namespace

template <class T>
void linear_forward(const T* X, const T* W, const T* b, T* Y, int64_t B, int64_t in, int64_t out) {
  // Start from the bias broadcast over rows, then Y += X W^T (beta = 1).
  for (int64_t r = 0; r < B; ++r) std::copy(b, b + out, Y + r * out);
  blas_gemm(false, true, B, out, in, T(1), X, in, W, in, T(1), Y, out);
}

// Element-wise passes run on the OpenMP pool in fixed chunks (parallel_for); each element is
// computed the same way whatever the split, so the results never depend on the thread count.
constexpr size_t kMinPerWorker = 1 << 14;

template <class T>
void activation_forward(Activation activation, T slope, T* Y, size_t n) {
  switch (activation) {
    case Activation::kIdentity:
      return;
    case Activation::kLeakyRelu:
      parallel_for(n, kMinPerWorker, [=](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) Y[i] = Y[i] > T(0) ? Y[i] : slope * Y[i];
      });
      return;
    case Activation::kTanh:
      parallel_for(n, kMinPerWorker / 8, [=](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) Y[i] = std::tanh(Y[i]);
      });
      return;
  }
}

template <class T>
void activation_backward(Activation activation, T slope, const T* Y, const T* dY, T* dZ, T* db, int64_t B,
                         int64_t out) {
  const size_t n = static_cast<size_t>(B * out);
  parallel_for(n, kMinPerWorker, [=](size_t begin, size_t end) {
    switch (activation) {
      case Activation::kIdentity:
        if (dZ != dY) std::copy(dY + begin, dY + end, dZ + begin);
        break;
      case Activation::kLeakyRelu:
        for (size_t i = begin; i < end; ++i) dZ[i] = Y[i] > T(0) ? dY[i] : dY[i] * slope;
        break;
      case Activation::kTanh:
        for (size_t i = begin; i < end; ++i) dZ[i] = dY[i] * (T(1) - Y[i] * Y[i]);
        break;
    }
  });
  if (db != nullptr) {
    // Column sums, rows in order: each worker owns a range of columns.
    parallel_for(static_cast<size_t>(out), 64, [=](size_t c0, size_t c1) {
      std::fill(db + c0, db + c1, T(0));
      for (int64_t r = 0; r < B; ++r) {
        const T* row = dZ + r * out;
        for (size_t c = c0; c < c1; ++c) db[c] += row[c];
      }
    });
  }
}

template <class T>
void linear_backward_weight(const T* dZ, const T* X, T* dW, int64_t B, int64_t in, int64_t out) {
  blas_gemm(true, false, out, in, B, T(1), dZ, out, X, in, T(0), dW, in);
}

template <class T>
void linear_backward_input(const T* dZ, const T* W, T* dX, int64_t B, int64_t in, int64_t out) {
  blas_gemm(false, false, B, in, out, T(1), dZ, out, W, in, T(0), dX, in);
}

template <class T>
void concat_label_embedding(const T* x, int64_t width, const T* table, int64_t dim, const int32_t* labels,
                            int64_t column, int64_t B, T* out) {
  const int64_t out_width = width + dim;
  for (int64_t r = 0; r < B; ++r) {
    const T* row = x + r * width;
    T* to = out + r * out_width;
    std::copy(row, row + column, to);
    std::copy(table + int64_t{labels[r]} * dim, table + int64_t{labels[r]} * dim + dim, to + column);
    std::copy(row + column, row + width, to + column + dim);
  }
}

template <class T>
void label_projection_forward(const T* features, const T* table, const int32_t* labels, int64_t rows, int64_t width,
                              T* logits) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = features + r * width;
    const T* embedding = table + int64_t{labels[r]} * width;
    T sum = 0;
    for (int64_t j = 0; j < width; ++j) sum += embedding[j] * row[j];
    logits[r] += sum;
  }
}

template <class T>
void label_projection_backward(const T* features, const T* table, const int32_t* labels, const T* d_logits,
                               int64_t rows, int64_t width, int64_t classes, T* d_features, T* d_table) {
  if (d_table) std::fill(d_table, d_table + classes * width, T(0));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = labels[r];
    if (d_features) {
      const T* embedding = table + c * width;
      T* to = d_features + r * width;
      for (int64_t j = 0; j < width; ++j) to[j] += d_logits[r] * embedding[j];
    }
    if (d_table) {
      const T* row = features + r * width;
      T* to = d_table + c * width;
      for (int64_t j = 0; j < width; ++j) to[j] += d_logits[r] * row[j];
    }
  }
}

template <class T>
void label_class_sums(const T* x, int64_t width, int64_t column, int64_t dim, const int32_t* labels, int64_t B,
                      int64_t classes, T* sums) {
  std::fill(sums, sums + classes * dim, T(0));
  for (int64_t r = 0; r < B; ++r) {
    T* sum = sums + int64_t{labels[r]} * dim;
    const T* row = x + r * width + column;
    for (int64_t j = 0; j < dim; ++j) sum[j] += row[j];
  }
}

template <class T>
void label_embedding_backward(const T* dZ, const T* W, int64_t in, int64_t out, int64_t column, int64_t dim,
                              const int32_t* labels, int64_t B, int64_t classes, T* class_sums, T* d_table) {
  label_class_sums(dZ, out, 0, out, labels, B, classes, class_sums);
  // d_table [classes, dim] = class_sums [classes, out] times W's columns [out, dim] (stride in).
  blas_gemm(false, false, classes, dim, out, T(1), class_sums, out, W + column, in, T(0), d_table, dim);
}

template <class T>
void gemm_naive(bool a_transposed, bool b_transposed, int64_t M, int64_t N, int64_t K, const T* A, const T* B,
                T* C) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double sum = 0;
      for (int64_t k = 0; k < K; ++k) {
        const T a = a_transposed ? A[k * M + i] : A[i * K + k];
        const T b = b_transposed ? B[j * K + k] : B[k * N + j];
        sum += static_cast<double>(a) * static_cast<double>(b);
      }
      C[i * N + j] = static_cast<T>(sum);
    }
  }
}

namespace {

// The sums of a loss's two halves turned into their means (an empty half stays 0).
BceStats averaged(BceStats sums, int64_t n_real, int64_t n_fake) {
  if (n_real > 0) {
    sums.loss_real /= static_cast<double>(n_real);
    sums.prob_real /= static_cast<double>(n_real);
  }
  if (n_fake > 0) {
    sums.loss_fake /= static_cast<double>(n_fake);
    sums.prob_fake /= static_cast<double>(n_fake);
  }
  return sums;
}

}  // namespace

template <class T>
BceStats bce_with_logits(const T* logits, int64_t n_real, int64_t n_fake, T* dlogit) {
  BceStats stats;
  for (int64_t i = 0; i < n_real; ++i) {
    const T x = logits[i];
    stats.loss_real += static_cast<double>(softplus(-x));
    stats.prob_real += static_cast<double>(sigmoid(x));
    // d softplus(-x) / dx = -sigmoid(-x): exact even where sigmoid(x) rounds to 1.
    dlogit[i] = -sigmoid(-x) / static_cast<T>(n_real);
  }
  for (int64_t i = n_real; i < n_real + n_fake; ++i) {
    const T x = logits[i];
    stats.loss_fake += static_cast<double>(softplus(x));
    const T p = sigmoid(x);
    stats.prob_fake += static_cast<double>(p);
    dlogit[i] = p / static_cast<T>(n_fake);
  }
  return averaged(stats, n_real, n_fake);
}

template <class T>
BceStats hinge_discriminator(const T* logits, int64_t n_real, int64_t n_fake, T* dlogit) {
  BceStats stats;
  for (int64_t i = 0; i < n_real; ++i) {
    const T x = logits[i];
    stats.loss_real += static_cast<double>(std::max(T(0), T(1) - x));
    stats.prob_real += static_cast<double>(x);
    dlogit[i] = x < T(1) ? T(-1) / static_cast<T>(n_real) : T(0);
  }
  for (int64_t i = n_real; i < n_real + n_fake; ++i) {
    const T x = logits[i];
    stats.loss_fake += static_cast<double>(std::max(T(0), T(1) + x));
    stats.prob_fake += static_cast<double>(x);
    dlogit[i] = x > T(-1) ? T(1) / static_cast<T>(n_fake) : T(0);
  }
  return averaged(stats, n_real, n_fake);
}

template <class T>
BceStats hinge_generator(const T* logits, int64_t B, T* dlogit) {
  BceStats stats;
  for (int64_t i = 0; i < B; ++i) {
    stats.prob_real += static_cast<double>(logits[i]);
    dlogit[i] = T(-1) / static_cast<T>(B);
  }
  stats = averaged(stats, B, 0);
  stats.loss_real = -stats.prob_real;
  return stats;
}

namespace {

template <class T>
struct AdamScalars {
  T step_size, bias_correction2_sqrt, beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
};

// The loop of adam_update over [begin, end), written once. The scalars are copied to locals and
// the pointers marked __restrict so the compiler may vectorise (it cannot prove the struct and
// the arrays do not alias otherwise, and falls back to scalar code).
template <class T>
inline void adam_loop(T* __restrict params, const T* __restrict grads, T* __restrict exp_avg,
                      T* __restrict exp_avg_sq, size_t begin, size_t end, const AdamScalars<T>& scalars) {
  const T step_size = scalars.step_size, bias_correction2_sqrt = scalars.bias_correction2_sqrt;
  const T beta1 = scalars.beta1, one_minus_beta1 = scalars.one_minus_beta1;
  const T beta2 = scalars.beta2, one_minus_beta2 = scalars.one_minus_beta2, eps = scalars.eps;
  for (size_t i = begin; i < end; ++i) {
    const T g = grads[i];
    const T m = exp_avg[i] * beta1 + g * one_minus_beta1;
    const T v = exp_avg_sq[i] * beta2 + g * g * one_minus_beta2;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    params[i] -= step_size * (m / (std::sqrt(v) / bias_correction2_sqrt + eps));
  }
}

// The float loop compiled for AVX2 and baseline x86-64, picked at run time: 8 lanes of sqrt and
// division instead of SSE2's 4. Every clone gives the same bits (IEEE sqrt and division are
// exact at any width; -ffp-contract=off keeps FMAs out). No AVX-512 clone: measured on the
// CI machine (AMD EPYC, 2 cores), it made the whole step slower, 24.5 ms against 18 ms.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void adam_loop_float(float* params, const float* grads, float* exp_avg, float* exp_avg_sq, size_t begin, size_t end,
                     const AdamScalars<float>& s) {
  adam_loop(params, grads, exp_avg, exp_avg_sq, begin, end, s);
}

inline void adam_loop_any(float* p, const float* g, float* m, float* v, size_t b, size_t e, const AdamScalars<float>& s) {
  adam_loop_float(p, g, m, v, b, e, s);
}
inline void adam_loop_any(double* p, const double* g, double* m, double* v, size_t b, size_t e,
                          const AdamScalars<double>& s) {
  adam_loop(p, g, m, v, b, e, s);
}

}  // namespace

template <class T>
void adam_update(T* params, const T* grads, T* exp_avg, T* exp_avg_sq, size_t n, const AdamSettings& settings,
                 int64_t step) {
  const double bias_correction1 = 1.0 - std::pow(settings.beta1, static_cast<double>(step));
  const double bias_correction2 = 1.0 - std::pow(settings.beta2, static_cast<double>(step));
  AdamScalars<T> s;
  s.step_size = static_cast<T>(settings.lr / bias_correction1);
  s.bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  s.beta1 = static_cast<T>(settings.beta1);
  s.one_minus_beta1 = static_cast<T>(1.0 - settings.beta1);
  s.beta2 = static_cast<T>(settings.beta2);
  s.one_minus_beta2 = static_cast<T>(1.0 - settings.beta2);
  s.eps = static_cast<T>(settings.eps);
  parallel_for(n, 1 << 16, [=](size_t begin, size_t end) {
    adam_loop_any(params, grads, exp_avg, exp_avg_sq, begin, end, s);
  });
}

template <class T>
void ema_update(T* ema, const T* params, size_t n, double decay) {
  const T keep = static_cast<T>(decay), take = static_cast<T>(1.0 - decay);
  parallel_for(n, 1 << 16, [=](size_t begin, size_t end) {
    T* __restrict out = ema;
    const T* __restrict in = params;
    for (size_t i = begin; i < end; ++i) out[i] = out[i] * keep + in[i] * take;
  });
}

template <class T>
double softmax_cross_entropy(const T* logits, const uint8_t* labels, int64_t B, int64_t C, T* dlogits,
                             int64_t* correct) {
  double loss = 0;
  int64_t right = 0;
  for (int64_t r = 0; r < B; ++r) {
    const T* row = logits + r * C;
    const int64_t best = std::max_element(row, row + C) - row;
    right += best == labels[r] ? 1 : 0;
    const T top = row[best];
    double sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(row[c] - top));
    loss += std::log(sum) - static_cast<double>(row[labels[r]] - top);
    for (int64_t c = 0; c < C; ++c) {
      const double p = std::exp(static_cast<double>(row[c] - top)) / sum;
      dlogits[r * C + c] = static_cast<T>((p - (c == labels[r] ? 1.0 : 0.0)) / static_cast<double>(B));
    }
  }
  if (correct) *correct = right;
  return loss / static_cast<double>(B);
}

#define GAN_INSTANTIATE_OPS(T)                                                                          \
  template void linear_forward<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t);         \
  template void activation_forward<T>(Activation, T, T*, size_t);                                       \
  template void activation_backward<T>(Activation, T, const T*, const T*, T*, T*, int64_t, int64_t);    \
  template void linear_backward_weight<T>(const T*, const T*, T*, int64_t, int64_t, int64_t);           \
  template void linear_backward_input<T>(const T*, const T*, T*, int64_t, int64_t, int64_t);            \
  template void concat_label_embedding<T>(const T*, int64_t, const T*, int64_t, const int32_t*, int64_t, \
                                          int64_t, T*);                                                 \
  template void label_class_sums<T>(const T*, int64_t, int64_t, int64_t, const int32_t*, int64_t, int64_t, \
                                    T*);                                                                \
  template void label_embedding_backward<T>(const T*, const T*, int64_t, int64_t, int64_t, int64_t,     \
                                            const int32_t*, int64_t, int64_t, T*, T*);                  \
  template void label_projection_forward<T>(const T*, const T*, const int32_t*, int64_t, int64_t, T*);   \
  template void label_projection_backward<T>(const T*, const T*, const int32_t*, const T*, int64_t,      \
                                             int64_t, int64_t, T*, T*);                                   \
  template void gemm_naive<T>(bool, bool, int64_t, int64_t, int64_t, const T*, const T*, T*);           \
  template BceStats bce_with_logits<T>(const T*, int64_t, int64_t, T*);                                 \
  template BceStats hinge_discriminator<T>(const T*, int64_t, int64_t, T*);                             \
  template BceStats hinge_generator<T>(const T*, int64_t, T*);                                          \
  template double softmax_cross_entropy<T>(const T*, const uint8_t*, int64_t, int64_t, T*, int64_t*);    \
  template void adam_update<T>(T*, const T*, T*, T*, size_t, const AdamSettings&, int64_t);       \
  template void ema_update<T>(T*, const T*, size_t, double);

GAN_INSTANTIATE_OPS(float)
GAN_INSTANTIATE_OPS(double)

}  // namespace gan
