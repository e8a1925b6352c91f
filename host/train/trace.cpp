#include "train/trace.h"

#include <cstdio>

#include "io/safetensors.h"

namespace gan {

void TraceRecorder::add_network(const std::string& prefix, const NetworkSpec& network, const std::vector<float>& flat,
                                const std::vector<TensorSlot>& slots) {
  for (const auto& t : slots) {
    entries_.push_back({prefix + network.name + "." + state_dict_name(t), t.shape,
                        std::vector<float>(flat.begin() + static_cast<std::ptrdiff_t>(t.offset),
                                           flat.begin() + static_cast<std::ptrdiff_t>(t.offset + t.size))});
  }
}

void TraceRecorder::add_params(const std::string& prefix, const TrainerState& state) {
  add_network(prefix, spec_.generator, state.generator.params, spec_.generator.tensors);
  add_network(prefix, spec_.discriminator, state.discriminator.params, spec_.discriminator.tensors);
  // BatchNorm's running statistics (the DCGAN): PyTorch updates them too, so they are compared.
  add_network(prefix, spec_.generator, state.generator.buffers, spec_.generator.buffers);
  add_network(prefix, spec_.discriminator, state.discriminator.buffers, spec_.discriminator.buffers);
}

void TraceRecorder::record_step(uint64_t step, const StepTrace& trace, const StepStats& stats) {
  const std::string prefix = "step" + std::to_string(step) + ".";
  const int64_t batch = static_cast<int64_t>(trace.z_d.size()) / spec_.latent_dim;
  entries_.push_back({prefix + "real", {batch, spec_.image_size()}, trace.real});
  entries_.push_back({prefix + "z_d", {batch, spec_.latent_dim}, trace.z_d});
  entries_.push_back({prefix + "z_g", {batch, spec_.latent_dim}, trace.z_g});
  // A conditional step's labels, as float32 like every other entry (exact below 2^24).
  const std::pair<const char*, const std::vector<int32_t>*> labels[] = {
      {"labels_real", &trace.labels_real}, {"labels_d", &trace.labels_d}, {"labels_g", &trace.labels_g}};
  for (const auto& [name, values] : labels) {
    if (!values->empty()) entries_.push_back({prefix + name, {batch}, std::vector<float>(values->begin(), values->end())});
  }
  // DiffAugment's draws (--augment), [B, kAugmentDraws] per batch into D.
  const char* sites[] = {"augment_real", "augment_d", "augment_g"};
  for (int site = 0; site < 3; ++site) {
    if (!trace.augment[site].empty()) entries_.push_back({prefix + sites[site], {batch, kAugmentDraws}, trace.augment[site]});
  }
  entries_.push_back({prefix + "d_loss", {1}, {static_cast<float>(stats.d_loss)}});
  entries_.push_back({prefix + "g_loss", {1}, {static_cast<float>(stats.g_loss)}});
  if (!trace.d_grads.empty()) add_network(prefix + "grad.", spec_.discriminator, trace.d_grads, spec_.discriminator.tensors);
  if (!trace.g_grads.empty()) add_network(prefix + "grad.", spec_.generator, trace.g_grads, spec_.generator.tensors);
}

void TraceRecorder::finish(const TrainerState& state) {
  add_params("final.", state);
  // G's average (--ema), under the checkpoint's names.
  if (!state.generator_ema.empty()) {
    NetworkSpec average = spec_.generator;
    average.name = "generator_ema";
    add_network("final.", average, state.generator_ema, spec_.generator.tensors);
  }
  std::vector<TensorView> views;
  for (const auto& e : entries_) views.push_back({e.name, e.shape, e.data.data()});
  auto text = [](double x) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", x);  // round-trips a double
    return std::string(buffer);
  };
  write_safetensors(path_, views,
                    {{"format", "gan-parity-trace-1"},
                     {"model", model_kind_name(spec_.kind)},
                     {"generator_lr", text(step_.adam.lr)},
                     {"discriminator_lr", text(step_.discriminator_adam().lr)},
                     {"beta1", text(step_.adam.beta1)},
                     {"beta2", text(step_.adam.beta2)},
                     {"eps", text(step_.adam.eps)},
                     {"ema_decay", text(step_.ema_decay)},
                     {"loss", adversarial_loss_name(spec_.loss)},
                     {"augment", augment_policy_name(spec_.augment)},
                     {"image_channels", std::to_string(spec_.channels)},
                     {"image_height", std::to_string(spec_.image_height)},
                     {"image_width", std::to_string(spec_.image_width)}});
}

}  // namespace gan
