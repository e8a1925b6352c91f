#pragma once
// defines: DeviceChoice, OnNan, ValueRule, violation, TrainConfig, ValueKind, ConfigKey,
// config_keys, resolve_config, key_may_change_on_resume, config_from_json, parse_step_range,
// flag_name, describe_default, image_options, model_choice, make_model_spec (from a config), step_options
//
// One table (config_keys) drives everything about configuration: the JSON file's keys, the
// command-line flags (--key-with-dashes), --help with defaults, type checks and range checks.
// Precedence: built-in defaults < --config FILE < flags.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cpu/cpu_gemm.h"
#include "cuda/gpu_api.h"
#include "data/dataset.h"
#include "model/model_spec.h"
#include "model/trainer_state.h"

namespace gan {

// The typed choices of a config: parsed once from their strings (config_from_json), compared as
// enums everywhere else. The strings stay in TrainConfig::resolved and config.json.
// (The GPU's choices are GpuModelOptions' own enums, cuda/gpu_api.h.)
enum class DeviceChoice { kAuto, kCpu, kCuda };
enum class OnNan { kStop, kRollback };  // a non-finite loss: stop, or roll back

enum class ValueKind { kInt, kFloat, kString, kIntList, kBool };

// What a key's value must be, as data: one of `choices` (a string key), a finite number in
// [min, max] (open at an end where marked), or what `custom` returns (lists, step ranges).
// `expected` is the message's words: "an integer in 1..65536".
struct ValueRule {
  std::vector<std::string> choices;
  double min = -HUGE_VAL, max = HUGE_VAL;
  bool min_open = false, max_open = false;
  std::string (*custom)(const nlohmann::json& value) = nullptr;
  std::string expected;
};

// "" when the value (of the key's type) keeps the rule, else what was expected.
std::string violation(const ValueRule& rule, const nlohmann::json& value);

struct ConfigKey {
  std::string key;          // JSON key, snake_case; the flag is --key-with-dashes
  ValueKind kind;
  nlohmann::json default_value;
  std::string help;
  ValueRule rule;
};

const std::vector<ConfigKey>& config_keys();

// The resolved, checked configuration of a training run. Field names match config_keys().
struct TrainConfig {
  ModelKind model = ModelKind::kMlp;
  std::vector<int64_t> dcgan_channels;  // [C0, C1]
  std::string data;
  int image_size = 28;  // image folders: the square size images are resized and cropped to
  int channels = 1;     // image folders: 1 (grey) or 3 (colour; refused until the models take it)
  std::string out;
  int64_t epochs = 0;
  int64_t steps = 0;  // 0: no cap; else stop when the run's step counter reaches this
  int64_t batch = 0;
  bool drop_last = false;
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0;
  double d_lr = 0;  // D's learning rate as given (0: discriminator_lr's default)
  double ema = 0;   // decay of G's weight average (0: none)
  bool spectral_norm = false;  // D's weights under spectral norm
  AugmentPolicy augment;       // DiffAugment's transforms (--augment)
  AdversarialLoss loss = AdversarialLoss::kBce;
  uint64_t seed = 0;
  DeviceChoice device = DeviceChoice::kAuto;
  int64_t threads = 0;  // 0: every core
  CpuGemm cpu_gemm = CpuGemm::kOneDnn;
  int64_t gpu = 0;
  bool graph = true;
  GpuModelOptions gpu_model;  // tf32, gpu_forward, gpu_batchnorm, gpu_branches, gpu_conv_algos
  uint64_t profile_first = 0, profile_last = 0;  // from "profile_steps" A:B; 0, 0 for none
  int64_t log_every = 0;
  int64_t sample_every = 0;  // 0: only at start and end
  int64_t checkpoint_every = 0;  // 0: only at the end
  int64_t keep_checkpoints = 0;  // numbered checkpoints kept besides last.safetensors
  int64_t eval_every = 0;        // 0: no evaluation during training
  int64_t eval_n = 0;            // generated images per evaluation during training
  OnNan on_nan = OnNan::kStop;
  int64_t max_rollbacks = 0;     // rollbacks allowed in one invocation before giving up
  bool conditional = false;
  int64_t classes = 0;  // with conditional: 0 until resolve_classes reads the data
  int64_t label_dim = 0;  // with conditional: the label tables' width (0: classes)
  bool projection = true;  // with conditional, the MLP: D's projection term beside cgan.py's tables
  int64_t latent_dim = 0;
  std::vector<int64_t> g_hidden;
  std::vector<int64_t> d_hidden;
  double slope = 0;
  double norm_mean = 0, norm_std = 0;

  nlohmann::json resolved;  // every key with its final value, as written to config.json
};

// flags: key -> raw string from the command line (already mapped from --key-with-dashes).
// config_file: "" for none. base: the values to start from instead of the defaults (a resumed
// run's config), or null. Throws gan::Error naming the key (and the file) on any problem.
TrainConfig resolve_config(const std::string& config_file, const std::map<std::string, std::string>& flags,
                           const nlohmann::json* base = nullptr);

// The keys a resumed run may change: how long it runs, how it reports, where it runs and
// reads. Every other key changes what the step computes.
bool key_may_change_on_resume(const std::string& key);

// Builds a TrainConfig from a complete JSON object (for example a run's config.json).
TrainConfig config_from_json(const nlohmann::json& object, const std::string& source);

// "A:B" with 1 <= A <= B -> true and *first = A, *last = B.
bool parse_step_range(const std::string& text, uint64_t* first, uint64_t* last);

std::string flag_name(const std::string& key);  // "log_every" -> "log-every"
std::string describe_default(const ConfigKey& key);

// How the run's image folder becomes images (--image-size, --channels), with a progress line.
inline ImageOptions image_options(const TrainConfig& config) { return {config.image_size, config.channels, true}; }

// What the config says about the model, and the model it names for images of this size.
ModelChoice model_choice(const TrainConfig& config);
ModelSpec make_model_spec(const TrainConfig& config, int64_t image_height, int64_t image_width);
ModelSpec make_mlp_spec(const TrainConfig& config, int64_t image_height, int64_t image_width);

// D's Adam learning rate: --d-lr, or by default --lr (10 x --lr for a conditional MLP).
double discriminator_lr(const TrainConfig& config);

// Writes the rate discriminator_lr chooses into config->d_lr and config->resolved, so that the
// run's config.json and checkpoints hold the rate it trained with, whatever a later default is.
void resolve_discriminator_lr(TrainConfig* config);

// The settings that define the step (seed, Adam, normalisation), as both trainers take them.
StepOptions step_options(const TrainConfig& config);

}  // namespace gan
