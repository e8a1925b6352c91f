#pragma once
// defines: EvalOptions, evaluate_generator, print_eval_table
#include <nlohmann/json.hpp>

#include <cstdio>
#include <vector>

#include "eval/classifier.h"
#include "model/model_spec.h"
#include "model/trainer.h"

namespace gan {

struct EvalOptions {
  int64_t n = 10000;          // generated images (and real images per real set)
  uint64_t seed = 0;          // of the generator's noise
  int64_t copy_check = 1000;  // generated and held-out images compared with the training set
  int64_t k = 5;              // neighbours for precision and recall
};

// Everything `gan eval` reports about a generator, as JSON:
//   fd, fd_real_floor        Fréchet distance of classifier features, generated vs real, and real
//                            vs real (two disjoint real sets of the same n): the floor for this n
//   classifier_score(_real)  the Inception-score formula on our classifier, generated and real
//   histogram, classes_above_1pct, class_kl   predicted classes of generated images, and the
//                            KL divergence of that histogram from the real one
//   precision, recall        k-nearest-neighbour manifolds (k = 5) in feature space
//   copy_check               distances (pixel space, normalised images) from generated images
//                            to their nearest training image, beside the same for held-out
//                            real images: a generator that copies sits far below the real ones
//   conditional_accuracy(_per_class)   a conditional generator only: image i is drawn for class
//                            i mod classes, and this is the share the classifier assigns to the
//                            class asked for, overall and per class
// n is capped at half the real images (train + held out), so the two real sets are disjoint.
nlohmann::json evaluate_generator(const ModelSpec& spec, const NetworkState& generator, float norm_mean,
                                  float norm_std, const EvalData& data, const Classifier& classifier,
                                  const EvalOptions& options);

void print_eval_table(const nlohmann::json& report, std::FILE* out);

}  // namespace gan
