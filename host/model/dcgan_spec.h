#pragma once
// defines: make_dcgan_spec, make_canonical_dcgan_spec, LayerSlots, BatchNormSlots,
// DcganGeneratorSlots, DcganDiscriminatorSlots, dcgan_generator_slots, dcgan_discriminator_slots,
// CanonicalLayer, canonical_layers, init_dcgan_network, check_dcgan_batch — the convolutional GAN of the seed's section 4.4
// (issue 10) as data: every tensor's PyTorch state_dict name, shape and place in its network's
// flat buffers, exactly as tools/dcgan_model.py builds the model.
//
//   G: z -> project (Linear, C0*7*7) -> net.0 BatchNorm2d(C0) -> ReLU
//        -> net.2 ConvTranspose2d(C0, C1, 4, 2, 1) -> net.3 BatchNorm2d(C1) -> ReLU
//        -> net.5 ConvTranspose2d(C1, 1, 4, 2, 1) -> Tanh            (28 x 28)
//   D: net.0 Conv2d(1, C1, 4, 2, 1) -> LeakyReLU -> net.2 Conv2d(C1, C0, 4, 2, 1)
//        -> net.3 BatchNorm2d(C0) -> LeakyReLU -> flatten -> net.6 Linear(C0*7*7, 1): a logit
// Conditional: G sees cat(label_emb(y), z); D's logit gains <label_projection(y), features>,
// the features being net.6's input (docs/ARCHITECTURE.md says why a projection).
// Trainable tensors (Adam updates them) and buffers (BatchNorm's running statistics) live in
// two flat buffers per network (NetworkSpec::tensors, ::buffers). 28 x 28 images only: the
// architecture fixes the size.
#include <cstdint>
#include <vector>

#include "model/conv_shape.h"
#include "model/model_spec.h"

namespace gan {

// classes > 0: the conditional DCGAN. G's table "label_emb.weight" [classes, label_dim]
// (label_dim 0: classes; N(0, 1) as nn.Embedding) comes first and its row is concatenated in
// front of z, so "project.weight" is [C0*7*7, label_dim + latent]; D ends with the projection
// term's table "label_projection.weight" [classes, C0*7*7], drawn as net.6.weight is
// (U(+-1/sqrt(C0*7*7))).
ModelSpec make_dcgan_spec(int64_t latent_dim, int64_t c0, int64_t c1, float slope, int64_t classes = 0,
                          int64_t label_dim = 0);

// The canonical DCGAN of Radford et al. as pytorch/examples' dcgan builds it, at `size` 32 or 64
// pixels with `channels` 1 or 3, ngf = ndf = `width`, n = log2(size) - 2 stages, no conv biases:
//   G: z as [latent, 1, 1] -> main.0 ConvTranspose2d(latent, width*2^(n-1), 4, 1, 0) (4 x 4)
//        -> BatchNorm -> ReLU, then per stage ConvTranspose2d(4, 2, 1) halving the channels
//        -> BatchNorm -> ReLU, ... -> main.3n ConvTranspose2d(width, channels, 4, 2, 1) -> Tanh
//   D: main.0 Conv2d(channels, width, 4, 2, 1) -> LeakyReLU, then per stage Conv2d(4, 2, 1)
//        doubling the channels -> BatchNorm -> LeakyReLU, ... -> main.(3n-1)
//        Conv2d(width*2^(n-1), 1, 4, 1, 0): a logit (pytorch/examples' Sigmoid is in our loss)
// Init as the paper and pytorch/examples: conv weights N(0, 0.02), BatchNorm weights
// N(1, 0.02), BatchNorm biases 0; running statistics 0 and 1.
// classes > 0 (--conditional) as the 28x28 model: G's label_emb.weight [classes, label_dim]
// first (N(0, 1)), its row in front of z, so main.0 takes label_dim + latent channels; D's
// label_projection.weight [classes, width*2^(n-1)*16] last (U(+-1/sqrt(features))), its row's
// inner product with the features entering D's last conv added to the logit.
ModelSpec make_canonical_dcgan_spec(int64_t latent_dim, int64_t width, int64_t channels, int64_t size, float slope,
                                    int64_t classes = 0, int64_t label_dim = 0);

// A convolution's or linear layer's weight and bias: offsets in its network's parameters.
struct LayerSlots {
  size_t weight = 0, bias = 0;
};

// A BatchNorm layer: gamma and beta in the parameters, running mean and variance in the buffers.
struct BatchNormSlots {
  size_t weight = 0, bias = 0, running_mean = 0, running_var = 0;
};

// Where each of the DCGAN's tensors lives, looked up by name once, so that the passes index the
// flat buffers directly instead of searching names on every step.
struct DcganGeneratorSlots {
  LayerSlots project;   // "project."
  BatchNormSlots bn0;   // "net.0."
  LayerSlots deconv1;   // "net.2."
  BatchNormSlots bn1;   // "net.3."
  LayerSlots deconv2;   // "net.5."
};
struct DcganDiscriminatorSlots {
  LayerSlots conv1;    // "net.0."
  LayerSlots conv2;    // "net.2."
  BatchNormSlots bn2;  // "net.3."
  LayerSlots linear;   // "net.6."
};
DcganGeneratorSlots dcgan_generator_slots(const NetworkSpec& generator);
DcganDiscriminatorSlots dcgan_discriminator_slots(const NetworkSpec& discriminator);

// One layer of a canonical DCGAN network: a convolution (transposed in G) without bias, then
// BatchNorm or not, then the activation (ReLU is LeakyReLU of slope 0).
struct CanonicalLayer {
  ConvShape shape;  // at batch 1 (for a ConvTranspose2d, height/width are its output's)
  bool transposed = false;
  size_t weight = 0;  // offset of [Cout, Cin, 4, 4] (Conv2d) or [Cin, Cout, 4, 4] (ConvTranspose2d)
  bool batch_norm = false;
  BatchNormSlots bn;
  Activation activation = Activation::kIdentity;
  float slope = 0;

  // Values per image of the layer's output and input: channels x height x width (a transposed
  // layer's shape holds its output map; out_height() is then its input's).
  int64_t output_size() const {
    return transposed ? shape.out_channels * shape.height * shape.width
                      : shape.out_channels * shape.out_height() * shape.out_width();
  }
  int64_t input_size() const {
    return transposed ? shape.in_channels * shape.out_height() * shape.out_width()
                      : shape.in_channels * shape.height * shape.width;
  }
};

// The layers of G (`generator` true) or D of a canonical spec, in order.
std::vector<CanonicalLayer> canonical_layers(const ModelSpec& spec, bool generator);

// PyTorch's default init from our Philox stream: Linear, Conv2d and ConvTranspose2d weights and
// biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (a ConvTranspose2d's fan_in is Cout*K*K, as PyTorch
// computes it from the weight's second dimension); BatchNorm weight 1, bias 0; running mean 0,
// running var 1. params: [parameter_count], buffers: [buffer_count], padding 0. A tensor with
// init_std > 0 is drawn N(init_mean, init_std^2) instead (the label tables; the canonical DCGAN).
void init_dcgan_network(const NetworkSpec& network, uint32_t network_index, uint64_t seed, float* params,
                        float* buffers);

// Throws gan::Error unless a training batch of this size can go through the DCGAN: BatchNorm's
// batch statistics need two images at least (PyTorch refuses one as well). Both trainers ask.
void check_dcgan_batch(int64_t batch);

}  // namespace gan
