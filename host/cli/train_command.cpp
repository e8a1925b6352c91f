#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cpu/cpu_trainer.h"
#include "cuda/device.h"
#include "data/dataset.h"
#include "model/model_spec.h"
#include "train/config.h"
#include "train/train_loop.h"
#include "util/error.h"

namespace gan {

void add_train_command(CLI::App& app, TrainCommand* command) {
  CLI::App* train = app.add_subcommand("train", "Train the GAN (GPU if present, else the CPU)");
  train->add_option("--config", command->config_file, "JSON file of config keys (flags override it)")->type_name("FILE");
  for (const ConfigKey& key : config_keys()) {
    CLI::Option* option = train->add_option("--" + flag_name(key.key), command->raw[key.key], key.help);
    option->default_str(describe_default(key));
    switch (key.kind) {
      case ValueKind::kInt: option->type_name("INT"); break;
      case ValueKind::kFloat: option->type_name("FLOAT"); break;
      case ValueKind::kString: option->type_name("TEXT"); break;
      case ValueKind::kIntList: option->type_name("INT,INT,..."); break;
      case ValueKind::kBool: option->type_name("BOOL"); break;
    }
    command->options[key.key] = option;
  }
  train->footer(
      "Every flag is also a key of the --config JSON file (flag --log-every is key \"log_every\").\n"
      "A run writes config.json, metrics.jsonl and samples/*.png into its --out folder.");
}

namespace {

// Decides where to train before anything is loaded, so a wrong --device fails at once.
// Returns a note for the user ("" when the choice was explicit).
std::string choose_device(const TrainConfig& config) {
  std::string why, note;
  const std::vector<GpuInfo> gpus = visible_gpus(&why);
  if (config.device == "cuda") {
    throw Error("--device cuda: this build has no GPU trainer yet (it is being written); use --device cpu or auto" +
                std::string(gpus.empty() ? " (and no GPU is visible: " + why + ")" : ""));
  }
  if (config.device == "auto") {
    note = gpus.empty() ? "no GPU visible (" + why + "): training on the CPU"
                        : "GPU " + gpus.front().name + " visible, but this build has no GPU trainer yet: training on the CPU";
  }
  return note;
}

std::unique_ptr<Trainer> make_trainer(const TrainConfig& config, const ModelSpec& spec, const Dataset& dataset) {
  CpuTrainerOptions options;
  options.seed = config.seed;
  options.adam = {config.lr, config.beta1, config.beta2, config.eps};
  options.norm_mean = static_cast<float>(config.norm_mean);
  options.norm_std = static_cast<float>(config.norm_std);
  options.threads = static_cast<int>(config.threads);
  return std::make_unique<CpuTrainer>(spec, dataset, options);
}

}  // namespace

int run_train_command(const TrainCommand& command) {
  std::map<std::string, std::string> flags;
  for (const auto& [key, option] : command.options) {
    if (option->count() > 0) flags[key] = command.raw.at(key);
  }
  const TrainConfig config = resolve_config(command.config_file, flags);
  const std::string note = choose_device(config);
  const Dataset dataset = load_dataset(config.data);
  if (config.batch > dataset.count) {
    throw Error("key 'batch': " + std::to_string(config.batch) + " is larger than the dataset (" +
                std::to_string(dataset.count) + " images in " + dataset.images_path + ")");
  }
  if (config.drop_last && dataset.count < config.batch) {
    throw Error("key 'drop_last': no full batch of " + std::to_string(config.batch) + " in " + dataset.images_path);
  }
  const ModelSpec spec = make_mlp_spec(config, dataset.height, dataset.width);
  std::unique_ptr<Trainer> trainer = make_trainer(config, spec, dataset);
  const std::string root = config.out.empty() ? default_run_folder(dataset) : config.out;
  const RunFolder run = prepare_run_folder(root, config, dataset);
  LoopOutput output;
  output.out = stdout;
  output.interactive = isatty(fileno(stdout)) != 0;
  if (!note.empty()) std::printf("%s\n", note.c_str());
  run_training(config, dataset, *trainer, run, output);
  return 0;
}

}  // namespace gan
