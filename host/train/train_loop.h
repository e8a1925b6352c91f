#pragma once
// defines: RunFolder, prepare_run_folder, run_training — the loop shared by every trainer
#include <cstdio>
#include <string>

#include "data/dataset.h"
#include "train/config.h"
#include "train/trainer.h"

namespace gan {

// The files of DESIGN.md's run folder.
struct RunFolder {
  std::string root;          // runs/NAME
  std::string config_json;   // resolved configuration
  std::string metrics_jsonl; // one JSON object per log step
  std::string samples;       // grids from a fixed noise batch
};

// Creates the folder (and samples/); refuses one that already holds a run, so nothing already
// saved is overwritten. Writes config.json. Throws gan::Error naming the path.
RunFolder prepare_run_folder(const std::string& root, const TrainConfig& config, const Dataset& dataset);

// The default run folder name: runs/<data name>-<YYYYmmdd-HHMMSS>.
std::string default_run_folder(const Dataset& dataset);

struct LoopOutput {
  std::FILE* out = stdout;
  bool interactive = false;  // a terminal: one live progress line
};

// Trains from the trainer's current state to the configured number of steps: progress, metrics,
// sample grids at the start, every sample_every steps and at the end.
void run_training(const TrainConfig& config, const Dataset& dataset, Trainer& trainer, const RunFolder& run,
                  const LoopOutput& output);

}  // namespace gan
