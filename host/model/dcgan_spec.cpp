#include "model/dcgan_spec.h"

#include <algorithm>
#include <string>

#include "util/error.h"

namespace gan {

namespace {

size_t product(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

// Appends a tensor at the next aligned offset of a flat buffer of *count floats.
void append(std::vector<TensorSlot>* slots, size_t* count, const std::string& name, std::vector<int64_t> shape,
            int64_t fan_in) {
  const size_t size = product(shape);
  slots->push_back({name, std::move(shape), *count, size, fan_in});
  *count = aligned(*count + size);
}

// A BatchNorm2d(C) at state_dict prefix `prefix`: weight and bias trainable, running stats buffers.
void append_batch_norm(NetworkSpec* n, const std::string& prefix, int64_t channels) {
  append(&n->tensors, &n->parameter_count, prefix + "weight", {channels}, 0);
  append(&n->tensors, &n->parameter_count, prefix + "bias", {channels}, 0);
  append(&n->buffers, &n->buffer_count, prefix + "running_mean", {channels}, 0);
  append(&n->buffers, &n->buffer_count, prefix + "running_var", {channels}, 0);
}

}  // namespace

ModelSpec make_dcgan_spec(int64_t latent_dim, int64_t c0, int64_t c1, float slope, int64_t classes,
                          int64_t label_dim) {
  ModelSpec spec;
  spec.kind = ModelKind::kDcgan;
  spec.latent_dim = latent_dim;
  spec.image_height = 28;
  spec.image_width = 28;
  spec.dcgan.c0 = c0;
  spec.dcgan.c1 = c1;
  spec.slope = slope;
  spec.classes = classes;
  const int64_t projected = c0 * 7 * 7;
  const int64_t label_width = classes > 0 ? (label_dim > 0 ? label_dim : classes) : 0;
  const int64_t g_in = label_width + latent_dim;

  NetworkSpec& g = spec.generator;
  g.name = "generator";
  if (classes > 0) {
    g.label = {classes, label_width, 0, g.parameter_count};
    append(&g.tensors, &g.parameter_count, "label_emb.weight", {classes, label_width}, classes);
    g.tensors.back().init_std = 1.0f;
  }
  append(&g.tensors, &g.parameter_count, "project.weight", {projected, g_in}, g_in);
  append(&g.tensors, &g.parameter_count, "project.bias", {projected}, g_in);
  append_batch_norm(&g, "net.0.", c0);
  // ConvTranspose2d weight [Cin, Cout, K, K]: PyTorch's fan_in is Cout * K * K.
  append(&g.tensors, &g.parameter_count, "net.2.weight", {c0, c1, 4, 4}, c1 * 16);
  append(&g.tensors, &g.parameter_count, "net.2.bias", {c1}, c1 * 16);
  append_batch_norm(&g, "net.3.", c1);
  append(&g.tensors, &g.parameter_count, "net.5.weight", {c1, 1, 4, 4}, 1 * 16);
  append(&g.tensors, &g.parameter_count, "net.5.bias", {1}, 1 * 16);

  NetworkSpec& d = spec.discriminator;
  d.name = "discriminator";
  append(&d.tensors, &d.parameter_count, "net.0.weight", {c1, 1, 4, 4}, 1 * 16);
  append(&d.tensors, &d.parameter_count, "net.0.bias", {c1}, 1 * 16);
  append(&d.tensors, &d.parameter_count, "net.2.weight", {c0, c1, 4, 4}, c1 * 16);
  append(&d.tensors, &d.parameter_count, "net.2.bias", {c0}, c1 * 16);
  append_batch_norm(&d, "net.3.", c0);
  append(&d.tensors, &d.parameter_count, "net.6.weight", {1, projected}, projected);
  append(&d.tensors, &d.parameter_count, "net.6.bias", {1}, projected);
  if (classes > 0) {
    d.projection = {classes, projected, d.parameter_count};
    append(&d.tensors, &d.parameter_count, "label_projection.weight", {classes, projected}, projected);
  }
  return spec;
}

namespace {

LayerSlots layer_slots(const NetworkSpec& n, const std::string& prefix) {
  return {n.tensor(prefix + "weight").offset, n.tensor(prefix + "bias").offset};
}

BatchNormSlots batch_norm_slots(const NetworkSpec& n, const std::string& prefix) {
  return {n.tensor(prefix + "weight").offset, n.tensor(prefix + "bias").offset,
          n.buffer(prefix + "running_mean").offset, n.buffer(prefix + "running_var").offset};
}

}  // namespace

DcganGeneratorSlots dcgan_generator_slots(const NetworkSpec& g) {
  return {layer_slots(g, "project."), batch_norm_slots(g, "net.0."), layer_slots(g, "net.2."),
          batch_norm_slots(g, "net.3."), layer_slots(g, "net.5.")};
}

DcganDiscriminatorSlots dcgan_discriminator_slots(const NetworkSpec& d) {
  return {layer_slots(d, "net.0."), layer_slots(d, "net.2."), batch_norm_slots(d, "net.3."), layer_slots(d, "net.6.")};
}

void init_dcgan_network(const NetworkSpec& network, uint32_t network_index, uint64_t seed, float* params,
                        float* buffers) {
  // Every tensor with a fan-in is drawn as nn.Linear's are; BatchNorm's are set.
  std::vector<TensorSlot> drawn;
  for (const TensorSlot& slot : network.tensors) {
    if (slot.fan_in > 0) drawn.push_back(slot);
  }
  std::fill(params, params + network.parameter_count, 0.0f);
  std::vector<float> scratch(network.parameter_count, 0.0f);
  init_tensors(drawn, network.parameter_count, network_index, seed, scratch.data());
  for (const TensorSlot& slot : network.tensors) {
    const bool gamma = slot.fan_in == 0 && slot.name.size() >= 6 && slot.name.compare(slot.name.size() - 6, 6, "weight") == 0;
    for (size_t e = 0; e < slot.size; ++e) {
      params[slot.offset + e] = slot.fan_in > 0 ? scratch[slot.offset + e] : (gamma ? 1.0f : 0.0f);
    }
  }
  std::fill(buffers, buffers + network.buffer_count, 0.0f);
  for (const TensorSlot& slot : network.buffers) {
    const bool variance = slot.name.find("running_var") != std::string::npos;
    std::fill(buffers + slot.offset, buffers + slot.offset + slot.size, variance ? 1.0f : 0.0f);
  }
}

void check_dcgan_batch(int64_t batch) {
  if (batch < 2) {
    throw InputError("a batch of " + std::to_string(batch) + " image(s): the DCGAN's BatchNorm needs batches of 2 or more "
                "images (use --drop-last or another --batch)");
  }
}

}  // namespace gan
