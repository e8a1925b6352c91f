#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cpu/cpu_trainer.h"
#include "cuda/device.h"
#include "data/dataset.h"
#include "eval/evaluate.h"
#include "model/model_spec.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/interrupt.h"
#include "train/trace.h"
#include "train/train_loop.h"
#include "util/error.h"
#include "util/memory.h"

namespace gan {

namespace fs = std::filesystem;

void add_train_command(CLI::App& app, TrainCommand* command) {
  CLI::App* train = app.add_subcommand("train", "Train the GAN (GPU if present, else the CPU)");
  train->add_option("--config", command->config_file, "JSON file of config keys (flags override it)")->type_name("FILE");
  train->add_option("--resume", command->resume,
                    "continue a run exactly from its checkpoint: a run folder (its last.safetensors) or a file")
      ->type_name("RUN|FILE");
  train->add_option("--trace", command->trace,
                    "write a parity trace (init, batches, noises, losses, step-1 gradients, final parameters) "
                    "for tools/torch_parity.py")
      ->type_name("FILE");
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
      "A run writes config.json, metrics.jsonl, samples/*.png and last.safetensors into its --out folder.");
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

void check_data_against_config(const TrainConfig& config, const Dataset& dataset) {
  if (config.batch > dataset.count) {
    throw Error("key 'batch': " + std::to_string(config.batch) + " is larger than the dataset (" +
                std::to_string(dataset.count) + " images in " + dataset.images_path + ")");
  }
}

// Refuses, before anything is allocated, a model and batch that cannot fit in memory.
void check_memory(const ModelSpec& spec, const TrainConfig& config) {
  const double needed = training_memory_bytes(spec, config.batch);
  const double available = available_memory_bytes();
  if (needed > 0.9 * available) {
    throw Error("keys latent_dim, g_hidden, d_hidden, batch: this model needs about " + format_bytes(needed) +
                " to train (" + std::to_string(spec.generator.real_parameter_count() + spec.discriminator.real_parameter_count()) +
                " parameters, batch " + std::to_string(config.batch) + "), but only " + format_bytes(available) +
                " of memory is available");
  }
}

// The run folder of a checkpoint file: RUN for RUN/last.safetensors and for
// RUN/checkpoints/step_N.safetensors.
std::string run_folder_of(const std::string& checkpoint_path) {
  fs::path folder = fs::path(checkpoint_path).parent_path();
  if (folder.filename() == "checkpoints") folder = folder.parent_path();
  return folder.empty() ? "." : folder.string();
}

}  // namespace

int run_train_command(const TrainCommand& command) {
  std::map<std::string, std::string> flags;
  for (const auto& [key, option] : command.options) {
    if (option->count() > 0) flags[key] = command.raw.at(key);
  }
  if (!command.resume.empty() && !command.trace.empty()) {
    throw Error("--trace records a run from its first step; it cannot be combined with --resume");
  }

  Checkpoint checkpoint;
  std::string checkpoint_path;
  TrainConfig config;
  if (!command.resume.empty()) {
    checkpoint_path = resolve_checkpoint_path(command.resume);
    checkpoint = load_checkpoint(checkpoint_path, nullptr);
    config = resolve_config(command.config_file, flags, &checkpoint.config);
    std::string differences;
    for (const auto& [key, value] : config.resolved.items()) {
      if (!key_may_change_on_resume(key) && checkpoint.config.contains(key) && checkpoint.config[key] != value) {
        differences += "\n  " + key + ": " + checkpoint.config[key].dump() + " in the checkpoint, " + value.dump() + " now";
      }
    }
    if (!differences.empty()) {
      throw Error("--resume " + checkpoint_path +
                  ": these keys differ from the run being resumed, which would change what the step computes "
                  "(start a new run instead):" + differences);
    }
  } else {
    config = resolve_config(command.config_file, flags);
  }

  const std::string note = choose_device(config);
  const Dataset dataset = load_dataset(config.data);
  check_data_against_config(config, dataset);
  if (!command.resume.empty() && (dataset.count != checkpoint.data_count || dataset.height != checkpoint.image_height ||
                                  dataset.width != checkpoint.image_width)) {
    throw Error("--resume " + checkpoint_path + ": the run was trained on " + std::to_string(checkpoint.data_count) +
                " images of " + std::to_string(checkpoint.image_height) + "x" + std::to_string(checkpoint.image_width) +
                ", but " + dataset.images_path + " holds " + std::to_string(dataset.count) + " of " +
                std::to_string(dataset.height) + "x" + std::to_string(dataset.width));
  }
  const ModelSpec spec = make_mlp_spec(config, dataset.height, dataset.width);
  check_memory(spec, config);
  std::unique_ptr<Trainer> trainer = make_trainer(config, spec, dataset);
  LoopStart start;
  if (!command.resume.empty()) {
    trainer->load_state(checkpoint.state);
    start = {checkpoint.position.step, checkpoint.position.noise_stream};
  }

  std::string root = config.out;
  if (root.empty()) root = command.resume.empty() ? default_run_folder(dataset) : run_folder_of(checkpoint_path);
  const RunFolder run = prepare_run_folder(root, config, dataset, !command.resume.empty());
  std::unique_ptr<TraceRecorder> trace;
  if (!command.trace.empty()) trace = std::make_unique<TraceRecorder>(command.trace, spec);

  LoopOutput output;
  output.out = stdout;
  output.interactive = isatty(fileno(stdout)) != 0;
  if (!note.empty()) std::printf("%s\n", note.c_str());
  if (!command.resume.empty()) std::printf("resuming %s at step %llu\n", checkpoint_path.c_str(),
                                           static_cast<unsigned long long>(start.step));
  Evaluator evaluate;
  std::shared_ptr<EvalData> eval_data;
  std::shared_ptr<Classifier> classifier;
  if (config.eval_every > 0) {
    eval_data = std::make_shared<EvalData>(load_eval_data(config.data));
    classifier = std::make_shared<Classifier>(load_or_train_classifier(*eval_data, "", stdout));
    evaluate = [&config, eval_data, classifier](Trainer& t) {
      EvalOptions options;
      options.n = config.eval_n;
      return evaluate_generator(t.spec(), t.state().generator.params, static_cast<float>(config.norm_mean),
                                static_cast<float>(config.norm_std), *eval_data, *classifier, options);
    };
  }
  install_interrupt_handlers();
  const TrainingOutcome outcome = run_training(config, dataset, *trainer, run, output, start, trace.get(), evaluate);
  return outcome.interrupted ? 128 + outcome.interrupted : 0;
}

}  // namespace gan
