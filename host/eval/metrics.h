#pragma once
// defines: Moments, feature_moments, frechet_distance, classifier_score, class_histogram,
// histogram_kl, ConditionalAccuracy, conditional_accuracy, precision_recall, nearest_distances — the numbers of `gan eval`
#include <Eigen/Dense>

#include <cstdint>
#include <vector>

namespace gan {

struct Moments {
  Eigen::VectorXd mean;
  Eigen::MatrixXd covariance;  // unbiased (n - 1)
};

// features: [n, d] row-major.
Moments feature_moments(const float* features, int64_t n, int64_t d);

// |mu1 - mu2|^2 + Tr S1 + Tr S2 - 2 Tr sqrt(S1 S2), with Tr sqrt(S1 S2) computed as
// Tr sqrt(sqrt(S1) S2 sqrt(S1)) through two symmetric eigendecompositions (the matrix inside is
// symmetric positive semi-definite, so no complex square roots; tiny negative eigenvalues from
// rounding are clamped to zero).
double frechet_distance(const Moments& a, const Moments& b);

// exp(E_x KL(p(y|x) || p(y))): the Inception-score formula on our classifier. probabilities: [n, c].
double classifier_score(const float* probabilities, int64_t n, int64_t classes);

// Fraction of images whose most likely class is each class. probabilities: [n, c].
std::vector<double> class_histogram(const float* probabilities, int64_t n, int64_t classes);

struct ConditionalAccuracy {
  double overall = 0;              // share of all images classified as the class they were drawn for
  std::vector<double> per_class;   // [classes]: the same among the images drawn for each class (0 if none)
  std::vector<int64_t> drawn;      // [classes]: how many images were drawn for each class
};

// How often a conditional generator's image for class asked[i] is classified as that class
// (the most likely class of probabilities [n, classes]). asked: [n], each in 0..classes-1.
ConditionalAccuracy conditional_accuracy(const float* probabilities, const int32_t* asked, int64_t n, int64_t classes);

// KL(p || q) in nats, with q floored at 1e-6 so an empty reference class stays finite.
double histogram_kl(const std::vector<double>& p, const std::vector<double>& q);

struct PrecisionRecall {
  double precision = 0;  // fraction of generated samples inside the real manifold
  double recall = 0;     // fraction of real samples inside the generated manifold
};

// Kynkäänniemi et al. (2019): each set's manifold is the union of balls around its points with
// radius the distance to their k-th nearest neighbour within the set. real, fake: [n, d].
PrecisionRecall precision_recall(const float* real, int64_t n_real, const float* fake, int64_t n_fake, int64_t d,
                                 int64_t k);

// For each query row, the Euclidean distance to its nearest row of `reference` ([n, d] each).
std::vector<double> nearest_distances(const float* queries, int64_t n_queries, const float* reference,
                                      int64_t n_reference, int64_t d);

}  // namespace gan
