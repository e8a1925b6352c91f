#pragma once
// defines: Classifier, train_classifier, classifier_outputs, load_or_train_classifier, classifier_key,
// normalize_images
//
// The feature network behind `gan eval` (Inception's role): the small CNN of eval/cnn.h, for
// grey or colour images of any size from 4x4, trained with Adam on the evaluation data
// (eval/eval_data.h) with random shifts of up to 2 pixels as augmentation. Labelled data trains
// a domain classifier on its classes; unlabelled data a rotation network, which predicts which
// of four quarter turns an image was given (FeatureTask). Its 256 features (the layer before the
// logits) are what the Fréchet distance and precision/recall compare; its accuracy on held-out
// images says how much it learned. Trained once per data set and recipe and cached on disk,
// keyed by a checksum of the data and the recipe's name.
#include <cstdio>
#include <string>
#include <vector>

#include "eval/cnn.h"
#include "eval/eval_data.h"

namespace gan {

struct Classifier {
  FeatureTask task = FeatureTask::kClasses;
  CnnLayout layout;
  std::vector<float> params;
  int64_t classes = 0;  // outputs: the data's classes, or the 4 rotations
  double held_out_accuracy = 0;  // of the classes, or of the rotations (every held-out image in all four)
  std::string key;  // checksum of data and recipe (the cache key)

  int64_t feature_size() const { return CnnLayout::kFeatures; }
  // "domain classifier on 10 classes" or "rotation network (4 quarter turns, self-supervised)"
  std::string describe() const;
  // images [n, C*H*W] (channel planes) normalised to [-1, 1] -> features [n, feature_size()],
  // probabilities [n, classes].
  void run(const float* images, int64_t n, std::vector<float>* features, std::vector<float>* probabilities) const;
};

Classifier train_classifier(const EvalData& data, std::FILE* log);

// The network's outputs for this data: its classes (the largest label + 1), or 4 turns.
int64_t classifier_outputs(const EvalData& data);

// The cached network for this data in cache_dir, or a newly trained one (then cached).
// cache_dir "": $GAN_CACHE_DIR, else $XDG_CACHE_HOME/gan, else $HOME/.cache/gan.
Classifier load_or_train_classifier(const EvalData& data, const std::string& cache_dir, std::FILE* log);

// The cache key of `data` with the recipe train_classifier would use for it.
std::string classifier_key(const EvalData& data);

// (x/255 - 0.5) / 0.5 for every byte: the scaling the network is trained and run with.
std::vector<float> normalize_images(const uint8_t* pixels, int64_t count);

}  // namespace gan
