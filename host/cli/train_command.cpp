#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cpu/cpu_trainer.h"
#include "cuda/device.h"
#include "cuda/gpu_api.h"
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
    // A true/false key also works as a bare flag (--tf32 means --tf32 true): it takes 0 or 1
    // values, and its default goes into the help text (CLI11 would substitute a default_str for
    // the missing value).
    const bool boolean = key.kind == ValueKind::kBool;
    CLI::Option* option = train->add_option("--" + flag_name(key.key), command->raw[key.key],
                                            boolean ? key.help + " [default: " + describe_default(key) + "]" : key.help);
    if (boolean) {
      option->expected(0, 1);
    } else {
      option->default_str(describe_default(key));
    }
    switch (key.kind) {
      case ValueKind::kInt: option->type_name("INT"); break;
      case ValueKind::kFloat: option->type_name("FLOAT"); break;
      case ValueKind::kString: option->type_name("TEXT"); break;
      case ValueKind::kIntList: option->type_name("INT,INT,..."); break;
      case ValueKind::kBool: option->type_name("BOOL"); break;
    }
    command->options[key.key] = option;
  }
  // --no-graph, the shorthand for --graph false.
  train->add_flag("--no-graph", command->no_graph, "launch the GPU step's kernels eagerly (same as --graph false)");
  train->footer(
      "Every flag is also a key of the --config JSON file (flag --log-every is key \"log_every\").\n"
      "A run writes config.json, metrics.jsonl, samples/*.png and last.safetensors into its --out folder.");
}

namespace {

enum class Device { kCpu, kCuda };

// Decides where to train before anything is loaded, so a wrong --device or --gpu fails at once.
// *note says why, for the user ("" when the choice was explicit).
Device choose_device(const TrainConfig& config, std::string* note) {
  if (config.device == DeviceChoice::kCpu) return Device::kCpu;
  if (!built_with_cuda()) {
    if (config.device == DeviceChoice::kCuda) {
      throw InputError("--device cuda: this build of gan has no CUDA (it was configured without the CUDA toolkit; "
                       "see README: Build); use --device cpu");
    }
    *note = "this build has no CUDA: training on the CPU";
    return Device::kCpu;
  }
  if (config.model == ModelKind::kDcgan && !gpu_dcgan_available()) {
    if (config.device == DeviceChoice::kCuda) {
      throw InputError("--device cuda: --model dcgan needs cuDNN on the GPU, and this build has none (configure with "
                  "-DGAN_CUDNN_ROOT=<cuDNN 9 root>); use --device cpu");
    }
    *note = "--model dcgan trains on the CPU (this build has no cuDNN)";
    return Device::kCpu;
  }
  std::string why;
  const std::vector<GpuInfo> gpus = visible_gpus(&why);
  if (gpus.empty()) {
    if (config.device == DeviceChoice::kCuda) {
      throw InputError("--device cuda: no GPU visible (" + why + "); use --device cpu or auto");
    }
    *note = "no GPU visible (" + why + "): training on the CPU";
    return Device::kCpu;
  }
  if (config.gpu >= static_cast<int64_t>(gpus.size())) {
    throw InputError("--gpu " + std::to_string(config.gpu) + ": only " + std::to_string(gpus.size()) +
                " GPU(s) visible (0.." + std::to_string(gpus.size() - 1) + ")");
  }
  if (config.device == DeviceChoice::kAuto) *note = "GPU visible: training on GPU " + std::to_string(config.gpu) + " (" +
                                       gpus[static_cast<size_t>(config.gpu)].name + ")";
  return Device::kCuda;
}

std::unique_ptr<Trainer> make_trainer(const TrainConfig& config, const ModelSpec& spec, const Dataset& dataset,
                                      Device device) {
  const StepOptions step = step_options(config);
  if (device == Device::kCuda) {
    GpuTrainerOptions options;
    static_cast<StepOptions&>(options) = step;
    options.gpu = static_cast<int>(config.gpu);
    options.max_batch = config.batch;
    options.graph = config.graph;
    static_cast<GpuModelOptions&>(options) = config.gpu_model;
    options.profile_first = config.profile_first;
    options.profile_last = config.profile_last;
    return make_gpu_trainer(spec, dataset, options);
  }
  CpuTrainerOptions options;
  static_cast<StepOptions&>(options) = step;
  options.threads = static_cast<int>(config.threads);
  options.gemm = config.cpu_gemm;
  return std::make_unique<CpuTrainer>(spec, dataset, options);
}

void check_data_against_config(const TrainConfig& config, const Dataset& dataset) {
  if (dataset.channels != config.channels) {
    throw InputError("key 'channels': " + std::to_string(config.channels) + ", but " + dataset.images_path + " holds " +
                     (dataset.channels == 1 ? "grey" : "colour") + " images (--channels chooses for image folders only)");
  }
  if (config.batch > dataset.count) {
    throw InputError("key 'batch': " + std::to_string(config.batch) + " is larger than the dataset (" +
                std::to_string(dataset.count) + " images in " + dataset.images_path + ")");
  }
}

// Refuses, before anything is allocated, a model and batch that cannot fit where they will train:
// host memory on the CPU, the chosen GPU's memory (with the data set, which stays resident there)
// on the GPU. The GPU trainer's arena checks its exact size again against the memory free then.
void check_memory(const ModelSpec& spec, const TrainConfig& config, const Dataset& dataset, Device device) {
  double needed = training_memory_bytes(spec, config.batch);
  double available = 0;
  std::string where;
  if (device == Device::kCuda) {
    const GpuInfo gpu = visible_gpus().at(static_cast<size_t>(config.gpu));
    needed += static_cast<double>(dataset.count) * static_cast<double>(dataset.pixels_per_image());
    available = static_cast<double>(gpu.memory_bytes);
    where = " of memory on GPU " + std::to_string(config.gpu) + " (" + gpu.name + ")";
  } else {
    available = available_memory_bytes();
    where = " of memory";
  }
  if (needed > 0.9 * available) {
    throw InputError("keys latent_dim, g_hidden, d_hidden, batch: this model needs about " + format_bytes(needed) +
                " to train (" + std::to_string(spec.generator.real_parameter_count() + spec.discriminator.real_parameter_count()) +
                " parameters, batch " + std::to_string(config.batch) + "), but only " + format_bytes(available) +
                where + " is available");
  }
}

// With --conditional and the key at 0: the number of classes from the data, written back into
// config->resolved so that the run's config.json and checkpoints hold it. The trainers check the
// labels against it (check_dataset_labels: none found, or one too large, names the data).
void resolve_classes(TrainConfig* config, const Dataset& dataset) {
  if (!config->conditional || config->classes != 0) return;
  config->classes = std::max<int64_t>(dataset_classes(dataset), 2);
  config->resolved["classes"] = config->classes;
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
  for (const ConfigKey& key : config_keys()) {
    if (key.kind == ValueKind::kBool && flags.count(key.key) && flags[key.key].empty()) flags[key.key] = "true";
  }
  if (command.no_graph) {
    if (flags.count("graph") && flags["graph"] != "false") throw InputError("--no-graph contradicts --graph " + flags["graph"]);
    flags["graph"] = "false";
  }
  if (!command.resume.empty() && !command.trace.empty()) {
    throw InputError("--trace records a run from its first step; it cannot be combined with --resume");
  }

  Checkpoint checkpoint;
  std::string checkpoint_path;
  TrainConfig config;
  if (!command.resume.empty()) {
    checkpoint_path = resolve_checkpoint_path(command.resume);
    checkpoint = load_checkpoint(checkpoint_path, nullptr);
    config = resolve_config(command.config_file, flags, &checkpoint.config);
    resolve_discriminator_lr(&config);  // before the comparison: --d-lr 0 means the rate recorded
    std::string differences;
    for (const auto& [key, value] : config.resolved.items()) {
      if (!key_may_change_on_resume(key) && checkpoint.config.contains(key) && checkpoint.config[key] != value) {
        differences += "\n  " + key + ": " + checkpoint.config[key].dump() + " in the checkpoint, " + value.dump() + " now";
      }
    }
    if (!differences.empty()) {
      throw InputError("--resume " + checkpoint_path +
                  ": these keys differ from the run being resumed, which would change what the step computes "
                  "(start a new run instead):" + differences);
    }
  } else {
    config = resolve_config(command.config_file, flags);
    resolve_discriminator_lr(&config);
  }

  std::string note;
  Device device = choose_device(config, &note);
  const Dataset dataset = load_dataset(config.data, "train", image_options(config));
  check_data_against_config(config, dataset);
  resolve_classes(&config, dataset);
  if (!command.resume.empty() && (dataset.count != checkpoint.data_count || dataset.height != checkpoint.image_height ||
                                  dataset.width != checkpoint.image_width)) {
    throw InputError("--resume " + checkpoint_path + ": the run was trained on " + std::to_string(checkpoint.data_count) +
                " images of " + std::to_string(checkpoint.image_height) + "x" + std::to_string(checkpoint.image_width) +
                ", but " + dataset.images_path + " holds " + std::to_string(dataset.count) + " of " +
                std::to_string(dataset.height) + "x" + std::to_string(dataset.width));
  }
  const ModelSpec spec = make_model_spec(config, dataset.height, dataset.width);
  if (device == Device::kCuda && config.device == DeviceChoice::kAuto && spec.kind == ModelKind::kDcgan &&
      spec.dcgan.canonical()) {
    // Its GPU passes are written and tested against the CPU in the GPU tests, but have not run
    // on a card yet: the CPU until a device run shows them right; --device cuda tries them.
    device = Device::kCpu;
    note = "the " + std::to_string(spec.image_height) + "x" + std::to_string(spec.image_width) +
           " DCGAN trains on the CPU by default (its GPU passes have not run on a card yet; --device cuda tries them)";
  }
  check_memory(spec, config, dataset, device);
  std::unique_ptr<Trainer> trainer = make_trainer(config, spec, dataset, device);
  LoopStart start;
  if (!command.resume.empty()) {
    trainer->load_state(checkpoint.state);
    start = {checkpoint.position.step, checkpoint.position.noise_stream};
  }

  std::string root = config.out;
  if (root.empty()) root = command.resume.empty() ? default_run_folder(dataset) : run_folder_of(checkpoint_path);
  const RunFolder run = prepare_run_folder(root, config, dataset, !command.resume.empty());
  std::unique_ptr<TraceRecorder> trace;
  if (!command.trace.empty()) trace = std::make_unique<TraceRecorder>(command.trace, spec, step_options(config));

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
    eval_data = std::make_shared<EvalData>(load_eval_data(config.data, image_options(config)));
    classifier = std::make_shared<Classifier>(load_or_train_classifier(*eval_data, "", stdout));
    evaluate = [&config, eval_data, classifier](Trainer& t) {
      EvalOptions options;
      options.n = config.eval_n;
      nlohmann::json report = evaluate_generator(t.spec(), sampling_generator(t.state()),
                                                 static_cast<float>(config.norm_mean),
                                                 static_cast<float>(config.norm_std), *eval_data, *classifier, options);
      report["weights"] = config.ema > 0 ? "ema" : "live";
      return report;
    };
  }
  install_interrupt_handlers();
  const TrainingOutcome outcome = run_training(config, dataset, *trainer, run, output, start, trace.get(), evaluate);
  return outcome.interrupted ? 128 + outcome.interrupted : 0;
}

}  // namespace gan
