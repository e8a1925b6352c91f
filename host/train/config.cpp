#include "train/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/error.h"
#include "util/files.h"

namespace gan {

using nlohmann::json;

bool parse_step_range(const std::string& text, uint64_t* first, uint64_t* last) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
  if (a.find_first_not_of("0123456789") != std::string::npos || b.find_first_not_of("0123456789") != std::string::npos ||
      a.size() > 18 || b.size() > 18) {
    return false;
  }
  const uint64_t x = std::stoull(a), y = std::stoull(b);
  if (x < 1 || y < x) return false;
  *first = x;
  *last = y;
  return true;
}

namespace {

std::string positive_int(const json& v) { return v.get<int64_t>() >= 1 ? "" : "an integer >= 1"; }
std::string non_negative_int(const json& v) { return v.get<int64_t>() >= 0 ? "" : "an integer >= 0"; }
std::string any_value(const json&) { return ""; }
std::string non_empty_string(const json& v) { return v.get<std::string>().empty() ? "a non-empty string" : ""; }
std::string positive_float(const json& v) {
  const double x = v.get<double>();
  return std::isfinite(x) && x > 0 ? "" : "a finite number > 0";
}
std::string open_unit_float(const json& v) {
  const double x = v.get<double>();
  return std::isfinite(x) && x >= 0 && x < 1 ? "" : "a number in [0, 1)";
}
std::string non_negative_float(const json& v) {
  const double x = v.get<double>();
  return std::isfinite(x) && x >= 0 ? "" : "a finite number >= 0";
}
std::string finite_float(const json& v) { return std::isfinite(v.get<double>()) ? "" : "a finite number"; }
std::string slope_float(const json& v) {
  const double x = v.get<double>();
  // The backward pass reads the sign of LeakyReLU's output, which needs slope > 0.
  return std::isfinite(x) && x > 0 && x < 1 ? "" : "a number in (0, 1)";
}
std::string device_choice(const json& v) {
  const auto s = v.get<std::string>();
  return (s == "auto" || s == "cpu" || s == "cuda") ? "" : "one of auto, cpu, cuda";
}
std::string eval_n_value(const json& v) {
  const auto x = v.get<int64_t>();
  return x >= 2 && x <= 1000000 ? "" : "an integer in 2..1000000";
}
std::string on_nan_choice(const json& v) {
  const auto s = v.get<std::string>();
  return (s == "stop" || s == "rollback") ? "" : "one of stop, rollback";
}
std::string forward_choice(const json& v) {
  const auto s = v.get<std::string>();
  return (s == "cublas" || s == "fused") ? "" : "one of cublas, fused";
}
std::string batch_norm_choice(const json& v) {
  const auto s = v.get<std::string>();
  return (s == "cudnn" || s == "fused") ? "" : "one of cudnn, fused";
}
std::string conv_algos_choice(const json& v) {
  const auto s = v.get<std::string>();
  return (s == "heuristic" || s == "timed" || s == "timed-any") ? "" : "one of heuristic, timed, timed-any";
}
std::string gpu_index(const json& v) {
  const auto x = v.get<int64_t>();
  return x >= 0 && x <= 1023 ? "" : "an integer in 0..1023";
}
std::string profile_range(const json& v) {
  const auto s = v.get<std::string>();
  if (s.empty()) return "";
  uint64_t first = 0, last = 0;
  return parse_step_range(s, &first, &last) ? "" : "empty, or A:B with 1 <= A <= B (steps)";
}
std::string model_choice(const json& v) {
  const auto s = v.get<std::string>();
  return (s == "mlp" || s == "dcgan") ? "" : "one of mlp, dcgan";
}
std::string two_channels(const json& v) {
  if (v.size() != 1 && v.size() != 2) return "two channel counts [C0, C1] (28x28), or the base width (32x32, 64x64)";
  for (const auto& c : v) {
    if (c.get<int64_t>() < 1 || c.get<int64_t>() > 4096) return "two channel counts, each in 1..4096";
  }
  return "";
}
std::string width_list(const json& v) {
  if (v.empty()) return "a non-empty list of layer widths";
  for (const auto& w : v) {
    if (w.get<int64_t>() < 1 || w.get<int64_t>() > 65536) return "a list of widths, each in 1..65536";
  }
  return "";
}
std::string classes_value(const json& v) {
  const auto x = v.get<int64_t>();
  return x == 0 || (x >= 2 && x <= 10000) ? "" : "0 (the data's) or an integer in 2..10000";
}
std::string label_dim_value(const json& v) {
  const auto x = v.get<int64_t>();
  return x >= 0 && x <= 65536 ? "" : "an integer in 0..65536 (0: the number of classes)";
}
std::string image_size_value(const json& v) {
  const auto x = v.get<int64_t>();
  return x >= 4 && x <= 1024 ? "" : "an integer in 4..1024";
}
std::string channels_value(const json& v) {
  const auto x = v.get<int64_t>();
  return x == 1 || x == 3 ? "" : "1 (grey) or 3 (colour)";
}
std::string seed_value(const json& v) { return v.get<int64_t>() >= 0 ? "" : "an integer >= 0"; }
std::string latent_value(const json& v) {
  const auto x = v.get<int64_t>();
  return x >= 1 && x <= 65536 ? "" : "an integer in 1..65536";
}
std::string batch_value(const json& v) {
  const auto x = v.get<int64_t>();
  // The upper bound keeps activations of one step well inside memory; the real check against
  // the dataset size happens once the data is loaded.
  return x >= 1 && x <= (1 << 20) ? "" : "an integer in 1..1048576";
}
std::string threads_value(const json& v) {
  const auto x = v.get<int64_t>();
  return x >= 0 && x <= 1024 ? "" : "an integer in 0..1024 (0: every core)";
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      {"model", ValueKind::kString, "mlp", "model: mlp (the seed's fully connected GAN) or dcgan (its convolutional GAN, 28x28; cuDNN on the GPU)", model_choice},
      {"dcgan_channels", ValueKind::kIntList, json::array({128, 64}), "DCGAN channels: at 28x28 G's projection and D's second conv, then the middle layer; at 32x32 and 64x64 the base width ngf = ndf (the list's last value)", two_channels},
      {"data", ValueKind::kString, "data/mnist", "folder of IDX files (MNIST names), an images file, or a folder of PNG/JPEG images (subfolders: classes)", non_empty_string},
      {"image_size", ValueKind::kInt, 28, "image folders: each image's shorter side resized to this, then centre-cropped square (IDX data keeps its own size)", image_size_value},
      {"channels", ValueKind::kInt, 1, "image folders: 1 (grey; colour images are converted) or 3 (RGB, stored as channel planes)", channels_value},
      {"out", ValueKind::kString, "", "run folder (default: runs/<data name>-<date>-<time>)", any_value},
      {"epochs", ValueKind::kInt, 200, "epochs (passes over the data)", positive_int},
      {"steps", ValueKind::kInt, 0, "stop when the run's step counter reaches N (0: no cap)", non_negative_int},
      {"batch", ValueKind::kInt, 128, "images per batch", batch_value},
      {"drop_last", ValueKind::kBool, false, "drop each epoch's last, smaller batch", any_value},
      {"lr", ValueKind::kFloat, 2e-4, "Adam learning rate of G, and of D unless --d-lr says otherwise", positive_float},
      {"d_lr", ValueKind::kFloat, 0.0, "D's Adam learning rate (0: --lr, but 10 x --lr for a conditional MLP, whose class signal reaches G only through D; the run's config.json records the rate used)", non_negative_float},
      {"beta1", ValueKind::kFloat, 0.9, "Adam beta1", open_unit_float},
      {"beta2", ValueKind::kFloat, 0.999, "Adam beta2", open_unit_float},
      {"eps", ValueKind::kFloat, 1e-8, "Adam epsilon", positive_float},
      {"seed", ValueKind::kInt, 1, "seed of init, shuffle and noise", seed_value},
      {"device", ValueKind::kString, "auto", "auto | cpu | cuda", device_choice},
      {"threads", ValueKind::kInt, 0, "CPU threads (0: every core)", threads_value},
      {"gpu", ValueKind::kInt, 0, "which GPU (with --device auto or cuda)", gpu_index},
      {"tf32", ValueKind::kBool, false, "allow TF32 tensor cores in the GPU's GEMMs (default: FP32, as PyTorch)", any_value},
      {"graph", ValueKind::kBool, true, "capture the GPU step in a CUDA graph and replay it (--no-graph: launch eagerly)", any_value},
      {"gpu_forward", ValueKind::kString, "cublas", "GPU forward path: cublas (GEMM + epilogue kernel) or fused (our tiled GEMM kernel)", forward_choice},
      {"gpu_batchnorm", ValueKind::kString, "cudnn", "the DCGAN's training BatchNorm + activation on the GPU: cudnn (cuDNN + an activation kernel) or fused (our kernels)", batch_norm_choice},
      {"gpu_conv_algos", ValueKind::kString, "heuristic", "the DCGAN's cuDNN algorithms: heuristic (cuDNN's first deterministic pick: the same bits every run), timed (the fastest deterministic one on this card; the pick may differ between runs), timed-any (the fastest, maybe not deterministic)", conv_algos_choice},
      {"gpu_branches", ValueKind::kBool, false, "run the MLP step's independent GPU work on side streams (the G step's generator forward beside the D step, weight GEMMs beside input GEMMs); same bits", any_value},
      {"profile_steps", ValueKind::kString, "", "A:B: bracket GPU steps A..B with cudaProfilerStart/Stop, for nsys/ncu (tools/profile.sh)", profile_range},
      {"log_every", ValueKind::kInt, 50, "steps between metrics lines", positive_int},
      {"sample_every", ValueKind::kInt, 1000, "steps between sample grids (0: start and end only)", non_negative_int},
      {"checkpoint_every", ValueKind::kInt, 1000, "steps between checkpoints (last.safetensors; 0: at the end only)", non_negative_int},
      {"keep_checkpoints", ValueKind::kInt, 0, "also keep the last K checkpoints as checkpoints/step_N.safetensors", non_negative_int},
      {"eval_every", ValueKind::kInt, 0, "steps between quality evaluations (gan eval's numbers) logged to metrics.jsonl (0: none)", non_negative_int},
      {"eval_n", ValueKind::kInt, 2000, "generated images per evaluation during training", eval_n_value},
      {"on_nan", ValueKind::kString, "stop", "on a non-finite loss or parameter: stop, or rollback to the last checkpoint with fresh noise", on_nan_choice},
      {"max_rollbacks", ValueKind::kInt, 3, "rollbacks allowed before the run stops", non_negative_int},
      {"conditional", ValueKind::kBool, false, "condition G and D on the data's class labels (a conditional GAN: gan sample --class K draws class K)", any_value},
      {"classes", ValueKind::kInt, 0, "with --conditional: how many classes (0: the data's largest label + 1)", classes_value},
      {"projection", ValueKind::kBool, true, "with --conditional, the MLP: D's logit also gains a projection term (Miyato and Koyama; the DCGAN's D always has one); false: PyTorch-GAN's cgan.py exactly", any_value},
      {"label_dim", ValueKind::kInt, 0, "with --conditional: the width of each network's label embedding (0: the number of classes, as PyTorch-GAN's cgan.py)", label_dim_value},
      {"latent_dim", ValueKind::kInt, 100, "size of the noise vector z", latent_value},
      {"g_hidden", ValueKind::kIntList, json::array({256, 512, 1024}), "generator hidden widths", width_list},
      {"d_hidden", ValueKind::kIntList, json::array({512, 256}), "discriminator hidden widths", width_list},
      {"slope", ValueKind::kFloat, 0.2, "LeakyReLU negative slope", slope_float},
      {"norm_mean", ValueKind::kFloat, 0.5, "input normalisation: (x/255 - mean) / std", finite_float},
      {"norm_std", ValueKind::kFloat, 0.5, "input normalisation: (x/255 - mean) / std", positive_float},
  };
  return keys;
}

std::string flag_name(const std::string& key) {
  std::string flag = key;
  for (auto& c : flag) {
    if (c == '_') c = '-';
  }
  return flag;
}

std::string describe_default(const ConfigKey& key) {
  if (key.kind == ValueKind::kString) return key.default_value.get<std::string>();
  if (key.kind == ValueKind::kIntList) {
    std::string text;
    for (const auto& v : key.default_value) text += (text.empty() ? "" : ",") + std::to_string(v.get<int64_t>());
    return text;
  }
  return key.default_value.dump();
}

namespace {

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kInt: return "an integer";
    case ValueKind::kFloat: return "a number";
    case ValueKind::kString: return "a string";
    case ValueKind::kIntList: return "a list of integers";
    case ValueKind::kBool: return "true or false";
  }
  return "?";
}

const ConfigKey* find_key(const std::string& name) {
  for (const auto& key : config_keys()) {
    if (key.key == name) return &key;
  }
  return nullptr;
}

std::string known_keys() {
  std::string text;
  for (const auto& key : config_keys()) text += (text.empty() ? "" : ", ") + key.key;
  return text;
}

// A JSON value from a file, checked for its type; returns the value normalised (a float
// written as 2 stays a number, an integer written 2.0 is accepted only if integral).
json typed_value(const ConfigKey& key, const json& value, const std::string& where) {
  const std::string prefix = where + ": key '" + key.key + "': expected " + kind_name(key.kind) + ", got ";
  switch (key.kind) {
    case ValueKind::kInt:
      if (value.is_number_integer()) return value;
      if (value.is_number_float() && std::isfinite(value.get<double>()) &&
          std::floor(value.get<double>()) == value.get<double>() && std::fabs(value.get<double>()) < 9e15) {
        return static_cast<int64_t>(value.get<double>());
      }
      throw InputError(prefix + value.dump());
    case ValueKind::kFloat:
      if (value.is_number()) return value.get<double>();
      throw InputError(prefix + value.dump());
    case ValueKind::kString:
      if (value.is_string()) return value;
      throw InputError(prefix + value.dump());
    case ValueKind::kBool:
      if (value.is_boolean()) return value;
      throw InputError(prefix + value.dump());
    case ValueKind::kIntList: {
      if (!value.is_array()) throw InputError(prefix + value.dump());
      json list = json::array();
      for (const auto& item : value) {
        if (!item.is_number_integer()) throw InputError(prefix + value.dump());
        list.push_back(item);
      }
      return list;
    }
  }
  throw InputError(prefix + value.dump());
}

bool parse_int(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') return false;
  *out = v;
  return true;
}

// A flag's raw text converted to the key's type.
json parse_flag(const ConfigKey& key, const std::string& text) {
  const std::string prefix = "--" + flag_name(key.key) + ": expected " + kind_name(key.kind) + ", got '" + text + "'";
  switch (key.kind) {
    case ValueKind::kInt: {
      int64_t v;
      if (!parse_int(text, &v)) throw InputError(prefix);
      return v;
    }
    case ValueKind::kFloat: {
      errno = 0;
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || errno == ERANGE || end == text.c_str() || *end != '\0') throw InputError(prefix);
      if (!std::isfinite(v)) throw InputError(prefix + " (not a finite number)");
      return v;
    }
    case ValueKind::kString:
      return text;
    case ValueKind::kBool:
      if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
      if (text == "false" || text == "0" || text == "no" || text == "off") return false;
      throw InputError(prefix);
    case ValueKind::kIntList: {
      json list = json::array();
      std::stringstream stream(text);
      std::string item;
      while (std::getline(stream, item, ',')) {
        int64_t v;
        if (!parse_int(item, &v)) throw InputError(prefix + " (comma-separated integers, e.g. 256,512,1024)");
        list.push_back(v);
      }
      if (!text.empty() && text.back() == ',') throw InputError(prefix);
      return list;
    }
  }
  throw InputError(prefix);
}

void check_range(const ConfigKey& key, const json& value, const std::string& where) {
  const std::string expected = key.check(value);
  if (!expected.empty()) {
    throw InputError(where + ": expected " + expected + ", got " + value.dump());
  }
}

}  // namespace

TrainConfig config_from_json(const json& object, const std::string& source) {
  if (!object.is_object()) throw InputError(source + ": expected a JSON object of config keys");
  json resolved = json::object();
  for (const auto& key : config_keys()) resolved[key.key] = key.default_value;
  for (const auto& [name, value] : object.items()) {
    const ConfigKey* key = find_key(name);
    if (key == nullptr) throw InputError(source + ": unknown key '" + name + "' (known keys: " + known_keys() + ")");
    resolved[name] = typed_value(*key, value, source);
  }
  for (const auto& key : config_keys()) check_range(key, resolved[key.key], source + ": key '" + key.key + "'");

  TrainConfig c;
  c.model = parse_model_kind(resolved["model"].get<std::string>(), source + ": key 'model'");
  c.dcgan_channels = resolved["dcgan_channels"].get<std::vector<int64_t>>();
  c.data = resolved["data"].get<std::string>();
  c.image_size = static_cast<int>(resolved["image_size"].get<int64_t>());
  c.channels = static_cast<int>(resolved["channels"].get<int64_t>());
  c.out = resolved["out"].get<std::string>();
  c.epochs = resolved["epochs"].get<int64_t>();
  c.steps = resolved["steps"].get<int64_t>();
  c.batch = resolved["batch"].get<int64_t>();
  c.drop_last = resolved["drop_last"].get<bool>();
  c.lr = resolved["lr"].get<double>();
  c.d_lr = resolved["d_lr"].get<double>();
  c.beta1 = resolved["beta1"].get<double>();
  c.beta2 = resolved["beta2"].get<double>();
  c.eps = resolved["eps"].get<double>();
  c.seed = static_cast<uint64_t>(resolved["seed"].get<int64_t>());
  const std::string device = resolved["device"].get<std::string>();
  c.device = device == "cpu" ? DeviceChoice::kCpu : device == "cuda" ? DeviceChoice::kCuda : DeviceChoice::kAuto;
  c.threads = resolved["threads"].get<int64_t>();
  c.gpu = resolved["gpu"].get<int64_t>();
  c.tf32 = resolved["tf32"].get<bool>();
  c.graph = resolved["graph"].get<bool>();
  // check_range above has refused anything but the choices each key lists.
  c.gpu_forward = resolved["gpu_forward"] == "fused" ? GpuForward::kFused : GpuForward::kCublas;
  c.gpu_batchnorm = resolved["gpu_batchnorm"] == "fused" ? GpuBatchNorm::kFused : GpuBatchNorm::kCudnn;
  c.gpu_branches = resolved["gpu_branches"].get<bool>();
  const std::string conv_algos = resolved["gpu_conv_algos"];
  c.gpu_conv_algos = conv_algos == "timed"       ? GpuConvAlgos::kTimed
                     : conv_algos == "timed-any" ? GpuConvAlgos::kTimedAny
                                                 : GpuConvAlgos::kHeuristic;
  parse_step_range(resolved["profile_steps"].get<std::string>(), &c.profile_first, &c.profile_last);
  c.log_every = resolved["log_every"].get<int64_t>();
  c.sample_every = resolved["sample_every"].get<int64_t>();
  c.checkpoint_every = resolved["checkpoint_every"].get<int64_t>();
  c.keep_checkpoints = resolved["keep_checkpoints"].get<int64_t>();
  c.eval_every = resolved["eval_every"].get<int64_t>();
  c.eval_n = resolved["eval_n"].get<int64_t>();
  c.on_nan = resolved["on_nan"] == "rollback" ? OnNan::kRollback : OnNan::kStop;
  c.max_rollbacks = resolved["max_rollbacks"].get<int64_t>();
  c.conditional = resolved["conditional"].get<bool>();
  c.classes = resolved["classes"].get<int64_t>();
  c.label_dim = resolved["label_dim"].get<int64_t>();
  c.projection = resolved["projection"].get<bool>();
  c.latent_dim = resolved["latent_dim"].get<int64_t>();
  c.g_hidden = resolved["g_hidden"].get<std::vector<int64_t>>();
  c.d_hidden = resolved["d_hidden"].get<std::vector<int64_t>>();
  c.slope = resolved["slope"].get<double>();
  c.norm_mean = resolved["norm_mean"].get<double>();
  c.norm_std = resolved["norm_std"].get<double>();
  c.resolved = resolved;
  return c;
}

bool key_may_change_on_resume(const std::string& key) {
  // gpu, tf32, graph, gpu_forward, gpu_batchnorm, gpu_branches, gpu_conv_algos: where and how the step runs; a run may move between CPU and
  // GPU (TF32 changes the rounding, as the device does, not the step).
  static const char* const kMutable[] = {"data", "out", "epochs", "steps", "device", "threads", "gpu", "tf32",
                                         "graph", "gpu_forward", "gpu_batchnorm", "gpu_branches", "gpu_conv_algos", "profile_steps", "log_every",
                                         "sample_every", "checkpoint_every", "keep_checkpoints", "on_nan",
                                         "max_rollbacks", "eval_every", "eval_n"};
  for (const char* k : kMutable) {
    if (key == k) return true;
  }
  return false;
}

TrainConfig resolve_config(const std::string& config_file, const std::map<std::string, std::string>& flags,
                           const json* base) {
  json merged = base ? *base : json::object();
  if (!config_file.empty()) {
    const auto bytes = read_whole_file(config_file);
    try {
      merged = json::parse(bytes.begin(), bytes.end());
    } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers too large
      throw InputError(config_file + ": not valid JSON (" + e.what() + ")");
    }
    // Validate the file on its own first, so an error names the file rather than a flag.
    config_from_json(merged, config_file);
    if (base) {
      json on_base = *base;
      for (const auto& [key, value] : merged.items()) on_base[key] = value;
      merged = on_base;
    }
  }
  for (const auto& [name, text] : flags) {
    const ConfigKey* key = find_key(name);
    if (key == nullptr) throw InputError("--" + flag_name(name) + ": unknown option");
    merged[name] = parse_flag(*key, text);
    check_range(*key, merged[name], "--" + flag_name(name));
  }
  return config_from_json(merged, config_file.empty() ? "command line" : config_file);
}

ModelChoice model_choice(const TrainConfig& config) {
  ModelChoice choice;
  choice.kind = config.model;
  choice.latent_dim = config.latent_dim;
  choice.g_hidden = config.g_hidden;
  choice.d_hidden = config.d_hidden;
  choice.dcgan_channels = config.dcgan_channels;
  choice.slope = static_cast<float>(config.slope);
  choice.classes = config.conditional ? config.classes : 0;
  choice.label_dim = config.label_dim;
  choice.projection = config.projection;
  choice.channels = config.channels;
  return choice;
}

ModelSpec make_model_spec(const TrainConfig& config, int64_t image_height, int64_t image_width) {
  return make_model_spec(model_choice(config), image_height, image_width);
}

ModelSpec make_mlp_spec(const TrainConfig& config, int64_t image_height, int64_t image_width) {
  return make_mlp_spec(model_choice(config), image_height, image_width);
}

double discriminator_lr(const TrainConfig& config) {
  if (config.d_lr > 0) return config.d_lr;
  // Two time-scales for the conditional MLP: with D at the seed's rate the generator collapses
  // onto a few digits before D has learnt what each class looks like, and the label then has to
  // pull it out again. Measured on MNIST-10k over 30 epochs (bench/RESULTS.md, issue 19).
  constexpr double kConditionalMlpRatio = 10;
  if (config.conditional && config.model == ModelKind::kMlp) return kConditionalMlpRatio * config.lr;
  return config.lr;
}

void resolve_discriminator_lr(TrainConfig* config) {
  config->d_lr = discriminator_lr(*config);
  config->resolved["d_lr"] = config->d_lr;
}

StepOptions step_options(const TrainConfig& config) {
  StepOptions step;
  step.seed = config.seed;
  step.adam = {config.lr, config.beta1, config.beta2, config.eps};
  step.discriminator_lr = discriminator_lr(config);
  step.norm_mean = static_cast<float>(config.norm_mean);
  step.norm_std = static_cast<float>(config.norm_std);
  return step;
}

}  // namespace gan
