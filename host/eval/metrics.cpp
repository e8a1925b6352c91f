#include "eval/metrics.h"

#include <algorithm>
#include <cmath>

#include "cpu/cpu_gemm.h"

namespace gan {

Moments feature_moments(const float* features, int64_t n, int64_t d) {
  Eigen::MatrixXd x(n, d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) x(i, j) = features[i * d + j];
  Moments m;
  m.mean = x.colwise().mean().transpose();
  const Eigen::MatrixXd centered = x.rowwise() - m.mean.transpose();
  m.covariance = (centered.transpose() * centered) / static_cast<double>(std::max<int64_t>(n - 1, 1));
  return m;
}

namespace {

// The symmetric square root of a symmetric positive semi-definite matrix.
Eigen::MatrixXd symmetric_sqrt(const Eigen::MatrixXd& s) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(s);
  const Eigen::VectorXd roots = solver.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return solver.eigenvectors() * roots.asDiagonal() * solver.eigenvectors().transpose();
}

}  // namespace

double frechet_distance(const Moments& a, const Moments& b) {
  const Eigen::MatrixXd root_a = symmetric_sqrt(a.covariance);
  Eigen::MatrixXd inner = root_a * b.covariance * root_a;
  inner = 0.5 * (inner + inner.transpose());  // symmetric up to rounding; make it exactly so
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(inner, Eigen::EigenvaluesOnly);
  const double trace_sqrt = solver.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  return (a.mean - b.mean).squaredNorm() + a.covariance.trace() + b.covariance.trace() - 2.0 * trace_sqrt;
}

double classifier_score(const float* p, int64_t n, int64_t classes) {
  std::vector<double> marginal(static_cast<size_t>(classes), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < classes; ++c) marginal[c] += p[i * classes + c];
  for (auto& m : marginal) m /= static_cast<double>(n);
  double kl_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < classes; ++c) {
      const double q = p[i * classes + c];
      if (q > 0) kl_sum += q * (std::log(q) - std::log(std::max(marginal[c], 1e-30)));
    }
  }
  return std::exp(kl_sum / static_cast<double>(n));
}

std::vector<double> class_histogram(const float* p, int64_t n, int64_t classes) {
  std::vector<double> histogram(static_cast<size_t>(classes), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const float* row = p + i * classes;
    histogram[std::max_element(row, row + classes) - row] += 1.0 / static_cast<double>(n);
  }
  return histogram;
}

ConditionalAccuracy conditional_accuracy(const float* p, const int32_t* asked, int64_t n, int64_t classes) {
  ConditionalAccuracy result;
  result.per_class.assign(static_cast<size_t>(classes), 0.0);
  result.drawn.assign(static_cast<size_t>(classes), 0);
  std::vector<int64_t> right(static_cast<size_t>(classes), 0);
  int64_t all_right = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = p + i * classes;
    const bool hit = std::max_element(row, row + classes) - row == asked[i];
    result.drawn[asked[i]] += 1;
    right[asked[i]] += hit ? 1 : 0;
    all_right += hit ? 1 : 0;
  }
  for (int64_t c = 0; c < classes; ++c) {
    if (result.drawn[c] > 0) result.per_class[c] = static_cast<double>(right[c]) / static_cast<double>(result.drawn[c]);
  }
  result.overall = n > 0 ? static_cast<double>(all_right) / static_cast<double>(n) : 0.0;
  return result;
}

double histogram_kl(const std::vector<double>& p, const std::vector<double>& q) {
  double kl = 0;
  for (size_t c = 0; c < p.size(); ++c) {
    if (p[c] > 0) kl += p[c] * (std::log(p[c]) - std::log(std::max(q[c], 1e-6)));
  }
  return kl;
}

namespace {

// Squared distances between rows of a [na, d] and rows of b [nb, d], for rows [a0, a1) of a:
// out[(i - a0) * nb + j] = |a_i|^2 + |b_j|^2 - 2 a_i . b_j (a GEMM), clamped at 0.
void squared_distances(const float* a, int64_t a0, int64_t a1, const float* b, int64_t nb, int64_t d,
                       const std::vector<float>& a_norms, const std::vector<float>& b_norms, std::vector<float>* out) {
  const int64_t rows = a1 - a0;
  out->resize(static_cast<size_t>(rows * nb));
  sgemm(false, true, rows, nb, d, -2.0f, a + a0 * d, d, b, d, 0.0f, out->data(), nb);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < nb; ++j) {
      float& v = (*out)[i * nb + j];
      v = std::max(0.0f, v + a_norms[a0 + i] + b_norms[j]);
    }
}

std::vector<float> row_norms(const float* x, int64_t n, int64_t d) {
  std::vector<float> norms(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t j = 0; j < d; ++j) s += double(x[i * d + j]) * x[i * d + j];
    norms[i] = static_cast<float>(s);
  }
  return norms;
}

constexpr int64_t kRowBlock = 512;  // rows of distances held at once: 512 x n floats

// The squared distance from each row of x to its k-th nearest other row of x.
std::vector<float> kth_neighbour_radii(const float* x, int64_t n, int64_t d, int64_t k) {
  const auto norms = row_norms(x, n, d);
  std::vector<float> radii(static_cast<size_t>(n)), block;
  for (int64_t a0 = 0; a0 < n; a0 += kRowBlock) {
    const int64_t a1 = std::min(n, a0 + kRowBlock);
    squared_distances(x, a0, a1, x, n, d, norms, norms, &block);
    for (int64_t i = a0; i < a1; ++i) {
      std::vector<float> row(block.begin() + (i - a0) * n, block.begin() + (i - a0 + 1) * n);
      // row[i] is the point itself (distance 0): the k-th neighbour is the (k+1)-th smallest.
      const int64_t kth = std::min<int64_t>(k, n - 1);
      std::nth_element(row.begin(), row.begin() + kth, row.end());
      radii[i] = row[kth];
    }
  }
  return radii;
}

// Fraction of query rows inside at least one ball (center row of `centers`, squared radius).
double fraction_inside(const float* queries, int64_t nq, const float* centers, int64_t nc, int64_t d,
                       const std::vector<float>& radii) {
  const auto q_norms = row_norms(queries, nq, d), c_norms = row_norms(centers, nc, d);
  int64_t inside = 0;
  std::vector<float> block;
  for (int64_t a0 = 0; a0 < nq; a0 += kRowBlock) {
    const int64_t a1 = std::min(nq, a0 + kRowBlock);
    squared_distances(queries, a0, a1, centers, nc, d, q_norms, c_norms, &block);
    for (int64_t i = 0; i < a1 - a0; ++i) {
      for (int64_t j = 0; j < nc; ++j) {
        if (block[i * nc + j] <= radii[j]) {
          ++inside;
          break;
        }
      }
    }
  }
  return static_cast<double>(inside) / static_cast<double>(nq);
}

}  // namespace

PrecisionRecall precision_recall(const float* real, int64_t n_real, const float* fake, int64_t n_fake, int64_t d,
                                 int64_t k) {
  PrecisionRecall result;
  result.precision = fraction_inside(fake, n_fake, real, n_real, d, kth_neighbour_radii(real, n_real, d, k));
  result.recall = fraction_inside(real, n_real, fake, n_fake, d, kth_neighbour_radii(fake, n_fake, d, k));
  return result;
}

std::vector<double> nearest_distances(const float* queries, int64_t n_queries, const float* reference,
                                      int64_t n_reference, int64_t d) {
  const auto q_norms = row_norms(queries, n_queries, d), r_norms = row_norms(reference, n_reference, d);
  std::vector<double> nearest(static_cast<size_t>(n_queries));
  std::vector<float> block;
  for (int64_t a0 = 0; a0 < n_queries; a0 += kRowBlock) {
    const int64_t a1 = std::min(n_queries, a0 + kRowBlock);
    squared_distances(queries, a0, a1, reference, n_reference, d, q_norms, r_norms, &block);
    for (int64_t i = 0; i < a1 - a0; ++i) {
      const float* row = block.data() + i * n_reference;
      nearest[a0 + i] = std::sqrt(static_cast<double>(*std::min_element(row, row + n_reference)));
    }
  }
  return nearest;
}

}  // namespace gan
