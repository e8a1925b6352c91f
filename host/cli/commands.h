#pragma once
// defines: the subcommands of the gan executable
#include <CLI/CLI.hpp>

#include <map>
#include <string>

namespace gan {

struct TrainCommand {
  std::string config_file;
  std::map<std::string, std::string> raw;  // flag values as typed, by config key
  std::map<std::string, CLI::Option*> options;
};

void add_train_command(CLI::App& app, TrainCommand* command);
int run_train_command(const TrainCommand& command);

}  // namespace gan
