#pragma once
// defines: RunFolder, prepare_run_folder, default_run_folder, run_training — the loop shared by
// every trainer
#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <string>

#include "data/dataset.h"
#include "train/config.h"
#include "train/trace.h"
#include "model/trainer.h"

namespace gan {

// The files of a run folder (docs/ARCHITECTURE.md: the run folder).
struct RunFolder {
  std::string root;           // runs/NAME
  std::string config_json;    // resolved configuration
  std::string metrics_jsonl;  // one JSON object per log step
  std::string samples;        // grids from a fixed noise batch
  std::string last_checkpoint;  // last.safetensors
  std::string checkpoints;      // numbered checkpoints (when keep_checkpoints > 0)
};

// Creates the folder (and samples/) and writes config.json. A new run refuses a folder that
// already holds one, so nothing saved is overwritten; a resumed run (resuming = true) continues
// in its folder. Throws gan::Error naming the path.
RunFolder prepare_run_folder(const std::string& root, const TrainConfig& config, const Dataset& dataset, bool resuming);

// The default run folder name: runs/<data name>-<YYYYmmdd-HHMMSS>.
std::string default_run_folder(const Dataset& dataset);

struct LoopOutput {
  std::FILE* out = stdout;
  bool interactive = false;  // a terminal: one live progress line
};

struct LoopStart {
  uint64_t step = 0;          // steps already taken (0 for a new run)
  uint32_t noise_stream = 0;  // from the checkpoint being resumed
};

struct TrainingOutcome {
  uint64_t step = 0;     // the step the run stopped at
  int interrupted = 0;   // the signal (SIGINT, SIGTERM) that stopped it early, or 0
};

// Trains from step start.step + 1 to the configured number of steps: progress, metrics, sample
// grids (at the start of a new run, every sample_every steps, at the end), checkpoints (every
// checkpoint_every steps, at the end, and when interrupted), and the parity trace when `trace`
// is given. A non-finite loss or parameter stops the run (gan::Error naming the step) without
// writing a poisoned checkpoint, or with on_nan = rollback returns to the last checkpoint and
// continues with a fresh noise stream.
// Evaluates the trainer's current generator (gan eval's numbers), for eval_every.
using Evaluator = std::function<nlohmann::json(Trainer& trainer)>;

TrainingOutcome run_training(const TrainConfig& config, const Dataset& dataset, Trainer& trainer, const RunFolder& run,
                             const LoopOutput& output, const LoopStart& start, TraceRecorder* trace,
                             const Evaluator& evaluate = nullptr);

}  // namespace gan
