#pragma once
// defines: Classifier, EvalData, load_eval_data, train_classifier, load_or_train_classifier
//
// The domain classifier behind `gan eval` (Inception's role, for 28x28-style data): the small
// CNN of eval/cnn.h, trained with Adam on the dataset's own labelled training images (random
// shifts of up to 2 pixels as augmentation), its accuracy measured on held-out images. Its 256
// features (the layer before the logits) are what the Fréchet distance and precision/recall
// compare. Trained once per dataset and cached on disk, keyed by a checksum of the data and
// the recipe.
#include <cstdio>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "eval/cnn.h"

namespace gan {

struct EvalData {
  Dataset train;     // labelled; the classifier learns from it
  Dataset held_out;  // labelled; accuracy, and real images the classifier never saw
  std::string description;  // where the split came from
};

// The train split and a held-out split of `data`: its t10k files when present (MNIST and
// Fashion-MNIST's test set), else the last 20% of its training file. Labels are required.
// images: how an image folder's files become images (the run's --image-size, --channels).
EvalData load_eval_data(const std::string& data, const ImageOptions& images = {});

struct Classifier {
  CnnLayout layout;
  std::vector<float> params;
  int64_t classes = 0;
  double held_out_accuracy = 0;
  std::string key;  // checksum of data and recipe (the cache key)

  int64_t feature_size() const { return CnnLayout::kFeatures; }
  // images [n, H*W] normalised to [-1, 1] -> features [n, feature_size()], probabilities [n, classes].
  void run(const float* images, int64_t n, std::vector<float>* features, std::vector<float>* probabilities) const;
};

Classifier train_classifier(const EvalData& data, std::FILE* log);

// The cached classifier for this data in cache_dir, or a newly trained one (then cached).
// cache_dir "": $GAN_CACHE_DIR, else $XDG_CACHE_HOME/gan, else $HOME/.cache/gan.
Classifier load_or_train_classifier(const EvalData& data, const std::string& cache_dir, std::FILE* log);

// (x/255 - 0.5) / 0.5 for every byte: the scaling the classifier is trained and run with.
std::vector<float> normalize_images(const uint8_t* pixels, int64_t count);

}  // namespace gan
