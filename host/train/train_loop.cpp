#include "train/train_loop.h"

#include "cpu/generate.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "cpu/generate.h"
#include "io/png.h"
#include "model/class_grid.h"
#include "io/safetensors.h"
#include "model/random_streams.h"
#include "train/checkpoint.h"
#include "train/interrupt.h"
#include "train/progress.h"
#include "train/schedule.h"
#include "util/error.h"
#include "util/files.h"

namespace gan {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kGridColumns = 8;
constexpr int64_t kGridImages = 64;  // an 8 x 8 grid

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A JSON number, or null where the value is not finite (JSON has no NaN).
json number(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

std::string step_name(const char* prefix, uint64_t step, const char* suffix) {
  char name[64];
  std::snprintf(name, sizeof name, "%s%08llu%s", prefix, static_cast<unsigned long long>(step), suffix);
  return name;
}

class MetricsWriter {
 public:
  explicit MetricsWriter(const std::string& path) : path_(path), stream_(path, std::ios::app) {
    if (!stream_) throw IoError(path + ": cannot open for appending");
  }
  void write(const json& record) {
    stream_ << record.dump() << '\n';
    stream_.flush();
    if (!stream_) throw IoError(path_ + ": write failed (disk full?)");
  }

 private:
  std::string path_;
  std::ofstream stream_;
};

// A conditional model's grid has one row per class (the first kMaxGridClasses), each row with
// the same kGridColumns noises: the first rows of the fixed noise.
constexpr int64_t kMaxGridClasses = 32;

void write_sample_grid(Trainer& trainer, const RunFolder& run, const std::vector<float>& fixed_noise, uint64_t step,
                       const TrainConfig& config) {
  const ModelSpec& spec = trainer.spec();
  int64_t count = kGridImages;
  const float* z = fixed_noise.data();
  ClassGrid by_class;
  if (spec.conditional()) {
    std::vector<int32_t> classes(static_cast<size_t>(std::min(spec.classes, kMaxGridClasses)));
    for (size_t c = 0; c < classes.size(); ++c) classes[c] = static_cast<int32_t>(c);
    by_class = class_grid(classes, fixed_noise.data(), kGridColumns, spec.latent_dim);
    count = static_cast<int64_t>(by_class.labels.size());
    z = by_class.z.data();
  }
  std::vector<float> images(static_cast<size_t>(count * spec.image_size()));
  const int32_t* labels = spec.conditional() ? by_class.labels.data() : nullptr;
  if (config.ema > 0) {  // the grids show G's average (on the CPU: the state is copied back anyway)
    generate_images(spec, sampling_generator(trainer.state()), z, labels, count, images.data());
  } else {
    trainer.generate(z, labels, count, images.data());
  }
  const Grid grid = image_grid(images.data(), count, static_cast<int>(spec.image_height),
                               static_cast<int>(spec.image_width), kGridColumns, 2, static_cast<float>(config.norm_mean),
                               static_cast<float>(config.norm_std), static_cast<int>(spec.channels));
  write_png_grid((fs::path(run.samples) / step_name("step_", step, ".png")).string(), grid);
}

bool all_finite(const std::vector<float>& values) {
  for (float v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

bool state_is_finite(const TrainerState& state) {
  for (const NetworkState* n : {&state.generator, &state.discriminator}) {
    if (!all_finite(n->params) || !all_finite(n->exp_avg) || !all_finite(n->exp_avg_sq) || !all_finite(n->buffers)) {
      return false;  // the running statistics too: a NaN there would only show when sampling
    }
  }
  return all_finite(state.generator_ema);
}

// Writes last.safetensors (and a numbered copy when keep_checkpoints > 0) of `state` after
// `step`. The caller has checked that the state is finite: no poisoned checkpoint is written.
void write_checkpoints(const TrainerState& state, const ModelSpec& spec, const RunFolder& run,
                       const TrainConfig& config, const Dataset& dataset, const Schedule& schedule, uint64_t step,
                       uint32_t noise_stream) {
  if (!state_is_finite(state)) throw InternalError("a checkpoint of non-finite values was about to be written");
  Checkpoint checkpoint;
  checkpoint.state = state;
  const StepPosition next = schedule.position(step + 1);
  checkpoint.position = {step, next.epoch, next.offset, noise_stream};
  checkpoint.config = config.resolved;
  checkpoint.data_count = dataset.count;
  checkpoint.image_height = dataset.height;
  checkpoint.image_width = dataset.width;
  save_checkpoint(run.last_checkpoint, spec, checkpoint);
  if (config.keep_checkpoints <= 0) return;
  ensure_directory(run.checkpoints);
  save_checkpoint((fs::path(run.checkpoints) / step_name("step_", step, ".safetensors")).string(), spec, checkpoint);
  // Keep the newest K numbered checkpoints (the zero-padded names sort by step).
  std::vector<fs::path> numbered;
  for (const auto& entry : fs::directory_iterator(run.checkpoints)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step_", 0) == 0 && entry.path().extension() == ".safetensors") numbered.push_back(entry.path());
  }
  std::sort(numbered.begin(), numbered.end());
  for (size_t i = 0; i + static_cast<size_t>(config.keep_checkpoints) < numbered.size(); ++i) {
    std::error_code ec;
    fs::remove(numbered[i], ec);  // an old copy that will not go is left, not fatal
  }
}

std::string signal_name(int signal_number) {
  return signal_number == SIGINT ? "SIGINT" : signal_number == SIGTERM ? "SIGTERM" : std::to_string(signal_number);
}

// The steps and images since the last log line, for its rate and ETA.
struct RateWindow {
  std::chrono::steady_clock::time_point start;
  uint64_t first_step = 0;
  int64_t images = 0;
  void restart(uint64_t step) {
    start = std::chrono::steady_clock::now();
    first_step = step;
    images = 0;
  }
};

// One log line: metrics.jsonl and the progress line, with the window's rate; restarts the window.
void log_step(const StepStats& stats, const StepPosition& at, int64_t total, int64_t last_epoch, double elapsed_s,
              RateWindow& window, MetricsWriter& metrics, ProgressPrinter& progress) {
  const double window_seconds = seconds_since(window.start);
  const double steps_in_window = static_cast<double>(at.step - window.first_step);
  const double ms_per_step = 1000.0 * window_seconds / std::max(steps_in_window, 1.0);
  const double images_per_second = static_cast<double>(window.images) / std::max(window_seconds, 1e-9);
  const double eta = static_cast<double>(total - static_cast<int64_t>(at.step)) * ms_per_step / 1000.0;
  metrics.write({{"step", at.step}, {"epoch", at.epoch}, {"d_loss", number(stats.d_loss)},
                 {"g_loss", number(stats.g_loss)}, {"d_real", number(stats.d_real)}, {"d_fake", number(stats.d_fake)},
                 {"d_fake_g", number(stats.d_fake_g)}, {"images_per_s", images_per_second},
                 {"ms_per_step", ms_per_step}, {"elapsed_s", elapsed_s}});
  progress.report(stats, at.epoch, last_epoch, total, images_per_second, eta);
  window.restart(at.step);
}

// An evaluation's numbers: an "eval" event in metrics.jsonl and a line of their summary. The
// class-based numbers are there only when a domain classifier measured (labelled data).
void log_eval(const json& report, const StepPosition& at, MetricsWriter& metrics, ProgressPrinter& progress) {
  json record = {{"event", "eval"}, {"step", at.step}, {"epoch", at.epoch}};
  for (const char* key : {"n", "fd", "fd_real_floor", "classifier_score", "classes_above_1pct", "class_kl",
                          "precision", "recall", "network_task", "weights"}) {
    if (report.contains(key)) record[key] = report[key];
  }
  metrics.write(record);
  char score[48] = "";
  if (report.contains("classifier_score")) {
    std::snprintf(score, sizeof score, ", classifier score %.2f", report["classifier_score"].get<double>());
  }
  char line[240];
  std::snprintf(line, sizeof line, "eval at step %llu: FD %.2f (real floor %.2f)%s, precision %.3f, recall %.3f",
                static_cast<unsigned long long>(at.step), report["fd"].get<double>(), report["fd_real_floor"].get<double>(),
                score, report["precision"].get<double>(), report["recall"].get<double>());
  progress.message(line);
}

// Why a run with non-finite values stops, and what the user can do.
std::string nonfinite_stop_message(const std::string& what, const TrainConfig& config, int64_t rollbacks,
                                   bool have_checkpoint, const RunFolder& run) {
  std::string advice;
  if (config.on_nan == OnNan::kRollback) {
    advice = have_checkpoint ? " after " + std::to_string(rollbacks) + " rollback(s) (--max-rollbacks)"
                             : " with no checkpoint to roll back to";
  } else {
    advice = "; --on-nan rollback would return to the last checkpoint with fresh noise";
  }
  return what + ": the run stops" + advice + ". No checkpoint was written with them" +
         (have_checkpoint ? "; the last good one is " + run.last_checkpoint : std::string()) + ".";
}

}  // namespace

std::string default_run_folder(const Dataset& dataset) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  return (fs::path("runs") / (dataset.name + "-" + stamp)).string();
}

RunFolder prepare_run_folder(const std::string& root, const TrainConfig& config, const Dataset& dataset, bool resuming) {
  RunFolder run;
  run.root = root;
  run.config_json = (fs::path(root) / "config.json").string();
  run.metrics_jsonl = (fs::path(root) / "metrics.jsonl").string();
  run.samples = (fs::path(root) / "samples").string();
  run.last_checkpoint = (fs::path(root) / "last.safetensors").string();
  run.checkpoints = (fs::path(root) / "checkpoints").string();
  std::error_code ec;
  if (!resuming) {
    for (const std::string& existing : {run.config_json, run.metrics_jsonl, run.last_checkpoint}) {
      if (fs::exists(existing, ec)) {
        throw InputError(root + ": already holds a run (" + existing +
                    " exists); choose another --out, continue it with --resume " + root + ", or remove it");
      }
    }
  }
  ensure_directory(root);
  ensure_directory(run.samples);
  json resolved = config.resolved;
  resolved["out"] = root;
  json record = {{"config", resolved},
                 {"data", {{"images", dataset.images_path}, {"labels", dataset.labels_path}, {"count", dataset.count},
                           {"height", dataset.height}, {"width", dataset.width}}}};
  write_file_atomically(run.config_json, record.dump(2) + "\n");
  return run;
}

TrainingOutcome run_training(const TrainConfig& config, const Dataset& dataset, Trainer& trainer, const RunFolder& run,
                             const LoopOutput& output, const LoopStart& begin, TraceRecorder* trace,
                             const Evaluator& evaluate) {
  Schedule schedule;
  schedule.dataset_size = dataset.count;
  schedule.batch = config.batch;
  schedule.drop_last = config.drop_last;
  schedule.epochs = config.epochs;
  schedule.step_cap = config.steps;
  const int64_t total = schedule.total_steps();
  const ModelSpec& spec = trainer.spec();
  TrainingOutcome outcome;
  outcome.step = begin.step;

  // The fixed noise behind every grid of the run, kept in the run so the grids can be redrawn.
  std::vector<float> fixed_noise(static_cast<size_t>(kGridImages * spec.latent_dim));
  fill_normal(config.seed, RandomPurpose::kFixedSamples, 0, fixed_noise.data(), static_cast<int64_t>(fixed_noise.size()));
  write_safetensors((fs::path(run.samples) / "fixed_noise.safetensors").string(),
                    {{"z", {kGridImages, spec.latent_dim}, fixed_noise.data()}}, {{"seed", std::to_string(config.seed)}});

  ProgressPrinter progress(output.out, output.interactive);
  if (static_cast<int64_t>(begin.step) >= total) {
    progress.message("nothing to do: the run is at step " + std::to_string(begin.step) + " of " + std::to_string(total) +
                     " (raise --steps or --epochs to continue it)");
    return outcome;
  }
  progress.message("training on " + trainer.description() + ": " + std::to_string(dataset.count) + " images of " +
                   std::to_string(dataset.height) + "x" + std::to_string(dataset.width) + " from " + dataset.images_path +
                   ", " + std::to_string(schedule.steps_per_epoch()) + " steps per epoch, steps " +
                   std::to_string(begin.step + 1) + ".." + std::to_string(total) + "; run folder " + run.root);
  if (discriminator_lr(config) != config.lr) {
    char rates[96];
    std::snprintf(rates, sizeof rates, "Adam learning rates: G %g, D %g", config.lr, discriminator_lr(config));
    progress.message(rates);
  }
  if (config.ema > 0) {
    char average[160];
    std::snprintf(average, sizeof average,
                  "G's weights averaged (--ema %g, warm-up min(%g, (1+t)/(10+t))): samples and evaluations use the average",
                  config.ema, config.ema);
    progress.message(average);
  }

  MetricsWriter metrics(run.metrics_jsonl);
  uint64_t step = begin.step;
  uint32_t noise_stream = begin.noise_stream;
  if (step == 0) write_sample_grid(trainer, run, fixed_noise, 0, config);
  // With rollback on, the starting point is saved first, so there is always somewhere to go back
  // to, and never a last.safetensors from beyond it (a run resumed from an older numbered
  // checkpoint).
  if (config.on_nan == OnNan::kRollback) {
    const TrainerState initial = trainer.state();
    if (!state_is_finite(initial)) {
      throw InputError("--on-nan rollback: the starting state holds non-finite values, so there is nothing to roll "
                       "back to");
    }
    write_checkpoints(initial, trainer.spec(), run, config, dataset, schedule, step, noise_stream);
  }
  if (trace) trace->record_init(trainer.state());
  int64_t rollbacks = 0;

  const auto start = std::chrono::steady_clock::now();
  RateWindow window;
  window.restart(step);
  while (static_cast<int64_t>(step) < total) {
    ++step;
    StepPosition at = schedule.position(step);
    at.noise_stream = noise_stream;
    trainer.train_step(at);
    window.images += at.batch;
    const bool last = static_cast<int64_t>(step) == total;
    // Read once per step: a signal that arrives later is acted on after the next step.
    const int interrupted = pending_interrupt();
    const bool checkpoint_due =
        (config.checkpoint_every > 0 && step % static_cast<uint64_t>(config.checkpoint_every) == 0) || last ||
        interrupted != 0;

    uint64_t bad_step = trainer.first_nonfinite_step();
    TrainerState saved;  // at a checkpoint: read once, checked here, written below
    if (bad_step == 0 && checkpoint_due) {
      saved = trainer.state();
      if (!state_is_finite(saved)) bad_step = step;
    }
    // A GPU trainer learns of non-finite losses at its read-backs, state() among them: ask again
    // before a checkpoint, so none is written after a bad step.
    if (bad_step == 0 && checkpoint_due) bad_step = trainer.first_nonfinite_step();
    if (bad_step != 0) {
      const StepStats stats = trainer.last_stats();
      const std::string what = "step " + std::to_string(bad_step) + ": non-finite values (d_loss " +
                               std::to_string(stats.d_loss) + ", g_loss " + std::to_string(stats.g_loss) + ")";
      std::error_code ec;
      const bool have_checkpoint = fs::exists(run.last_checkpoint, ec);
      if (config.on_nan == OnNan::kRollback && rollbacks < config.max_rollbacks && have_checkpoint) {
        const Checkpoint good = load_checkpoint(run.last_checkpoint, nullptr);
        trainer.load_state(good.state);
        noise_stream = std::max(noise_stream, good.position.noise_stream) + 1;
        ++rollbacks;
        progress.message(what + "; rolled back to " + run.last_checkpoint + " (step " +
                         std::to_string(good.position.step) + "), continuing with noise stream " +
                         std::to_string(noise_stream) + " (rollback " + std::to_string(rollbacks) + " of " +
                         std::to_string(config.max_rollbacks) + ")");
        metrics.write({{"event", "rollback"}, {"bad_step", bad_step}, {"to_step", good.position.step},
                       {"noise_stream", noise_stream}});
        step = good.position.step;
        window.restart(step);
        continue;
      }
      progress.finish();
      throw InputError(nonfinite_stop_message(what, config, rollbacks, have_checkpoint, run));
    }

    if (trace) trace->record_step(step, trainer.last_step_trace(step == 1), trainer.last_stats());
    if (step % static_cast<uint64_t>(config.log_every) == 0 || last) {
      log_step(trainer.last_stats(), at, total, schedule.last_epoch(), seconds_since(start), window, metrics,
               progress);
    }
    if ((config.sample_every > 0 && step % static_cast<uint64_t>(config.sample_every) == 0) || last) {
      write_sample_grid(trainer, run, fixed_noise, step, config);
    }
    if (evaluate && config.eval_every > 0 && (step % static_cast<uint64_t>(config.eval_every) == 0 || last)) {
      log_eval(evaluate(trainer), at, metrics, progress);
    }
    if (checkpoint_due) write_checkpoints(saved, trainer.spec(), run, config, dataset, schedule, step, noise_stream);
    outcome.step = step;
    if (interrupted != 0) {
      progress.finish();
      progress.message("interrupted by " + signal_name(interrupted) + " after step " + std::to_string(step) +
                       ": checkpoint " + run.last_checkpoint + " written; continue with: gan train --resume " +
                       run.root);
      outcome.interrupted = interrupted;
      return outcome;
    }
  }
  progress.finish();
  if (trace) {
    trace->finish(trainer.state());
    progress.message("parity trace of " + std::to_string(step - begin.step) + " steps in " + trace->path());
  }
  progress.message("done: step " + std::to_string(step) + " in " + format_duration(seconds_since(start)) +
                   "; checkpoint " + run.last_checkpoint + ", metrics " + run.metrics_jsonl + ", grids in " + run.samples);
  return outcome;
}

}  // namespace gan
