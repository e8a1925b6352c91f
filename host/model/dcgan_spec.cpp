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

ModelSpec make_canonical_dcgan_spec(int64_t latent_dim, int64_t width, int64_t channels, int64_t size, float slope,
                                    int64_t classes, int64_t label_dim) {
  if (size != 32 && size != 64) throw InternalError("make_canonical_dcgan_spec: size 32 or 64");
  const int64_t stages = size == 32 ? 3 : 4;
  ModelSpec spec;
  spec.kind = ModelKind::kDcgan;
  spec.latent_dim = latent_dim;
  spec.image_height = spec.image_width = size;
  spec.channels = channels;
  spec.slope = slope;
  spec.dcgan.width = width;
  spec.classes = classes;
  const int64_t label_width = classes > 0 ? (label_dim > 0 ? label_dim : classes) : 0;
  auto conv = [](NetworkSpec* n, int64_t index, std::vector<int64_t> shape, int64_t fan_in) {
    append(&n->tensors, &n->parameter_count, "main." + std::to_string(index) + ".weight", std::move(shape), fan_in);
    n->tensors.back().init_std = 0.02f;
  };
  auto norm = [](NetworkSpec* n, int64_t index, int64_t c) {
    append_batch_norm(n, "main." + std::to_string(index) + ".", c);
    TensorSlot& gamma = n->tensors[n->tensors.size() - 2];
    gamma.init_std = 0.02f;
    gamma.init_mean = 1.0f;
  };
  NetworkSpec& g = spec.generator;
  g.name = "generator";
  if (classes > 0) {
    g.label = {classes, label_width, 0, g.parameter_count};
    append(&g.tensors, &g.parameter_count, "label_emb.weight", {classes, label_width}, classes);
    g.tensors.back().init_std = 1.0f;
  }
  int64_t in = label_width + latent_dim;
  for (int64_t i = 0; i < stages; ++i) {
    const int64_t out = width << (stages - 1 - i);
    conv(&g, 3 * i, {in, out, 4, 4}, out * 16);  // ConvTranspose2d: PyTorch's fan_in is Cout * K * K
    norm(&g, 3 * i + 1, out);
    in = out;
  }
  conv(&g, 3 * stages, {in, channels, 4, 4}, channels * 16);

  NetworkSpec& d = spec.discriminator;
  d.name = "discriminator";
  conv(&d, 0, {width, channels, 4, 4}, channels * 16);
  in = width;
  for (int64_t j = 1; j < stages; ++j) {
    const int64_t out = width << j;
    conv(&d, 2 + 3 * (j - 1), {out, in, 4, 4}, in * 16);
    norm(&d, 3 + 3 * (j - 1), out);
    in = out;
  }
  conv(&d, 3 * stages - 1, {1, in, 4, 4}, in * 16);
  if (classes > 0) {
    const int64_t features = in * 16;  // the last conv's input map, [in, 4, 4]
    d.projection = {classes, features, d.parameter_count};
    append(&d.tensors, &d.parameter_count, "label_projection.weight", {classes, features}, features);
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

std::vector<CanonicalLayer> canonical_layers(const ModelSpec& spec, bool generator) {
  if (!spec.dcgan.canonical()) throw InternalError("canonical_layers: not a canonical DCGAN");
  const NetworkSpec& n = generator ? spec.generator : spec.discriminator;
  const int64_t size = spec.image_height, stages = size == 32 ? 3 : 4;
  std::vector<CanonicalLayer> layers;
  int64_t index = 0;
  for (const TensorSlot& slot : n.tensors) {
    if (slot.shape.size() != 4) continue;  // BatchNorm's vectors come with their layer
    CanonicalLayer layer;
    const int64_t k = static_cast<int64_t>(layers.size());
    layer.weight = slot.offset;
    layer.transposed = generator;
    if (generator) {
      // [Cin, Cout, 4, 4] to a map of 4 * 2^k (the first layer from 1 x 1, stride 1, no padding).
      const int64_t out_size = int64_t{4} << k;
      layer.shape = ConvShape{1, slot.shape[0], slot.shape[1], out_size, out_size, 4, k == 0 ? 1 : 2, k == 0 ? 0 : 1};
      layer.batch_norm = k < stages;
      layer.activation = k < stages ? Activation::kLeakyRelu : Activation::kTanh;  // ReLU: slope 0
      layer.slope = 0;
    } else {
      // [Cout, Cin, 4, 4] from a map of size / 2^k (the last to 1 x 1, stride 1, no padding).
      const int64_t in_size = size >> k;
      const bool last = k == stages;
      layer.shape = ConvShape{1, slot.shape[1], slot.shape[0], in_size, in_size, 4, last ? 1 : 2, last ? 0 : 1};
      layer.batch_norm = k > 0 && !last;
      layer.activation = last ? Activation::kIdentity : Activation::kLeakyRelu;
      layer.slope = spec.slope;
    }
    index = std::stoll(slot.name.substr(5));  // "main.<index>.weight"
    if (layer.batch_norm) {
      const std::string prefix = "main." + std::to_string(index + 1) + ".";
      layer.bn = {n.tensor(prefix + "weight").offset, n.tensor(prefix + "bias").offset,
                  n.buffer(prefix + "running_mean").offset, n.buffer(prefix + "running_var").offset};
    }
    layers.push_back(layer);
  }
  return layers;
}

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
  auto is_drawn = [](const TensorSlot& slot) { return slot.fan_in > 0 || slot.init_std > 0; };
  std::vector<TensorSlot> drawn;
  for (const TensorSlot& slot : network.tensors) {
    if (is_drawn(slot)) drawn.push_back(slot);
  }
  std::fill(params, params + network.parameter_count, 0.0f);
  std::vector<float> scratch(network.parameter_count, 0.0f);
  init_tensors(drawn, network.parameter_count, network_index, seed, scratch.data());
  for (const TensorSlot& slot : network.tensors) {
    const bool gamma = slot.fan_in == 0 && slot.name.size() >= 6 && slot.name.compare(slot.name.size() - 6, 6, "weight") == 0;
    for (size_t e = 0; e < slot.size; ++e) {
      params[slot.offset + e] = is_drawn(slot) ? scratch[slot.offset + e] : (gamma ? 1.0f : 0.0f);
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
