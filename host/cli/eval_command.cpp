// gan eval: quality numbers of a checkpoint's generator against real data (see eval/evaluate.h).
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "train/config.h"
#include "eval/evaluate.h"
#include "train/checkpoint.h"
#include "util/error.h"
#include "util/files.h"

namespace gan {

namespace fs = std::filesystem;

void add_eval_command(CLI::App& app, EvalCommand* command) {
  CLI::App* eval = app.add_subcommand("eval", "Quality numbers of a checkpoint: Frechet distance, precision/recall, "
                                               "copy check; with labelled data classifier score and class histogram");
  eval->add_option("--checkpoint", command->checkpoint, "a checkpoint file, or a run folder (its last.safetensors)")
      ->required()
      ->type_name("FILE|RUN");
  eval->add_option("--data", command->data, "real data (default: the data the run trained on)")->type_name("DIR");
  eval->add_option("--n", command->n, "generated images, and real images per real set")
      ->default_val(10000)
      ->check(CLI::Range(2, 1000000));
  eval->add_option("--seed", command->seed, "seed of the generator's noise")->default_val(0);
  eval->add_option("--out", command->out, "JSON report (default: RUN/eval_step_N.json beside the checkpoint)")
      ->type_name("FILE");
  eval->add_option("--cache-dir", command->cache_dir,
                   "where the evaluation network is cached (default: $GAN_CACHE_DIR, $XDG_CACHE_HOME/gan or ~/.cache/gan)")
      ->type_name("DIR");
  eval->add_flag("--live-weights", command->live_weights, "G's own weights, even where the checkpoint holds their average (a run with --ema): by default the average");
}

int run_eval_command(const EvalCommand& command) {
  const std::string path = resolve_checkpoint_path(command.checkpoint);
  ModelSpec spec;
  const Checkpoint checkpoint = load_checkpoint(path, &spec);
  const TrainConfig config = config_from_json(checkpoint.config, path + " (its config)");
  const std::string data_path = command.data.empty() ? config.data : command.data;
  const EvalData data = load_eval_data(data_path, image_options(config));
  check_generator_shape(spec, data.train.channels, data.train.height, data.train.width, data_path);
  const Classifier classifier = load_or_train_classifier(data, command.cache_dir, stdout);
  EvalOptions options;
  options.n = command.n;
  options.seed = command.seed;
  const NetworkState generator = command.live_weights ? checkpoint.state.generator : sampling_generator(checkpoint.state);
  const std::string weights = command.live_weights ? "G's weights" : sampling_weights_name(checkpoint.state);
  std::printf("evaluating %s (step %llu, %s) on %s ...\n", path.c_str(),
              static_cast<unsigned long long>(checkpoint.position.step), weights.c_str(), data_path.c_str());
  std::fflush(stdout);
  nlohmann::json report = evaluate_generator(spec, generator,
                                             static_cast<float>(config.norm_mean), static_cast<float>(config.norm_std),
                                             data, classifier, options);
  report["checkpoint"] = path;
  report["step"] = checkpoint.position.step;
  report["weights"] = checkpoint.state.generator_ema.empty() || command.live_weights ? "live" : "ema";
  print_eval_table(report, stdout);
  std::string out = command.out;
  if (out.empty()) {
    char name[64];
    std::snprintf(name, sizeof name, "eval_step_%08llu.json", static_cast<unsigned long long>(checkpoint.position.step));
    out = (fs::path(path).parent_path() / name).string();
  }
  write_file_atomically(out, report.dump(2) + "\n");
  std::printf("report: %s\n", out.c_str());
  return 0;
}

}  // namespace gan
