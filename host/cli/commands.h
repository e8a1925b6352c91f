#pragma once
// defines: TrainCommand, SampleCommand, EvalCommand, CheckCommand, add_train_command,
// add_sample_command, add_eval_command, add_check_command, run_train_command,
// run_sample_command, run_eval_command, run_check_command — the subcommands of gan
#include <CLI/CLI.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gan {

struct TrainCommand {
  std::string config_file;
  std::string resume;  // --resume RUN_DIR_OR_FILE
  std::string trace;   // --trace FILE
  std::map<std::string, std::string> raw;  // flag values as typed, by config key
  std::map<std::string, CLI::Option*> options;
  bool no_graph = false;  // --no-graph
};

void add_train_command(CLI::App& app, TrainCommand* command);
int run_train_command(const TrainCommand& command);

struct SampleCommand {
  std::string checkpoint;
  int64_t count = 64;
  std::string out;
  uint64_t seed = 0;
  int columns = 0;
  bool interpolate = false;  // rows of linear walks between two noise vectors
  int walk_steps = 10;
  std::vector<int> classes;     // --class: what a conditional generator draws (cycled); empty: every class
  bool grid_by_class = false;   // one row per class, the same noise down each column
  bool live_weights = false;    // G's own weights even where the checkpoint holds their average
  const CLI::Option* count_option = nullptr;  // to tell an explicit --n from the default
};

void add_sample_command(CLI::App& app, SampleCommand* command);
int run_sample_command(const SampleCommand& command);

struct EvalCommand {
  std::string checkpoint, data, out, cache_dir;
  int64_t n = 10000;
  uint64_t seed = 0;
  bool live_weights = false;  // G's own weights even where the checkpoint holds their average
};

void add_eval_command(CLI::App& app, EvalCommand* command);
int run_eval_command(const EvalCommand& command);

struct CheckCommand {
  int gpu = 0;
  int64_t batch = 128;
  std::optional<uint64_t> seed;
  bool tf32 = false;
};

void add_check_command(CLI::App& app, CheckCommand* command);
int run_check_command(const CheckCommand& command);

}  // namespace gan
