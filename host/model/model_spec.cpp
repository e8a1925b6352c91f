#include "model/model_spec.h"

#include <algorithm>
#include <cmath>

#include "model/dcgan_spec.h"
#include "philox.cuh"
#include "util/error.h"

namespace gan {

const char* model_kind_name(ModelKind kind) { return kind == ModelKind::kDcgan ? "dcgan" : "mlp"; }

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::kIdentity: return "identity";
    case Activation::kLeakyRelu: return "leaky_relu";
    case Activation::kTanh: return "tanh";
  }
  return "?";
}

const char* adversarial_loss_name(AdversarialLoss loss) { return loss == AdversarialLoss::kHinge ? "hinge" : "bce"; }

int64_t NetworkSpec::widest_layer() const {
  int64_t widest = input_size();
  for (const auto& layer : layers) widest = std::max(widest, layer.out);
  return widest;
}

namespace {

const TensorSlot& find_slot(const std::vector<TensorSlot>& slots, const std::string& network, const std::string& name) {
  for (const TensorSlot& slot : slots) {
    if (slot.name == name) return slot;
  }
  throw InternalError("" + network + " has no tensor " + name);
}

}  // namespace

const TensorSlot& NetworkSpec::tensor(const std::string& tensor_name) const { return find_slot(tensors, name, tensor_name); }
std::string state_dict_name(const TensorSlot& slot) { return slot.spectral_norm ? slot.name + "_orig" : slot.name; }

const TensorSlot& NetworkSpec::buffer(const std::string& tensor_name) const { return find_slot(buffers, name, tensor_name); }

int64_t NetworkSpec::real_parameter_count() const {
  int64_t total = 0;
  for (const auto& tensor : tensors) total += static_cast<int64_t>(tensor.size);
  return total;
}

size_t aligned(size_t offset) { return (offset + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment; }

NetworkSpec make_mlp_network(const std::string& name, const std::vector<int64_t>& widths, Activation last,
                             const LabelEmbedding& label, const std::string& label_name) {
  NetworkSpec network;
  network.name = name;
  size_t offset = 0;
  if (label.classes > 0) {
    // First in the state_dict, as the module that cgan.py defines first.
    network.label = label;
    network.label.offset = offset;
    const size_t size = static_cast<size_t>(label.classes * label.dim);
    network.tensors.push_back({label_name, {label.classes, label.dim}, offset, size, label.classes, 1.0f});
    offset = aligned(offset + size);
  }
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    LinearLayer layer;
    layer.in = widths[i];
    layer.out = widths[i + 1];
    layer.activation = (i + 2 == widths.size()) ? last : Activation::kLeakyRelu;
    // nn.Sequential numbers the activations too: linear i sits at index 2 * i.
    const std::string prefix = "model." + std::to_string(2 * i) + ".";
    layer.weight_offset = offset;
    network.tensors.push_back({prefix + "weight", {layer.out, layer.in}, offset,
                               static_cast<size_t>(layer.out * layer.in), layer.in});
    offset = aligned(offset + static_cast<size_t>(layer.out * layer.in));
    layer.bias_offset = offset;
    network.tensors.push_back({prefix + "bias", {layer.out}, offset, static_cast<size_t>(layer.out), layer.in});
    offset = aligned(offset + static_cast<size_t>(layer.out));
    network.layers.push_back(layer);
  }
  network.parameter_count = offset;
  return network;
}

ModelSpec make_mlp_spec(const ModelChoice& choice, int64_t image_height, int64_t image_width) {
  ModelSpec spec;
  spec.latent_dim = choice.latent_dim;
  spec.image_height = image_height;
  spec.image_width = image_width;
  spec.slope = static_cast<float>(choice.slope);
  spec.classes = choice.classes;
  spec.channels = choice.channels;
  const int64_t pixels = choice.channels * image_height * image_width;
  // cgan.py's tables are [classes, classes]: the label's width is the number of classes.
  const int64_t label_width = choice.label_dim > 0 ? choice.label_dim : choice.classes;
  std::vector<int64_t> g_widths = {label_width + choice.latent_dim};
  g_widths.insert(g_widths.end(), choice.g_hidden.begin(), choice.g_hidden.end());
  g_widths.push_back(pixels);
  std::vector<int64_t> d_widths = {pixels + label_width};
  d_widths.insert(d_widths.end(), choice.d_hidden.begin(), choice.d_hidden.end());
  d_widths.push_back(1);
  spec.generator = make_mlp_network("generator", g_widths, Activation::kTanh, {choice.classes, label_width, 0},
                                    "label_emb.weight");
  spec.discriminator = make_mlp_network("discriminator", d_widths, Activation::kIdentity,
                                        {choice.classes, label_width, pixels}, "label_embedding.weight");
  if (choice.classes > 0 && choice.projection) {
    // Last in the state_dict: the projection's table over the last layer's input, drawn as that
    // layer's weight is.
    NetworkSpec& d = spec.discriminator;
    const int64_t features = d.layers.back().in;
    d.projection = {choice.classes, features, d.parameter_count};
    const size_t size = static_cast<size_t>(choice.classes * features);
    d.tensors.push_back({"label_projection.weight", {choice.classes, features}, d.parameter_count, size, features});
    d.parameter_count = aligned(d.parameter_count + size);
  }
  return spec;
}

ModelSpec make_model_spec(const ModelChoice& choice, int64_t image_height, int64_t image_width) {
  if (choice.kind != ModelKind::kDcgan) return make_mlp_spec(choice, image_height, image_width);
  if (image_height == image_width && (image_height == 32 || image_height == 64)) {
    return make_canonical_dcgan_spec(choice.latent_dim, choice.dcgan_channels.back(), choice.channels, image_height,
                                     static_cast<float>(choice.slope), choice.classes, choice.label_dim);
  }
  if (image_height != 28 || image_width != 28) {
    throw InputError("key 'model': dcgan generates 28x28 images (the seed's model) or 32x32 and 64x64 (DCGAN's), but "
                     "the data's are " + std::to_string(image_height) + "x" + std::to_string(image_width) +
                     " (an image folder's size is --image-size)");
  }
  if (choice.channels != 1) throw InputError("key 'channels': the 28x28 DCGAN is grey; use --image-size 32 or 64 for colour");
  if (choice.dcgan_channels.size() != 2) {
    throw InputError("key 'dcgan_channels': the 28x28 DCGAN takes two channel counts [C0, C1]");
  }
  return make_dcgan_spec(choice.latent_dim, choice.dcgan_channels.at(0), choice.dcgan_channels.at(1),
                         static_cast<float>(choice.slope), choice.classes, choice.label_dim);
}

double training_memory_bytes(const ModelSpec& spec, int64_t batch) {
  auto activations = [](const std::vector<int64_t>& widths) {
    double total = 0;
    for (int64_t w : widths) total += double(w);
    return total;
  };
  const double per_parameter = 4.0 * sizeof(float);  // value, gradient, two moments
  const double trainable = double(spec.generator.real_parameter_count() + spec.discriminator.real_parameter_count());
  if (spec.kind == ModelKind::kDcgan && spec.dcgan.canonical()) {
    // Per image: each layer keeps its convolution's output and its activated output; G's maps
    // live once (its two passes share them), D's twice (real and fake; the G step reuses the
    // real pass's).
    double g_maps = 0, d_maps = 0;
    for (const bool generator : {true, false}) {
      for (const CanonicalLayer& layer : canonical_layers(spec, generator)) {
        (generator ? g_maps : d_maps) += 2 * double(layer.output_size());
      }
    }
    return per_parameter * trainable + sizeof(float) * double(batch) * (g_maps + 2 * d_maps + 2 * double(spec.image_size()));
  }
  if (spec.kind == ModelKind::kDcgan) {
    // Per image: G keeps 3 maps at each resolution (pre-norm, normed, activated) and the image
    // twice; D keeps 2 or 3 per layer, and sees the real and the fake batch.
    const double c0 = double(spec.dcgan.c0), c1 = double(spec.dcgan.c1);
    const double g_maps = 3 * c0 * 49 + 3 * c1 * 196 + 2 * 784, d_maps = 2 * c1 * 196 + 3 * c0 * 49 + 1;
    return per_parameter * trainable + sizeof(float) * double(batch) * (2 * g_maps + 3 * d_maps);
  }
  std::vector<int64_t> g = {spec.generator.layers.front().in}, d = {spec.discriminator.layers.front().in};
  for (const auto& l : spec.generator.layers) g.push_back(l.out);
  for (const auto& l : spec.discriminator.layers) d.push_back(l.out);
  return per_parameter * trainable +
         sizeof(float) * double(batch) * (2 * activations(g) + 4 * activations(d));
}

void init_parameters(const NetworkSpec& network, uint32_t network_index, uint64_t seed, float* params) {
  init_tensors(network.tensors, network.parameter_count, network_index, seed, params);
}

void init_tensors(const std::vector<TensorSlot>& tensors, size_t count, uint32_t network_index, uint64_t seed,
                  float* params) {
  std::fill(params, params + count, 0.0f);
  for (size_t t = 0; t < tensors.size(); ++t) {
    const TensorSlot& tensor = tensors[t];
    const double bound = 1.0 / std::sqrt(static_cast<double>(tensor.fan_in));
    const uint64_t stream = (uint64_t{network_index} << 32) | t;
    if (tensor.init_std > 0) {
      for (size_t e = 0; e < tensor.size; ++e) {
        params[tensor.offset + e] = tensor.init_mean + tensor.init_std * random_normal(seed, RandomPurpose::kInit, stream, e);
      }
      continue;
    }
    for (size_t e = 0; e < tensor.size; ++e) {
      const float u = random_uniform01(random_bits(seed, RandomPurpose::kInit, stream, e));
      params[tensor.offset + e] = static_cast<float>(-bound + 2.0 * bound * static_cast<double>(u));
    }
  }
}

}  // namespace gan
