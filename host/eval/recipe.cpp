#include "eval/recipe.h"

#include <algorithm>

namespace gan {

namespace {

// The first classifier's recipe (grey, labelled); never change what it names.
constexpr const char* kGreyClassesRecipe = "cnn-c32-c64-f256-leaky0.01-adam1e-3-decay-b128-shift2-v3";
// Bump the version when the training of any other kind changes: its cached networks are then retrained.
constexpr const char* kRecipe = "cnn-c32-c64-f256-leaky0.01-adam1e-3-decay-shift2-v4";
constexpr int64_t kTotalViews = 360000, kMaxEpochs = 18, kSmallSet = 8000;

}  // namespace

ClassifierRecipe classifier_recipe(FeatureTask task, int channels, int height, int width, int64_t train_count) {
  ClassifierRecipe r;
  if (task == FeatureTask::kClasses && channels == 1 && train_count >= 128) {
    r.name = kGreyClassesRecipe;
    r.batch = 128;
    r.epochs = train_count <= 20000 ? 18 : 6;
    return r;
  }
  const int64_t views = (task == FeatureTask::kRotation ? 4 : 1) * std::max<int64_t>(train_count, 1);
  r.batch = views < kSmallSet ? 32 : 128;
  r.epochs = std::clamp<int64_t>(kTotalViews / views, 1, kMaxEpochs);
  r.name = std::string(kRecipe) + (task == FeatureTask::kRotation ? "-rotation4-" : "-classes-") +
           std::to_string(channels) + "x" + std::to_string(height) + "x" + std::to_string(width);
  return r;
}

}  // namespace gan
