#include "train/checkpoint.h"

#include <filesystem>

#include "io/safetensors.h"
#include "train/config.h"
#include "util/error.h"

namespace gan {

using nlohmann::json;

namespace {

void add_network(const NetworkSpec& network, const NetworkState& state, std::vector<TensorView>* views) {
  for (const auto& t : network.tensors) {
    views->push_back({network.name + "." + state_dict_name(t), t.shape, state.params.data() + t.offset});
  }
  for (const auto& t : network.tensors) {
    views->push_back({"optimizer." + network.name + ".exp_avg." + state_dict_name(t), t.shape, state.exp_avg.data() + t.offset});
  }
  for (const auto& t : network.tensors) {
    views->push_back({"optimizer." + network.name + ".exp_avg_sq." + state_dict_name(t), t.shape, state.exp_avg_sq.data() + t.offset});
  }
  // BatchNorm's running statistics, under their state_dict names (the DCGAN; none for the MLP).
  for (const auto& t : network.buffers) {
    views->push_back({network.name + "." + t.name, t.shape, state.buffers.data() + t.offset});
  }
}

NetworkState read_network(const SafetensorsFile& file, const NetworkSpec& network) {
  NetworkState state;
  state.params.assign(network.parameter_count, 0.0f);
  state.exp_avg.assign(network.parameter_count, 0.0f);
  state.exp_avg_sq.assign(network.parameter_count, 0.0f);
  for (const auto& t : network.tensors) {
    const auto copy = [&](const std::string& name, std::vector<float>* into) {
      const StoredTensor& stored = file.get(name, t.shape);
      std::copy(stored.data.begin(), stored.data.end(), into->begin() + static_cast<std::ptrdiff_t>(t.offset));
    };
    copy(network.name + "." + state_dict_name(t), &state.params);
    copy("optimizer." + network.name + ".exp_avg." + state_dict_name(t), &state.exp_avg);
    copy("optimizer." + network.name + ".exp_avg_sq." + state_dict_name(t), &state.exp_avg_sq);
  }
  state.buffers.assign(network.buffer_count, 0.0f);
  for (const auto& t : network.buffers) {
    const StoredTensor& stored = file.get(network.name + "." + t.name, t.shape);
    std::copy(stored.data.begin(), stored.data.end(), state.buffers.begin() + static_cast<std::ptrdiff_t>(t.offset));
  }
  return state;
}

// An unsigned integer from the metadata, or a clear error.
uint64_t metadata_number(const SafetensorsFile& file, const std::string& key) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end()) throw InputError(file.source + ": __metadata__ has no '" + key + "'");
  const std::string& text = it->second;
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    throw InputError(file.source + ": __metadata__ '" + key + "' is '" + text + "', expected a non-negative integer");
  }
  return std::stoull(text);
}

}  // namespace

void save_checkpoint(const std::string& path, const ModelSpec& spec, const Checkpoint& c) {
  std::vector<TensorView> views;
  add_network(spec.generator, c.state.generator, &views);
  add_network(spec.discriminator, c.state.discriminator, &views);
  // G's average (--ema): "generator_ema." + G's state_dict names, its parameters only (sampling
  // from it uses G's BatchNorm statistics, stored under G's names).
  if (!c.state.generator_ema.empty()) {
    for (const auto& t : spec.generator.tensors) {
      views.push_back({kGeneratorEmaPrefix + t.name, t.shape, c.state.generator_ema.data() + t.offset});
    }
  }
  const std::map<std::string, std::string> metadata = {
      {"format", kCheckpointFormat},
      {"step", std::to_string(c.position.step)},
      {"epoch", std::to_string(c.position.epoch)},
      {"epoch_position", std::to_string(c.position.epoch_position)},
      {"noise_stream", std::to_string(c.position.noise_stream)},
      {"generator_adam_step", std::to_string(c.state.generator.adam_step)},
      {"discriminator_adam_step", std::to_string(c.state.discriminator.adam_step)},
      {"rng", "philox4x32-10; key = seed; counter = (element/4, step, purpose)"},
      {"seed", std::to_string(c.config.value("seed", 0))},
      {"data_count", std::to_string(c.data_count)},
      {"image_height", std::to_string(c.image_height)},
      {"image_width", std::to_string(c.image_width)},
      {"config", c.config.dump()},
  };
  write_safetensors(path, views, metadata);
}

Checkpoint load_checkpoint(const std::string& path, ModelSpec* spec_out) {
  const SafetensorsFile file = read_safetensors(path);
  const auto format = file.metadata.find("format");
  if (format == file.metadata.end() || format->second != kCheckpointFormat) {
    throw InputError(path + ": not a gan checkpoint (__metadata__ format is " +
                (format == file.metadata.end() ? std::string("missing") : "'" + format->second + "'") + ", expected '" +
                kCheckpointFormat + "')");
  }
  Checkpoint c;
  try {
    c.config = json::parse(file.metadata.at("config"));
  } catch (const std::exception& e) {
    throw InputError(path + ": __metadata__ 'config' is missing or not valid JSON");
  }
  // Written before the key existed, the run trained without a projection term.
  if (c.config.is_object() && !c.config.contains("projection")) c.config["projection"] = false;
  // Written before --loss existed, the run trained with BCE.
  if (c.config.is_object() && !c.config.contains("loss")) c.config["loss"] = "bce";
  // Written before --spectral-norm existed, D had none.
  if (c.config.is_object() && !c.config.contains("spectral_norm")) c.config["spectral_norm"] = false;
  // Written before --augment existed, D saw its images as they were.
  if (c.config.is_object() && !c.config.contains("augment")) c.config["augment"] = "none";
  // Written before --ema existed, the run kept no average of G.
  if (c.config.is_object() && !c.config.contains("ema")) c.config["ema"] = 0.0;
  // Written before --d-lr existed, the run trained D at G's learning rate.
  if (c.config.is_object() && !c.config.contains("d_lr") && c.config.contains("lr")) c.config["d_lr"] = c.config["lr"];
  const TrainConfig config = config_from_json(c.config, path + " (its config)");
  // Written with d_lr 0 (the default, before runs recorded the rate they chose): the rate it means.
  if (config.d_lr == 0) c.config["d_lr"] = discriminator_lr(config);
  c.data_count = static_cast<int64_t>(metadata_number(file, "data_count"));
  c.image_height = static_cast<int64_t>(metadata_number(file, "image_height"));
  c.image_width = static_cast<int64_t>(metadata_number(file, "image_width"));
  if (c.image_height < 1 || c.image_width < 1 || c.image_height > 4096 || c.image_width > 4096) {
    throw InputError(path + ": image size " + std::to_string(c.image_height) + " x " + std::to_string(c.image_width) +
                " in __metadata__ is out of range");
  }
  const ModelSpec spec = make_model_spec(config, c.image_height, c.image_width);
  c.state.generator = read_network(file, spec.generator);
  c.state.discriminator = read_network(file, spec.discriminator);
  if (config.ema > 0) {
    c.state.generator_ema.assign(spec.generator.parameter_count, 0.0f);
    for (const auto& t : spec.generator.tensors) {
      const StoredTensor& stored = file.get(kGeneratorEmaPrefix + t.name, t.shape);
      std::copy(stored.data.begin(), stored.data.end(), c.state.generator_ema.begin() + static_cast<std::ptrdiff_t>(t.offset));
    }
  }
  c.state.generator.adam_step = static_cast<int64_t>(metadata_number(file, "generator_adam_step"));
  c.state.discriminator.adam_step = static_cast<int64_t>(metadata_number(file, "discriminator_adam_step"));
  c.position.step = metadata_number(file, "step");
  c.position.epoch = metadata_number(file, "epoch");
  c.position.epoch_position = static_cast<int64_t>(metadata_number(file, "epoch_position"));
  const uint64_t noise_stream = metadata_number(file, "noise_stream");
  if (noise_stream > UINT32_MAX) throw InputError(path + ": __metadata__ 'noise_stream' is out of range");
  c.position.noise_stream = static_cast<uint32_t>(noise_stream);
  const size_t expected_tensors = 3 * (spec.generator.tensors.size() + spec.discriminator.tensors.size()) +
                                  spec.generator.buffers.size() + spec.discriminator.buffers.size() +
                                  (config.ema > 0 ? spec.generator.tensors.size() : 0);
  if (file.tensors.size() != expected_tensors) {
    throw InputError(path + ": holds " + std::to_string(file.tensors.size()) + " tensors, the model needs " +
                std::to_string(expected_tensors) + " (parameters and two Adam moments each, BatchNorm's running statistics" +
                (config.ema > 0 ? ", and G's average" : "") + ")");
  }
  if (spec_out) *spec_out = spec;
  return c;
}

std::string resolve_checkpoint_path(const std::string& folder_or_file) {
  std::error_code ec;
  if (std::filesystem::is_directory(folder_or_file, ec)) {
    return (std::filesystem::path(folder_or_file) / "last.safetensors").string();
  }
  return folder_or_file;
}

}  // namespace gan
