#pragma once
// defines: EvalOptions, evaluate_generator, evaluate_images, check_generator_shape, evaluation_count,
// print_eval_table
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
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
//   network, network_task, network_outputs   what measured it: "domain classifier on K classes"
//                            (task "classes", labelled data) or "rotation network ..." (task
//                            "rotation", unlabelled data; 4 outputs)
//   classifier_accuracy      that network's held-out accuracy: of the classes, or of the turns
//   fd, fd_real_floor        Fréchet distance of the network's features, generated vs real, and
//                            real vs real (two disjoint real sets of the same n): the floor for this n
//   precision, recall        k-nearest-neighbour manifolds (k = 5) in feature space
//   copy_check               distances (pixel space, normalised images) from generated images
//                            to their nearest training image, beside the same for held-out
//                            real images: a generator that copies sits far below the real ones
// and with a domain classifier only (they need the data's classes):
//   classifier_score(_real)  the Inception-score formula on our classifier, generated and real
//   histogram, classes_above_1pct, class_kl   predicted classes of generated images, and the
//                            KL divergence of that histogram from the real one
//   conditional_accuracy(_per_class)   a conditional generator only: image i is drawn for class
//                            i mod classes, and this is the share the classifier assigns to the
//                            class asked for, overall and per class
// n is capped at half the real images (train + held out), so the two real sets are disjoint.
// The generator's images must have the network's channels, height and width (else InputError).
nlohmann::json evaluate_generator(const ModelSpec& spec, const NetworkState& generator, float norm_mean,
                                  float norm_std, const EvalData& data, const Classifier& classifier,
                                  const EvalOptions& options);

// The same report for images already made: `generated` [n, C*H*W] bytes (channel planes) of the
// network's shape, `asked` [n] the classes a conditional generator was asked for (null if
// none). What evaluate_generator measures once it has drawn its images; tests measure real,
// collapsed or copied images with it. n must leave two disjoint real sets (else InputError).
nlohmann::json evaluate_images(const uint8_t* generated, int64_t n, const int32_t* asked, const EvalData& data,
                               const Classifier& classifier, const EvalOptions& options);

// InputError unless the generator's images have the evaluation data's channels, height and width:
// "--data PATH: images of 28x28 grey, but the generator makes 32x32 colour". `gan eval` calls it
// before it trains a classifier; evaluate_generator on the classifier's shape.
void check_generator_shape(const ModelSpec& spec, int64_t channels, int64_t height, int64_t width,
                           const std::string& data_path);

// The n evaluate_generator draws: options.n, capped at half the real images.
int64_t evaluation_count(const EvalData& data, const EvalOptions& options);

void print_eval_table(const nlohmann::json& report, std::FILE* out);

}  // namespace gan
