#pragma once
// defines: FeatureTask, EvalData, load_eval_data — the real images gan eval measures against,
// split into the feature network's training images and held-out ones
#include <string>

#include "data/dataset.h"

namespace gan {

// What the evaluation's feature network learns, which decides what its features mean:
//   kClasses   the data's own labels (IDX labels, or an image folder's class subfolders): a
//              domain classifier, Inception's role for this data;
//   kRotation  no labels (a flat folder, an IDX file without labels): each image turned by 0,
//              90, 180 or 270 degrees and the network predicts which (Gidaris et al. 2018), a
//              task that needs no labels and that only a network that sees the objects' shapes
//              and orientation can solve.
enum class FeatureTask { kClasses, kRotation };

struct EvalData {
  Dataset train;     // the feature network learns from it
  Dataset held_out;  // its accuracy, and real images it never saw
  std::string description;  // where the split came from

  FeatureTask task() const { return train.labels.empty() ? FeatureTask::kRotation : FeatureTask::kClasses; }
};

// The train split and a held-out split of `data`: its t10k files when present (MNIST and
// Fashion-MNIST's test set), else for an image folder every fifth image (its images come
// grouped by class or by name), else the last 20% of its training file. With labels the split
// keeps them (FeatureTask::kClasses); without, neither split has any (kRotation).
// images: how an image folder's files become images (the run's --image-size, --channels).
EvalData load_eval_data(const std::string& data, const ImageOptions& images = {});

}  // namespace gan
