#pragma once
// defines: ClassifierRecipe, classifier_recipe — how the evaluation's feature network is trained
// for a given data set (its batch, epochs and the recipe's name in the cache key)
#include <cstdint>
#include <string>

#include "eval/eval_data.h"

namespace gan {

struct ClassifierRecipe {
  std::string name;     // enters the cache key: a network of another recipe is never read as this one's
  int64_t batch = 128;  // training views per update (kRotation: batch / 4 images, each in all four turns)
  int64_t epochs = 18;  // passes over the training images (kRotation: over each image in all four turns)
};

// Grey labelled data of at least one batch (128 training images) keeps the first classifier's
// recipe exactly (its name too, so the networks cached before colour and rotation existed stay
// valid and README's MNIST and Fashion-MNIST numbers stay those of the same network): batch
// 128, 18 epochs up to 20,000 images and 6 above (about 1,000 to 2,500 updates: enough for
// MNIST-10k's 8,000 digits and Fashion's 60,000). Below one batch that recipe trained nothing,
// so such sets take the recipe of every other kind. Every other kind (colour, or the rotation
// task) names its task and its input shape, CxHxW, and scales with the number of training
// views (images, or 4 x images for rotation): about 360,000 views in all (the old recipe's
// work on Fashion-MNIST), at most 18 epochs, and batch 32 below 8,000 views, so that a folder
// of a few hundred images still gets hundreds of updates (at batch 128 it would get a few dozen).
ClassifierRecipe classifier_recipe(FeatureTask task, int channels, int height, int width, int64_t train_count);

inline ClassifierRecipe classifier_recipe(const EvalData& data) {
  return classifier_recipe(data.task(), data.train.channels, data.train.height, data.train.width, data.train.count);
}

}  // namespace gan
