#include "model/trainer_state.h"

#include <tuple>

#include "model/dcgan_spec.h"
#include "model/spectral_norm.h"
#include "util/error.h"

namespace gan {

namespace {

NetworkState fresh_network(const NetworkSpec& network, uint32_t index, uint64_t seed) {
  NetworkState state;
  state.params.resize(network.parameter_count);
  init_parameters(network, index, seed, state.params.data());
  state.exp_avg.assign(network.parameter_count, 0.0f);
  state.exp_avg_sq.assign(network.parameter_count, 0.0f);
  state.buffers.assign(network.buffer_count, 0.0f);
  return state;
}

void check_network_state(const NetworkSpec& network, const NetworkState& state) {
  for (const auto* buffer : {&state.params, &state.exp_avg, &state.exp_avg_sq}) {
    if (buffer->size() != network.parameter_count) {
      throw InputError(network.name + " state has " + std::to_string(buffer->size()) + " values, the model needs " +
                  std::to_string(network.parameter_count));
    }
  }
  if (state.buffers.size() != network.buffer_count) {
    throw InputError(network.name + " state has " + std::to_string(state.buffers.size()) + " buffer values, the model needs " +
                std::to_string(network.buffer_count));
  }
}

}  // namespace

TrainerState fresh_trainer_state(const ModelSpec& spec, uint64_t seed) {
  TrainerState state;
  state.generator = fresh_network(spec.generator, 0, seed);
  state.discriminator = fresh_network(spec.discriminator, 1, seed);
  if (spec.kind == ModelKind::kDcgan) {  // PyTorch's Conv and BatchNorm rules, and the running statistics
    for (auto [network, index, into] : {std::make_tuple(&spec.generator, 0u, &state.generator),
                                        std::make_tuple(&spec.discriminator, 1u, &state.discriminator)}) {
      into->buffers.assign(network->buffer_count, 0.0f);
      init_dcgan_network(*network, index, seed, into->params.data(), into->buffers.data());
    }
  }
  init_spectral_norm_vectors(spec.discriminator, seed, state.discriminator.buffers.data());
  return state;
}

TrainerState fresh_trainer_state(const ModelSpec& spec, const StepOptions& options) {
  TrainerState state = fresh_trainer_state(spec, options.seed);
  if (options.ema_decay > 0) state.generator_ema = state.generator.params;
  return state;
}

NetworkState sampling_generator(const TrainerState& state) {
  NetworkState generator = state.generator;
  if (!state.generator_ema.empty()) generator.params = state.generator_ema;
  return generator;
}

const char* sampling_weights_name(const TrainerState& state) {
  return state.generator_ema.empty() ? "G's weights" : "G's EMA weights";
}

void check_step_position(const StepPosition& at, int64_t images, int64_t max_batch) {
  if (at.batch <= 0 || at.batch > max_batch || at.offset < 0 || at.offset + at.batch > images) {
    throw InternalError("batch [" + std::to_string(at.offset) + ", +" + std::to_string(at.batch) + ") outside the " +
                        std::to_string(images) + " images, or above the largest batch " + std::to_string(max_batch));
  }
}

void check_generate_labels(const ModelSpec& spec, const int32_t* labels, int64_t count) {
  if (spec.conditional() && labels == nullptr && count > 0) {
    throw InputError("the generator is conditional on " + std::to_string(spec.classes) +
                     " classes: it needs a label for every image");
  }
  if (!spec.conditional() && labels != nullptr) {
    throw InputError("the generator is not conditional: it takes no labels (train with --conditional)");
  }
  for (int64_t i = 0; labels != nullptr && i < count; ++i) {
    if (labels[i] < 0 || labels[i] >= spec.classes) {
      throw InputError("class " + std::to_string(labels[i]) + " is outside the generator's classes 0.." +
                       std::to_string(spec.classes - 1));
    }
  }
}

void check_trainer_state(const ModelSpec& spec, const TrainerState& state) {
  check_network_state(spec.generator, state.generator);
  check_network_state(spec.discriminator, state.discriminator);
  if (!state.generator_ema.empty() && state.generator_ema.size() != spec.generator.parameter_count) {
    throw InputError("generator average has " + std::to_string(state.generator_ema.size()) + " values, the model needs " +
                     std::to_string(spec.generator.parameter_count));
  }
}

void check_trainer_state(const ModelSpec& spec, const StepOptions& options, const TrainerState& state) {
  check_trainer_state(spec, state);
  if (options.ema_decay > 0 && state.generator_ema.empty()) {
    throw InputError("the run averages G's weights (--ema " + std::to_string(options.ema_decay) +
                     "), but the state holds no average");
  }
  if (options.ema_decay == 0 && !state.generator_ema.empty()) {
    throw InputError("the state holds an average of G's weights, but the run keeps none (--ema 0)");
  }
}

}  // namespace gan
