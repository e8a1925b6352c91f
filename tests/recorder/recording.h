#pragma once
// defines: recorder::Subject, recorder::subjects, recorder::flag_sets, recorder::Recording,
// recorder::record_steps, recorder::findings_of — the GPU trainer's steps recorded for a model
// under a set of GPU flags, and every check's findings on them (test_recorder.cpp and the
// planted bugs of planted/ share them)
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cuda/gpu_trainer.h"
#include "data/dataset.h"
#include "model/model_spec.h"
#include "recorder/record_checks.h"

namespace gan::recorder {

// A model to record, with data of its images' shape.
struct Subject {
  std::string name;
  ModelSpec spec;
  Dataset data;
};

// `count` images of the spec's shape (and labels when it is conditional), the same every time.
Dataset images_for(const ModelSpec& spec, int64_t count);

// Every GPU model: the MLP, the 28x28 DCGAN (each also conditional), the 32/64-pixel DCGAN.
std::vector<Subject> subjects();
// The subject of that name (InternalError if none).
Subject subject(const std::string& name);

// Every combination of the GPU flags that matter to the model, with the graph and eagerly:
// --gpu-forward, --gpu-branches and --tf32 for the MLP; --gpu-batchnorm, --gpu-conv-algos and
// --tf32 for the DCGANs. Each named as its flags read ("graph --gpu-branches").
std::vector<std::pair<std::string, GpuTrainerOptions>> flag_sets(const ModelSpec& spec);

struct Recording {
  std::unique_ptr<GpuTrainer> trainer;
  CheckScope scope;
  std::vector<int64_t> batches;  // each recorded step's
  std::string error;             // what the trainer threw, if it did (the record stops there)
};

// A fresh record of the trainer's construction and four steps (an eager step, a captured step
// replayed, the epoch's smaller last batch, a replay after the next epoch's permutation), the
// arena's pieces given to the record. What the trainer throws ends the record and is kept in
// `error` (a planted bug may make a capture fail, say).
Recording record_steps(const Subject& subject, const GpuTrainerOptions& options);

// Every check's findings on the record, the plan's (derived_plan.h) included.
std::vector<Finding> findings_of(const Subject& subject, const GpuTrainerOptions& options, const Recording& recording);

}  // namespace gan::recorder
