#include "train/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "model/spectral_norm.h"
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

// The choices of the keys that name one of a few values, each with the value it parses to: one
// table serves the check of the key and the parse into TrainConfig.
template <class T>
using Choices = std::vector<std::pair<std::string, T>>;

const Choices<AdversarialLoss> kLosses = {{"bce", AdversarialLoss::kBce}, {"hinge", AdversarialLoss::kHinge}};
const Choices<DeviceChoice> kDevices = {{"auto", DeviceChoice::kAuto}, {"cpu", DeviceChoice::kCpu}, {"cuda", DeviceChoice::kCuda}};
const Choices<OnNan> kOnNan = {{"stop", OnNan::kStop}, {"rollback", OnNan::kRollback}};
const Choices<ForwardPath> kForwardPaths = {{"cublas", ForwardPath::kCublas}, {"fused", ForwardPath::kFused}};
const Choices<bool> kFusedBatchNorm = {{"cudnn", false}, {"fused", true}};
const Choices<ConvAlgorithms> kConvAlgorithms = {{"heuristic", ConvAlgorithms::kHeuristic},
                                                 {"timed", ConvAlgorithms::kTimedDeterministic},
                                                 {"timed-any", ConvAlgorithms::kTimedAny}};
const Choices<CpuGemm> kCpuGemms = {{"openblas", CpuGemm::kOpenBlas}, {"onednn", CpuGemm::kOneDnn}};
const Choices<ModelKind> kModels = {{"mlp", ModelKind::kMlp}, {"dcgan", ModelKind::kDcgan}};

template <class T>
ValueRule one_of(const Choices<T>& choices) {
  ValueRule rule;
  for (const auto& [name, value] : choices) {
    rule.choices.push_back(name);
    rule.expected += (rule.expected.empty() ? "one of " : ", ") + name;
  }
  return rule;
}

// The value a checked key names.
template <class T>
T chosen(const Choices<T>& choices, const json& value) {
  for (const auto& [name, parsed] : choices) {
    if (name == value.get<std::string>()) return parsed;
  }
  throw InternalError("config: '" + value.get<std::string>() + "' passed the check but is no choice");
}

ValueRule anything() { return {}; }

// An integer in [min, max]; the message says so unless `expected` does.
ValueRule integers(double min, double max = HUGE_VAL, std::string expected = "") {
  ValueRule rule;
  rule.min = min;
  rule.max = max;
  rule.expected = !expected.empty()                ? expected
                  : max == HUGE_VAL                ? "an integer >= " + std::to_string(static_cast<int64_t>(min))
                                                   : "an integer in " + std::to_string(static_cast<int64_t>(min)) + ".." +
                                                         std::to_string(static_cast<int64_t>(max));
  return rule;
}

// A finite number between the bounds, each open or closed as `bounds` says ("[]", "(]", "[)", "()").
ValueRule numbers(double min, double max, const char* bounds, std::string expected) {
  ValueRule rule;
  rule.min = min;
  rule.max = max;
  rule.min_open = bounds[0] == '(';
  rule.max_open = bounds[1] == ')';
  rule.expected = std::move(expected);
  return rule;
}

ValueRule custom(std::string (*check)(const json&)) {
  ValueRule rule;
  rule.custom = check;
  return rule;
}

std::string non_empty_string(const json& v) { return v.get<std::string>().empty() ? "a non-empty string" : ""; }
std::string profile_range(const json& v) {
  const auto s = v.get<std::string>();
  if (s.empty()) return "";
  uint64_t first = 0, last = 0;
  return parse_step_range(s, &first, &last) ? "" : "empty, or A:B with 1 <= A <= B (steps)";
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
std::string channels_value(const json& v) {
  const auto x = v.get<int64_t>();
  return x == 1 || x == 3 ? "" : "1 (grey) or 3 (colour)";
}
std::string augment_value(const json& v) {
  AugmentPolicy unused;
  const std::string wrong = parse_augment_policy(v.get<std::string>(), &unused);
  return wrong.empty() ? "" : "none, or a list of color, translation, cutout (" + wrong + ")";
}
std::string classes_value(const json& v) {
  const auto x = v.get<int64_t>();
  return x == 0 || (x >= 2 && x <= 10000) ? "" : "0 (the data's) or an integer in 2..10000";
}

}  // namespace

std::string violation(const ValueRule& rule, const json& value) {
  if (rule.custom) return rule.custom(value);
  if (!rule.choices.empty()) {
    const std::string s = value.get<std::string>();
    for (const std::string& choice : rule.choices) {
      if (s == choice) return "";
    }
    return rule.expected;
  }
  if (!value.is_number()) return "";
  const double x = value.get<double>();
  const bool fits = std::isfinite(x) && (rule.min_open ? x > rule.min : x >= rule.min) &&
                    (rule.max_open ? x < rule.max : x <= rule.max);
  return fits ? "" : rule.expected;
}

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      {"model", ValueKind::kString, "mlp", "model: mlp (the seed's fully connected GAN) or dcgan (its convolutional GAN, 28x28; cuDNN on the GPU)", one_of(kModels)},
      {"dcgan_channels", ValueKind::kIntList, json::array({128, 64}), "DCGAN channels: at 28x28 G's projection and D's second conv, then the middle layer; at 32x32 and 64x64 the base width ngf = ndf (the list's last value)", custom(two_channels)},
      {"data", ValueKind::kString, "data/mnist", "folder of IDX files (MNIST names), an images file, or a folder of PNG/JPEG images (subfolders: classes)", custom(non_empty_string)},
      {"image_size", ValueKind::kInt, 28, "image folders: each image's shorter side resized to this, then centre-cropped square (IDX data keeps its own size)", integers(4, 1024)},
      {"channels", ValueKind::kInt, 1, "image folders: 1 (grey; colour images are converted) or 3 (RGB, stored as channel planes)", custom(channels_value)},
      {"out", ValueKind::kString, "", "run folder (default: runs/<data name>-<date>-<time>)", anything()},
      {"epochs", ValueKind::kInt, 200, "epochs (passes over the data)", integers(1)},
      {"steps", ValueKind::kInt, 0, "stop when the run's step counter reaches N (0: no cap)", integers(0)},
      {"batch", ValueKind::kInt, 128, "images per batch", integers(1, 1 << 20)},
      {"drop_last", ValueKind::kBool, false, "drop each epoch's last, smaller batch", anything()},
      {"lr", ValueKind::kFloat, 2e-4, "Adam learning rate of G, and of D unless --d-lr says otherwise", numbers(0, HUGE_VAL, "()", "a finite number > 0")},
      {"d_lr", ValueKind::kFloat, 0.0, "D's Adam learning rate (0: --lr, but 10 x --lr for a conditional MLP, whose class signal reaches G only through D; the run's config.json records the rate used)", numbers(0, HUGE_VAL, "[)", "a finite number >= 0")},
      {"loss", ValueKind::kString, "bce", "the adversarial loss: bce (the seed's) or hinge (D: mean relu(1 - D(x)) + mean relu(1 + D(G(z))), G: -mean D(G(z)) on D's raw output, as BigGAN; CPU and GPU)", one_of(kLosses)},
      {"spectral_norm", ValueKind::kBool, false, "spectral norm on every weight of D's Linear and Conv2d layers, as torch.nn.utils.spectral_norm (one power iteration per step, u and v kept; stored as weight_orig, weight_u, weight_v)", anything()},
      {"augment", ValueKind::kString, "none", "DiffAugment (Zhao et al. 2020) on every image D sees, real and fake, in both steps: none, or a list of color, translation, cutout in that order (e.g. color,translation,cutout), as DiffAugment_pytorch.py, its draws indexed by the step", custom(augment_value)},
      {"ema", ValueKind::kFloat, 0.0, "keep an exponential moving average of G's weights with this decay (0: none; e.g. 0.999), warmed up as min(decay, (1+t)/(10+t)) over G's updates t; samples, --eval-every, gan sample and gan eval then use the average", numbers(0, 1, "[)", "a number in [0, 1)")},
      {"beta1", ValueKind::kFloat, 0.9, "Adam beta1", numbers(0, 1, "[)", "a number in [0, 1)")},
      {"beta2", ValueKind::kFloat, 0.999, "Adam beta2", numbers(0, 1, "[)", "a number in [0, 1)")},
      {"eps", ValueKind::kFloat, 1e-8, "Adam epsilon", numbers(0, HUGE_VAL, "()", "a finite number > 0")},
      {"seed", ValueKind::kInt, 1, "seed of init, shuffle and noise", integers(0)},
      {"device", ValueKind::kString, "auto", "auto | cpu | cuda", one_of(kDevices)},
      {"threads", ValueKind::kInt, 0, "CPU threads (0: every core)", integers(0, 1024, "an integer in 0..1024 (0: every core)")},
      {"cpu_gemm", ValueKind::kString, "onednn", "the CPU's float GEMMs: onednn (the default: faster, and steadier on a busy machine) or openblas (the same step; the last bits of a GEMM differ)", one_of(kCpuGemms)},
      {"gpu", ValueKind::kInt, 0, "which GPU (with --device auto or cuda)", integers(0, 1023)},
      {"tf32", ValueKind::kBool, false, "allow TF32 tensor cores in the GPU's GEMMs (default: FP32, as PyTorch)", anything()},
      {"graph", ValueKind::kBool, true, "capture the GPU step in a CUDA graph and replay it (--no-graph: launch eagerly)", anything()},
      {"gpu_forward", ValueKind::kString, "cublas", "GPU forward path: cublas (GEMM + epilogue kernel) or fused (our tiled GEMM kernel)", one_of(kForwardPaths)},
      {"gpu_batchnorm", ValueKind::kString, "cudnn", "the DCGAN's training BatchNorm + activation on the GPU: cudnn (cuDNN + an activation kernel) or fused (our kernels)", one_of(kFusedBatchNorm)},
      {"gpu_conv_algos", ValueKind::kString, "heuristic", "the DCGAN's cuDNN algorithms: heuristic (cuDNN's first deterministic pick: the same bits every run), timed (the fastest deterministic one on this card; the pick may differ between runs), timed-any (the fastest, maybe not deterministic)", one_of(kConvAlgorithms)},
      {"gpu_branches", ValueKind::kBool, false, "run the MLP step's independent GPU work on side streams (the G step's generator forward beside the D step, weight GEMMs beside input GEMMs); same bits", anything()},
      {"profile_steps", ValueKind::kString, "", "A:B: bracket GPU steps A..B with cudaProfilerStart/Stop, for nsys/ncu (tools/profile.sh)", custom(profile_range)},
      {"log_every", ValueKind::kInt, 50, "steps between metrics lines", integers(1)},
      {"sample_every", ValueKind::kInt, 1000, "steps between sample grids (0: start and end only)", integers(0)},
      {"checkpoint_every", ValueKind::kInt, 1000, "steps between checkpoints (last.safetensors; 0: at the end only)", integers(0)},
      {"keep_checkpoints", ValueKind::kInt, 0, "also keep the last K checkpoints as checkpoints/step_N.safetensors", integers(0)},
      {"eval_every", ValueKind::kInt, 0, "steps between quality evaluations (gan eval's numbers) logged to metrics.jsonl (0: none)", integers(0)},
      {"eval_n", ValueKind::kInt, 2000, "generated images per evaluation during training", integers(2, 1000000)},
      {"on_nan", ValueKind::kString, "stop", "on a non-finite loss or parameter: stop, or rollback to the last checkpoint with fresh noise", one_of(kOnNan)},
      {"max_rollbacks", ValueKind::kInt, 3, "rollbacks allowed before the run stops", integers(0)},
      {"conditional", ValueKind::kBool, false, "condition G and D on the data's class labels (a conditional GAN: gan sample --class K draws class K)", anything()},
      {"classes", ValueKind::kInt, 0, "with --conditional: how many classes (0: the data's largest label + 1)", custom(classes_value)},
      {"projection", ValueKind::kBool, true, "with --conditional, the MLP: D's logit also gains a projection term (Miyato and Koyama; the DCGAN's D always has one); false: PyTorch-GAN's cgan.py exactly", anything()},
      {"label_dim", ValueKind::kInt, 0, "with --conditional: the width of each network's label embedding (0: the number of classes, as PyTorch-GAN's cgan.py)", integers(0, 65536, "an integer in 0..65536 (0: the number of classes)")},
      {"latent_dim", ValueKind::kInt, 100, "size of the noise vector z", integers(1, 65536)},
      {"g_hidden", ValueKind::kIntList, json::array({256, 512, 1024}), "generator hidden widths", custom(width_list)},
      {"d_hidden", ValueKind::kIntList, json::array({512, 256}), "discriminator hidden widths", custom(width_list)},
      {"slope", ValueKind::kFloat, 0.2, "LeakyReLU negative slope", numbers(0, 1, "()", "a number in (0, 1)")},
      {"norm_mean", ValueKind::kFloat, 0.5, "input normalisation: (x/255 - mean) / std", numbers(-HUGE_VAL, HUGE_VAL, "[]", "a finite number")},
      {"norm_std", ValueKind::kFloat, 0.5, "input normalisation: (x/255 - mean) / std", numbers(0, HUGE_VAL, "()", "a finite number > 0")},
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
  const std::string expected = violation(key.rule, value);
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
  // check_range above has refused anything but the choices each key lists.
  c.model = chosen(kModels, resolved["model"]);
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
  c.ema = resolved["ema"].get<double>();
  c.loss = chosen(kLosses, resolved["loss"]);
  c.spectral_norm = resolved["spectral_norm"].get<bool>();
  parse_augment_policy(resolved["augment"].get<std::string>(), &c.augment);  // checked above
  resolved["augment"] = augment_policy_name(c.augment);  // "" and "none" are one policy
  c.beta1 = resolved["beta1"].get<double>();
  c.beta2 = resolved["beta2"].get<double>();
  c.eps = resolved["eps"].get<double>();
  c.seed = static_cast<uint64_t>(resolved["seed"].get<int64_t>());
  c.device = chosen(kDevices, resolved["device"]);
  c.threads = resolved["threads"].get<int64_t>();
  c.cpu_gemm = chosen(kCpuGemms, resolved["cpu_gemm"]);
  c.gpu = resolved["gpu"].get<int64_t>();
  c.graph = resolved["graph"].get<bool>();
  c.gpu_model.tf32 = resolved["tf32"].get<bool>();
  c.gpu_model.forward = chosen(kForwardPaths, resolved["gpu_forward"]);
  c.gpu_model.fused_batch_norm = chosen(kFusedBatchNorm, resolved["gpu_batchnorm"]);
  c.gpu_model.branches = resolved["gpu_branches"].get<bool>();
  c.gpu_model.conv_algorithms = chosen(kConvAlgorithms, resolved["gpu_conv_algos"]);
  parse_step_range(resolved["profile_steps"].get<std::string>(), &c.profile_first, &c.profile_last);
  c.log_every = resolved["log_every"].get<int64_t>();
  c.sample_every = resolved["sample_every"].get<int64_t>();
  c.checkpoint_every = resolved["checkpoint_every"].get<int64_t>();
  c.keep_checkpoints = resolved["keep_checkpoints"].get<int64_t>();
  c.eval_every = resolved["eval_every"].get<int64_t>();
  c.eval_n = resolved["eval_n"].get<int64_t>();
  c.on_nan = chosen(kOnNan, resolved["on_nan"]);
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
  static const char* const kMutable[] = {"data", "out", "epochs", "steps", "device", "threads", "cpu_gemm", "gpu", "tf32",
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

namespace {
// What the config changes in a model built from its architecture: the loss, DiffAugment, D's
// spectral norm.
ModelSpec with_training_choices(ModelSpec spec, const TrainConfig& config) {
  spec.loss = config.loss;
  spec.augment = config.augment;
  if (config.spectral_norm) add_spectral_norm(&spec.discriminator);
  return spec;
}
}  // namespace

ModelSpec make_model_spec(const TrainConfig& config, int64_t image_height, int64_t image_width) {
  return with_training_choices(make_model_spec(model_choice(config), image_height, image_width), config);
}

ModelSpec make_mlp_spec(const TrainConfig& config, int64_t image_height, int64_t image_width) {
  return with_training_choices(make_mlp_spec(model_choice(config), image_height, image_width), config);
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
  step.ema_decay = config.ema;
  step.norm_mean = static_cast<float>(config.norm_mean);
  step.norm_std = static_cast<float>(config.norm_std);
  return step;
}

}  // namespace gan
