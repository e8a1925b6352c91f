#pragma once
// defines: ModelKind, model_kind_name, AdversarialLoss, adversarial_loss_name, LinearLayer, TensorSlot, state_dict_name, SpectralNormLayer, LabelEmbedding, LabelProjection, NetworkSpec,
// DcganShape, ModelChoice, ModelSpec, make_mlp_spec, make_model_spec, make_mlp_network,
// init_parameters, init_tensors, training_memory_bytes
//
// The seed's MLP GAN as data: layer widths, activations, and where every tensor lives in its
// network's flat parameter buffer. Tensor names are the PyTorch state_dict names of the seed's
// nn.Sequential ("model.0.weight", "model.0.bias", "model.2.weight", ...), so checkpoints load
// straight into the seed's code. Layouts are PyTorch's: a weight is [out, in], row-major.
#include <cstdint>
#include <string>
#include <vector>

#include "activation.cuh"  // Activation, shared with the kernels
#include "model/augment.h"

namespace gan {

// Which GAN: the seed's fully connected one, or its convolutional variant (section 4.4).
enum class ModelKind { kMlp, kDcgan };

const char* model_kind_name(ModelKind kind);  // "mlp", "dcgan": config files, checkpoints, traces

// The adversarial loss (--loss): the seed's BCE, or the hinge loss of Lim and Ye (2017), as
// BigGAN and StudioGAN train with it: D minimises mean relu(1 - D(x)) + mean relu(1 + D(G(z))),
// G minimises -mean D(G(z)), D(.) the raw logit.
enum class AdversarialLoss { kBce, kHinge };

const char* adversarial_loss_name(AdversarialLoss loss);  // "bce", "hinge"

const char* activation_name(Activation activation);

struct LinearLayer {
  int64_t in = 0, out = 0;
  Activation activation = Activation::kIdentity;
  size_t weight_offset = 0;  // W: [out, in] at params + weight_offset
  size_t bias_offset = 0;    // b: [out]     at params + bias_offset
};

struct TensorSlot {
  std::string name;            // "model.0.weight"
  std::vector<int64_t> shape;  // {out, in} or {out}
  size_t offset = 0;           // in floats, a multiple of kTensorAlignment
  size_t size = 0;             // product of shape
  int64_t fan_in = 0;          // of the layer it belongs to (for PyTorch's init bounds)
  float init_std = 0;          // > 0: N(init_mean, init_std^2), as nn.Embedding's N(0, 1); 0: U(+-1/sqrt(fan_in))
  float init_mean = 0;
  bool spectral_norm = false;  // a weight under spectral norm: stored as PyTorch names it, name + "_orig"
};

// The name a tensor has in PyTorch's state_dict, and so in checkpoints and traces: its own, or
// "<name>_orig" for a weight under torch.nn.utils.spectral_norm.
std::string state_dict_name(const TensorSlot& slot);

// A weight under spectral norm (--spectral-norm, model/spectral_norm.h): the weight read as a
// matrix [rows, cols] (dim 0 by the rest, as torch.nn.utils.spectral_norm reads Linear and Conv2d
// weights), its power iteration's vectors u [rows] and v [cols] kept as buffers.
struct SpectralNormLayer {
  size_t weight = 0;     // at params + weight
  size_t u = 0, v = 0;   // at buffers + u, buffers + v
  int64_t rows = 0, cols = 0;
};

// How a conditional network sees the label: a table of one learned row per class
// (nn.Embedding), whose row for each example's label is concatenated to the first layer's
// input, its `dim` columns starting at `column`. classes == 0: the network takes no label.
struct LabelEmbedding {
  int64_t classes = 0, dim = 0;
  int64_t column = 0;  // G: 0 (cat(embedding, z)); D: H*W (cat(image, embedding)), as cgan.py
  size_t offset = 0;   // the table [classes, dim] at params + offset
};

// The projection discriminator's label term (Miyato and Koyama, 2018), the conditional DCGAN's
// D: a table of one learned row per class, [classes, features], whose inner product with the
// features entering D's last linear layer is added to the logit. classes == 0: none.
struct LabelProjection {
  int64_t classes = 0, features = 0;
  size_t offset = 0;  // the table [classes, features] at params + offset
};

// Every tensor starts at a multiple of 16 floats (64 bytes), so float4 loads are aligned on a
// GPU and the padding after D's 1-element last bias keeps the next tensor aligned.
constexpr size_t kTensorAlignment = 16;

// The next offset at or after `offset` where a tensor may start.
size_t aligned(size_t offset);

struct NetworkSpec {
  std::string name;  // "generator" or "discriminator": the checkpoint prefix
  std::vector<LinearLayer> layers;  // the MLP's layers (empty for the DCGAN)
  LabelEmbedding label;             // a conditional network's label input (MLP G and D, DCGAN G)
  LabelProjection projection;       // the conditional DCGAN's D: its label term
  std::vector<TensorSlot> tensors;  // trainable tensors, in state_dict order
  size_t parameter_count = 0;       // padded length of the flat parameter buffer
  std::vector<TensorSlot> buffers;  // non-trainable state (BatchNorm's running statistics, SN's u and v)
  size_t buffer_count = 0;          // padded length of the flat buffer of buffers
  std::vector<SpectralNormLayer> spectral_norm;  // D's weights under spectral norm; empty: none

  const TensorSlot& tensor(const std::string& tensor_name) const;  // throws if absent
  const TensorSlot& buffer(const std::string& tensor_name) const;

  int64_t input_size() const { return layers.front().in; }
  int64_t output_size() const { return layers.back().out; }
  int64_t widest_layer() const;
  int64_t real_parameter_count() const;  // without padding
};

// The DCGAN's own numbers (ModelSpec::kind == ModelKind::kDcgan; model/dcgan_spec.h).
struct DcganShape {
  int64_t c0 = 128, c1 = 64;                // channels: G's projection / D's second conv, and the middle
  double bn_eps = 1e-5, bn_momentum = 0.1;  // PyTorch's BatchNorm defaults
  // > 0: the canonical DCGAN of pytorch/examples at 32 or 64 pixels (dcgan_spec.h,
  // make_canonical_dcgan_spec) with this base width (ngf = ndf); 0: the seed's 28 x 28 model.
  int64_t width = 0;
  bool canonical() const { return width > 0; }
};

// What a run's configuration says about the model (train/config.h's model_choice() makes one).
struct ModelChoice {
  ModelKind kind = ModelKind::kMlp;
  int64_t latent_dim = 100;
  std::vector<int64_t> g_hidden, d_hidden;  // the MLP's hidden widths
  std::vector<int64_t> dcgan_channels;      // the DCGAN's [C0, C1]
  float slope = 0.2f;                       // LeakyReLU's negative slope
  int64_t classes = 0;                      // > 0: conditional on a label in 0 .. classes-1
  int64_t label_dim = 0;                    // the label tables' width (0: classes, as cgan.py)
  bool projection = false;                  // the conditional MLP: D's logit gains a projection term
  int64_t channels = 1;                     // the images' channels: 1 grey, 3 RGB
};

struct ModelSpec {
  ModelKind kind = ModelKind::kMlp;
  int64_t latent_dim = 0;
  int64_t image_height = 0, image_width = 0;
  int64_t channels = 1;  // 1 grey, 3 RGB: an image is [channels, height, width], flattened
  float slope = 0.2f;
  int64_t classes = 0;  // > 0: a conditional GAN; both networks see a label in 0 .. classes-1
  DcganShape dcgan;  // kind == ModelKind::kDcgan only
  NetworkSpec generator;      // latent -> g_hidden... -> H*W (Tanh)
  NetworkSpec discriminator;  // H*W -> d_hidden... -> 1 (a logit; the Sigmoid is in the loss)
  AdversarialLoss loss = AdversarialLoss::kBce;  // what both steps minimise on D's logits
  AugmentPolicy augment;  // DiffAugment on every image D sees (model/augment.h); none by default

  int64_t image_size() const { return channels * image_height * image_width; }  // values per image
  bool conditional() const { return classes > 0; }
};

// The seed's MLP; with choice.classes > 0 the conditional MLP of PyTorch-GAN's cgan.py on the
// seed's layers: G sees cat(label_emb(y), z), D sees cat(image, label_embedding(y)), each
// table [classes, classes]; with choice.projection D's logit also gains the projection term
// (LabelProjection) over its last layer's input, "label_projection.weight" last in D.
ModelSpec make_mlp_spec(const ModelChoice& choice, int64_t image_height, int64_t image_width);

// The model the choice names: the MLP, or the DCGAN (which takes 28 x 28 images only: other
// sizes are an InputError naming the key).
ModelSpec make_model_spec(const ModelChoice& choice, int64_t image_height, int64_t image_width);

// Linear layers widths[0] -> widths[1] -> ...; LeakyReLU after every layer but the last, which
// has `last`. Tensor names follow nn.Sequential ("model.0.weight", ...). With label.classes > 0
// the network first holds the label table, named `label_name` (N(0, 1) init, as nn.Embedding),
// and widths[0] counts its columns.
NetworkSpec make_mlp_network(const std::string& name, const std::vector<int64_t>& widths, Activation last,
                             const LabelEmbedding& label = {}, const std::string& label_name = "");

// PyTorch's nn.Linear default init, from our Philox stream: W and b ~ U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)). params: [network.parameter_count], padding set to 0. network_index keeps
// G's and D's streams apart.
void init_parameters(const NetworkSpec& network, uint32_t network_index, uint64_t seed, float* params);

// The same init for any list of tensors in a flat buffer of `count` floats.
void init_tensors(const std::vector<TensorSlot>& tensors, size_t count, uint32_t network_index, uint64_t seed,
                  float* params);

// Bytes a trainer holds for this model at this batch: parameters, gradients and two Adam
// moments of both networks, plus the activations of a step (D sees 2B rows). Computed in
// double so that absurd configurations do not overflow before they are refused.
double training_memory_bytes(const ModelSpec& spec, int64_t batch);

}  // namespace gan
