#include "model/step_plan.h"

#include <algorithm>
#include <cmath>

#include "model/augment.h"
#include "model/conv_shape.h"
#include "model/dcgan_spec.h"
#include "util/error.h"

namespace gan {

std::vector<double> layer_macs(const ModelSpec& spec, const NetworkSpec& network) {
  std::vector<double> macs;
  if (spec.kind == ModelKind::kDcgan && spec.dcgan.canonical()) {
    // Each (transposed) convolution: Cout * Cin * 16 multiply-adds per pixel of the map of the
    // Conv2d it is (or is the adjoint of).
    for (const CanonicalLayer& layer : canonical_layers(spec, &network == &spec.generator)) {
      const ConvShape& s = layer.shape;
      macs.push_back(static_cast<double>(s.in_channels * s.out_channels * s.kernel * s.kernel * s.out_height() *
                                         s.out_width()));
    }
    return macs;
  }
  if (spec.kind == ModelKind::kDcgan) {
    const double c0 = static_cast<double>(spec.dcgan.c0), c1 = static_cast<double>(spec.dcgan.c1), kk = 16;
    if (&network == &spec.generator) return {static_cast<double>(spec.latent_dim) * c0 * 49, c0 * c1 * kk * 49, c1 * kk * 196};
    return {c1 * kk * 196, c1 * c0 * kk * 49, c0 * 49};
  }
  for (const LinearLayer& layer : network.layers) macs.push_back(static_cast<double>(layer.in) * static_cast<double>(layer.out));
  return macs;
}

double step_flops(const ModelSpec& spec, int64_t batch) {
  auto total = [&](const NetworkSpec& network, bool skip_first) {
    const std::vector<double> macs = layer_macs(spec, network);
    double sum = 0;
    for (size_t l = skip_first ? 1 : 0; l < macs.size(); ++l) sum += macs[l];
    return sum;
  };
  const double g = total(spec.generator, false), d = total(spec.discriminator, false);
  const double g_in = total(spec.generator, true), d_in = total(spec.discriminator, true);
  const double d_step = g + 2 * d + 2 * d + 2 * d_in;
  const double g_step = g + d + d + g + g_in;
  return 2.0 * static_cast<double>(batch) * (d_step + g_step);
}

namespace {

// The loss kernel's name in the plan, for `logits` logits under spec.loss (--loss).
std::string loss_kernel(const ModelSpec& spec, int64_t logits) {
  return (spec.loss == AdversarialLoss::kHinge ? "hinge loss " : "BCE with logits ") + std::to_string(logits);
}

constexpr double kFloat = 4;  // bytes

int64_t tiles(int64_t rows, int64_t cols) { return ((rows + 63) / 64) * ((cols + 63) / 64); }

std::string shape(int64_t rows, int64_t cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

const char* activation_label(Activation activation) {
  switch (activation) {
    case Activation::kLeakyRelu: return "LeakyReLU";
    case Activation::kTanh: return "Tanh";
    case Activation::kIdentity: break;
  }
  return "identity";
}

// Appends kernels lane by lane, each waiting for the previous kernel of its lane and for what
// wait() asked, as the streams and events of the GPU step order them.
class PlanBuilder {
 public:
  explicit PlanBuilder(const StepPlanOptions& options) : options_(options) {}

  void add(const std::string& phase, const std::string& name, double flops, double bytes, int64_t gemm_tiles = 0,
           int lane = 0) {
    PlannedKernel kernel{phase, name, flops, bytes, gemm_tiles, lane, std::move(pending_[lane])};
    pending_[lane].clear();
    if (last_[lane] != kNone) kernel.after.push_back(last_[lane]);
    last_[lane] = plan_.size();
    plan_.push_back(std::move(kernel));
  }
  // G's Adam over its `count` parameters, and its average's update where the run keeps one
  // (GpuTrainer::enqueue_step, on the trainer's stream).
  void generator_update(int64_t count) {
    const double n = static_cast<double>(count);
    add("Adam G", "Adam " + std::to_string(count), 0, 7 * kFloat * n);
    if (options_.generator_average) add("EMA G", "EMA " + std::to_string(count), 0, 3 * kFloat * n);
  }
  // Under spectral norm (GpuTrainer::enqueue_spectral_norm, kernels/spectral_norm.cu), per weight
  // of D under it: with `iterate` the power iteration (W^T u in partial sums, v, then W v), else
  // W v alone; u and sigma; and W / sigma.
  void spectral_norm(const std::string& phase, const NetworkSpec& discriminator, bool iterate) {
    for (const SpectralNormLayer& layer : discriminator.spectral_norm) {
      const double w = static_cast<double>(layer.rows * layer.cols), rows = static_cast<double>(layer.rows);
      const double cols = static_cast<double>(layer.cols), partials = 8 * std::ceil(rows / 32) * cols;
      const std::string weight = shape(layer.rows, layer.cols);
      if (iterate) {
        add(phase, "spectral norm W^T u " + weight, 2 * w, kFloat * (w + rows) + partials);
        add(phase, "spectral norm v " + std::to_string(layer.cols), 0, partials + kFloat * cols);
      }
      add(phase, "spectral norm W v " + weight, 2 * w, kFloat * (w + cols) + 8 * rows);
      add(phase, std::string(iterate ? "spectral norm u, sigma " : "spectral norm sigma ") + std::to_string(layer.rows),
          2 * rows, 8 * rows + kFloat * rows);
      add(phase, "spectral norm W / sigma " + weight, w, 2 * kFloat * w);
    }
  }
  // Its backward after D's (GpuTrainer::enqueue_spectral_norm_backward): sum(grad * W) in
  // partial sums, then grad rewritten.
  void spectral_norm_backward(const NetworkSpec& discriminator) {
    for (const SpectralNormLayer& layer : discriminator.spectral_norm) {
      const double w = static_cast<double>(layer.rows * layer.cols);
      const std::string weight = shape(layer.rows, layer.cols);
      add("spectral norm backward", "spectral norm sum(grad * W) " + weight, 2 * w, 2 * kFloat * w);
      add("spectral norm backward", "spectral norm backward " + weight, 4 * w, 2 * kFloat * w);
    }
  }
  // Under DiffAugment (GpuAugment, cuda/gpu_model.h): the three sites' draws in the data stage,
  // `batches` transforms of B images, and the G step's backward through them. A transform with
  // color makes about four passes over its images in each direction, one without.
  void augment_draws(const ModelSpec& spec, int64_t B) {
    if (!spec.augment.any()) return;
    for (int site = 0; site < 3; ++site) {
      add("data", "augment draws " + shape(B, kAugmentDraws), 0, kFloat * static_cast<double>(B * kAugmentDraws));
    }
  }
  void augment(const std::string& phase, const ModelSpec& spec, int64_t B, int batches) {
    if (!spec.augment.any()) return;
    for (int i = 0; i < batches; ++i) {
      add(phase, "DiffAugment " + augment_policy_name(spec.augment) + " " + shape(B, spec.image_size()), 0,
          augment_bytes(spec, B));
    }
  }
  void augment_backward(const std::string& phase, const ModelSpec& spec, int64_t B) {
    if (spec.augment.any()) add(phase, "DiffAugment backward " + shape(B, spec.image_size()), 0, augment_bytes(spec, B));
  }
  // The next kernel on `lane` waits for everything enqueued so far on `on` (an event recorded on
  // one stream, waited for by the other).
  void wait(int lane, int on) {
    if (last_[on] != kNone) pending_[lane].push_back(last_[on]);
  }

  // One linear layer's forward over `rows` rows, as gpu_mlp_forward launches it.
  void forward(const std::string& phase, const LinearLayer& layer, int64_t rows, int lane) {
    const double flops = 2.0 * static_cast<double>(rows * layer.in * layer.out);
    const double x = static_cast<double>(rows * layer.in), w = static_cast<double>(layer.out * layer.in);
    const double y = static_cast<double>(rows * layer.out), b = static_cast<double>(layer.out);
    const std::string what = shape(rows, layer.in) + " -> " + std::to_string(layer.out);
    if (options_.fused_forward) {
      add(phase, std::string("fused linear+") + activation_label(layer.activation) + " " + what, flops,
          kFloat * (x + w + b + y), tiles(rows, layer.out), lane);
    } else {
      add(phase, "GEMM forward " + what, flops, kFloat * (x + w + y), tiles(rows, layer.out), lane);
      add(phase, std::string("bias+") + activation_label(layer.activation) + " " + shape(rows, layer.out), 0,
          kFloat * (2 * y + b), 0, lane);
    }
  }

  // One network's backward, as gpu_mlp_backward launches it: with weights (bias gradients in the
  // activation's backward, the weight GEMMs on lane 2 with branches) or input gradients only;
  // the first layer's input GEMM only when `first_input_grad`.
  void backward(const std::string& phase, const NetworkSpec& network, int64_t rows, bool weights,
                bool first_input_grad) {
    const bool side = weights && options_.branches;
    bool side_pending = false;
    for (size_t l = network.layers.size(); l-- > 0;) {
      const LinearLayer& layer = network.layers[l];
      const double y = static_cast<double>(rows * layer.out), x = static_cast<double>(rows * layer.in);
      const double w = static_cast<double>(layer.out * layer.in);
      add(phase, std::string("activation backward ") + shape(rows, layer.out) + (weights ? " + bias grad" : ""), 0,
          kFloat * (3 * y + (weights ? static_cast<double>(layer.out) : 0)));
      if (side && side_pending) wait(0, 2);  // the previous layer's weight GEMM read the buffer dX is about to write
      const double gemm = 2.0 * static_cast<double>(rows * layer.in * layer.out);
      if (weights) {
        if (side) wait(2, 0);
        add(phase, "GEMM weight grad " + shape(layer.out, layer.in) + " (K " + std::to_string(rows) + ")", gemm,
            kFloat * (y + x + w), tiles(layer.out, layer.in), side ? 2 : 0);
        side_pending = side;
      }
      if (l > 0 || first_input_grad) {
        add(phase, "GEMM input grad " + shape(rows, layer.out) + " -> " + std::to_string(layer.in), gemm,
            kFloat * (y + w + x), tiles(rows, layer.in));
      }
    }
    if (side_pending) wait(0, 2);
  }

  std::vector<PlannedKernel> take() { return std::move(plan_); }

 private:
  static double augment_bytes(const ModelSpec& spec, int64_t B) {
    return kFloat * (spec.augment.color ? 8 : 2) * static_cast<double>(B * spec.image_size());
  }
  static constexpr size_t kNone = static_cast<size_t>(-1);
  StepPlanOptions options_;
  std::vector<PlannedKernel> plan_;
  size_t last_[3] = {kNone, kNone, kNone};
  std::vector<size_t> pending_[3];
};

}  // namespace

std::vector<PlannedKernel> plan_mlp_gpu_step(const ModelSpec& spec, int64_t B, const StepPlanOptions& options) {
  if (spec.kind != ModelKind::kMlp) throw InternalError("plan_mlp_gpu_step: the model is not the MLP");
  if (B < 1) throw InternalError("plan_mlp_gpu_step: batch " + std::to_string(B));
  // The label path's kernels are not in the plan yet (no device run has timed them).
  if (spec.conditional()) throw InputError("the step's plan covers the unconditional models only (not --conditional)");
  const NetworkSpec& G = spec.generator;
  const NetworkSpec& D = spec.discriminator;
  const double pixels = static_cast<double>(spec.image_size()), latent = static_cast<double>(spec.latent_dim);
  const double b = static_cast<double>(B);
  const double small = 64;  // a kernel that touches a few words
  auto adam_bytes = [](const NetworkSpec& n) { return 7 * kFloat * static_cast<double>(n.parameter_count); };

  PlanBuilder plan(options);
  plan.add("control", "set step control", 0, small);
  // The G step's generator forward reads G's parameters and its own noise only: with branches it
  // runs on lane 1 beside the whole D step (GpuTrainer::enqueue_step).
  const int g_lane = options.branches ? 1 : 0;
  auto generator_step_forward = [&] {
    plan.add("G step: noise", "normal noise " + shape(B, spec.latent_dim), 0, kFloat * b * latent, 0, g_lane);
    for (const LinearLayer& layer : G.layers) plan.forward("G step: G forward", layer, B, g_lane);
  };
  if (options.branches) {
    plan.wait(1, 0);
    generator_step_forward();
  }
  plan.add("data", "gather + normalise " + shape(B, spec.image_size()), 0, b * pixels * (1 + kFloat) + kFloat * b);
  plan.add("data", "normal noise " + shape(B, spec.latent_dim), 0, kFloat * b * latent);
  plan.augment_draws(spec, B);
  plan.spectral_norm("spectral norm", D, true);
  for (const LinearLayer& layer : G.layers) plan.forward("G forward", layer, B, 0);
  plan.augment("augment", spec, B, 2);
  for (const LinearLayer& layer : D.layers) plan.forward("D forward", layer, 2 * B, 0);
  plan.add("loss", loss_kernel(spec, 2 * B), 0, kFloat * 3 * 2 * b);
  plan.backward("D backward", D, 2 * B, true, false);
  plan.spectral_norm_backward(D);
  plan.add("Adam D", "Adam " + std::to_string(D.parameter_count), 0, adam_bytes(D));
  plan.spectral_norm("G step: spectral norm", D, false);
  if (options.branches) {
    plan.wait(0, 1);
  } else {
    generator_step_forward();
  }
  plan.augment("G step: augment", spec, B, 1);
  for (const LinearLayer& layer : D.layers) plan.forward("G step: D forward", layer, B, 0);
  const std::string rest = "G step: loss, D backward (input only), G backward";
  plan.add(rest, loss_kernel(spec, B), 0, kFloat * 3 * b);
  plan.backward(rest, D, B, false, true);
  plan.augment_backward(rest, spec, B);
  plan.backward(rest, G, B, true, false);
  plan.generator_update(G.parameter_count);
  plan.add("step", "record non-finite", 0, small);
  return plan.take();
}

namespace {

// The DCGAN's step, call by call, as gpu_dcgan_model.cpp enqueues it (28x28 images: G projects to
// C0 x 7 x 7, deconv1 to C1 x 14 x 14, deconv2 to 1 x 28 x 28; D mirrors it).
class DcganPlanner {
 public:
  DcganPlanner(const ModelSpec& spec, int64_t B, const StepPlanOptions& options)
      : spec_(spec), B_(B), b_(static_cast<double>(B)), fused_bn_(options.fused_batch_norm), plan_(options) {
    const int64_t c0 = spec.dcgan.c0, c1 = spec.dcgan.c1;
    deconv1_ = halving_shape(B, c0, c1, 14);
    deconv2_ = halving_shape(B, c1, 1, 28);
    conv1_ = halving_shape(B, 1, c1, 28);
    conv2_ = halving_shape(B, c1, c0, 14);
  }

  std::vector<PlannedKernel> plan() {
    const int64_t pixels = spec_.image_size(), latent = spec_.latent_dim;
    plan_.add("control", "set step control", 0, kSmall);
    plan_.add("data", "gather + normalise " + shape(B_, pixels), 0, b_ * pixels * (1 + kFloat) + kFloat * b_);
    plan_.add("data", "normal noise " + shape(B_, latent), 0, kFloat * b_ * latent);
    plan_.augment_draws(spec_, B_);
    plan_.spectral_norm("spectral norm", spec_.discriminator, true);
    generator_forward("G forward");
    plan_.augment("augment", spec_, B_, 2);
    discriminator_forward("D forward (real, fake)");
    discriminator_forward("D forward (real, fake)");
    plan_.add("loss", loss_kernel(spec_, 2 * B_), 0, kFloat * 3 * 2 * b_);
    discriminator_backward("D backward (real, fake)", true, false);
    discriminator_backward("D backward (real, fake)", true, false);
    const double d_params = static_cast<double>(spec_.discriminator.parameter_count);
    plan_.add("D backward (real, fake)", "add the fake half's gradients", 0, kFloat * 3 * d_params);
    plan_.spectral_norm_backward(spec_.discriminator);
    plan_.add("Adam D", "Adam " + std::to_string(spec_.discriminator.parameter_count), 0, 7 * kFloat * d_params);
    plan_.spectral_norm("G step: spectral norm", spec_.discriminator, false);
    plan_.add("G step: noise", "normal noise " + shape(B_, latent), 0, kFloat * b_ * latent);
    generator_forward("G step: G forward, D forward");
    plan_.augment("G step: G forward, D forward", spec_, B_, 1);
    discriminator_forward("G step: G forward, D forward");
    const std::string rest = "G step: loss, D backward (input only), G backward";
    plan_.add(rest, loss_kernel(spec_, B_), 0, kFloat * 3 * b_);
    discriminator_backward(rest, false, true);
    plan_.augment_backward(rest, spec_, B_);
    generator_backward(rest);
    plan_.generator_update(spec_.generator.parameter_count);
    plan_.add("step", "record non-finite", 0, kSmall);
    return plan_.take();
  }

 private:
  static constexpr double kSmall = 64;

  double image_elements(int64_t channels, int64_t size) const {
    return b_ * static_cast<double>(channels * size * size);
  }
  // A convolution pass as a GEMM of rows x cols output with `macs` multiply-adds.
  void conv_pass(const std::string& phase, const std::string& name, double macs, double in, double weights, double out,
                 int64_t rows, int64_t cols) {
    plan_.add(phase, name, 2 * macs, kFloat * (in + weights + out), tiles(rows, cols));
  }
  // What one pass of a Conv2d (or ConvTranspose2d) of `s` touches and costs, in elements.
  struct ConvWork {
    int64_t in_size = 0, out_size = 0;  // the layer's input and output edge in pixels
    double x = 0, y = 0, w = 0;         // the layer's input, output and weights
    double macs = 0;                    // multiply-adds of one pass (forward, dX or dW alike)
  };
  ConvWork conv_work(const ConvShape& s, bool transposed) const {
    ConvWork work;
    work.in_size = transposed ? s.out_height() : s.height;
    work.out_size = transposed ? s.height : s.out_height();
    work.x = image_elements(s.in_channels, work.in_size);
    work.y = image_elements(s.out_channels, work.out_size);
    work.w = static_cast<double>(s.in_channels * s.out_channels * s.kernel * s.kernel);
    // Cout Cin K K per output pixel of a Conv2d, per input pixel of a transpose.
    work.macs = (transposed ? work.x : work.y) * static_cast<double>(transposed ? s.out_channels : s.in_channels) *
                static_cast<double>(s.kernel * s.kernel);
    return work;
  }
  // One Conv2d (or ConvTranspose2d) of `s` forward, plus its bias add.
  void conv_forward(const std::string& phase, const char* label, const ConvShape& s, bool transposed) {
    const ConvWork c = conv_work(s, transposed);
    conv_pass(phase, std::string("cuDNN ") + label + " forward", c.macs, c.x, c.w, c.y, B_ * c.out_size * c.out_size,
              s.out_channels);
    plan_.add(phase, std::string("cuDNN ") + label + " bias add", 0,
              kFloat * (2 * c.y + static_cast<double>(s.out_channels)));
  }
  // Its backward: input gradient, weight gradient, bias gradient, each when asked.
  void conv_backward(const std::string& phase, const char* label, const ConvShape& s, bool transposed, bool dx,
                     bool weights) {
    const ConvWork c = conv_work(s, transposed);
    const std::string cudnn = std::string("cuDNN ") + label;
    if (dx) conv_pass(phase, cudnn + " input grad", c.macs, c.y, c.w, c.x, B_ * c.in_size * c.in_size, s.in_channels);
    if (weights) {
      conv_pass(phase, cudnn + " weight grad", c.macs, c.x, c.y, c.w, s.out_channels, s.in_channels * s.kernel * s.kernel);
      plan_.add(phase, cudnn + " bias grad", 0, kFloat * (c.y + static_cast<double>(s.out_channels)));
    }
  }
  // BatchNorm (training) and its activation over [B, C, plane]: cuDNN + our activation, or fused.
  void norm_forward(const std::string& phase, int64_t channels, int64_t plane) {
    const double n = b_ * static_cast<double>(channels * plane), c = static_cast<double>(channels);
    if (fused_bn_) {
      plan_.add(phase, "fused BatchNorm+activation " + shape(channels, plane), 0, kFloat * (2 * n + 6 * c));
    } else {
      plan_.add(phase, "cuDNN BatchNorm forward " + shape(channels, plane), 0, kFloat * (2 * n + 6 * c));
      plan_.add(phase, "activation " + shape(channels, plane), 0, kFloat * 2 * n);
    }
  }
  void norm_backward(const std::string& phase, int64_t channels, int64_t plane) {
    const double n = b_ * static_cast<double>(channels * plane), c = static_cast<double>(channels);
    if (fused_bn_) {
      plan_.add(phase, "fused BatchNorm+activation backward " + shape(channels, plane), 0, kFloat * (4 * n + 6 * c));
    } else {
      plan_.add(phase, "activation backward " + shape(channels, plane), 0, kFloat * 3 * n);
      plan_.add(phase, "cuDNN BatchNorm backward " + shape(channels, plane), 0, kFloat * (3 * n + 6 * c));
    }
  }
  void linear_forward(const std::string& phase, int64_t in, int64_t out) {
    const double x = b_ * static_cast<double>(in), y = b_ * static_cast<double>(out), w = static_cast<double>(in * out);
    plan_.add(phase, "GEMM forward " + shape(B_, in) + " -> " + std::to_string(out), 2 * x * static_cast<double>(out),
              kFloat * (x + w + y), tiles(B_, out));
    plan_.add(phase, "bias " + shape(B_, out), 0, kFloat * (2 * y + static_cast<double>(out)));
  }

  void generator_forward(const std::string& phase) {
    const int64_t c0 = spec_.dcgan.c0, c1 = spec_.dcgan.c1;
    linear_forward(phase, spec_.latent_dim, c0 * 49);
    norm_forward(phase, c0, 49);
    conv_forward(phase, "deconv1", deconv1_, true);
    norm_forward(phase, c1, 196);
    conv_forward(phase, "deconv2", deconv2_, true);
    plan_.add(phase, "Tanh " + shape(B_, 784), 0, kFloat * 2 * b_ * 784);
  }
  void discriminator_forward(const std::string& phase) {
    const int64_t c0 = spec_.dcgan.c0, c1 = spec_.dcgan.c1;
    conv_forward(phase, "conv1", conv1_, false);
    plan_.add(phase, "LeakyReLU " + shape(c1, 196), 0, kFloat * 2 * image_elements(c1, 14));
    conv_forward(phase, "conv2", conv2_, false);
    norm_forward(phase, c0, 49);
    linear_forward(phase, c0 * 49, 1);
  }
  // weights: D's gradients (the D step); d_input: the gradient at D's input (the G step).
  void discriminator_backward(const std::string& phase, bool weights, bool d_input) {
    const int64_t c0 = spec_.dcgan.c0, c1 = spec_.dcgan.c1, projected = c0 * 49;
    const double x = b_ * static_cast<double>(projected), w = static_cast<double>(projected);
    if (weights) {
      plan_.add(phase, "GEMM weight grad " + shape(1, projected) + " (K " + std::to_string(B_) + ")", 2 * x,
                kFloat * (b_ + x + w), tiles(1, projected));
      plan_.add(phase, "bias grad 1", 0, kFloat * 3 * b_);
    }
    plan_.add(phase, "GEMM input grad " + shape(B_, 1) + " -> " + std::to_string(projected), 2 * x,
              kFloat * (b_ + w + x), tiles(B_, projected));
    norm_backward(phase, c0, 49);
    conv_backward(phase, "conv2", conv2_, false, true, weights);
    plan_.add(phase, "LeakyReLU backward " + shape(c1, 196), 0, kFloat * 3 * image_elements(c1, 14));
    if (weights || d_input) conv_backward(phase, "conv1", conv1_, false, d_input, weights);
  }
  void generator_backward(const std::string& phase) {
    const int64_t c0 = spec_.dcgan.c0, c1 = spec_.dcgan.c1, projected = c0 * 49, latent = spec_.latent_dim;
    plan_.add(phase, "Tanh backward " + shape(B_, 784), 0, kFloat * 3 * b_ * 784);
    conv_backward(phase, "deconv2", deconv2_, true, true, true);
    norm_backward(phase, c1, 196);
    conv_backward(phase, "deconv1", deconv1_, true, true, true);
    norm_backward(phase, c0, 49);
    const double dz = b_ * static_cast<double>(projected), z = b_ * static_cast<double>(latent);
    const double w = static_cast<double>(projected * latent);
    plan_.add(phase, "GEMM weight grad " + shape(projected, latent) + " (K " + std::to_string(B_) + ")", 2 * dz * latent,
              kFloat * (dz + z + w), tiles(projected, latent));
    plan_.add(phase, "bias grad " + std::to_string(projected), 0, kFloat * (3 * dz + static_cast<double>(projected)));
  }

  const ModelSpec& spec_;
  int64_t B_;
  double b_;
  bool fused_bn_;
  PlanBuilder plan_;
  ConvShape deconv1_, deconv2_, conv1_, conv2_;
};

}  // namespace

std::vector<PlannedKernel> plan_dcgan_gpu_step(const ModelSpec& spec, int64_t B, const StepPlanOptions& options) {
  if (spec.kind != ModelKind::kDcgan) throw InternalError("plan_dcgan_gpu_step: the model is not the DCGAN");
  if (spec.dcgan.canonical()) throw InputError("the step's plan covers the 28x28 DCGAN only (not the 32/64-pixel one)");
  if (B < 1) throw InternalError("plan_dcgan_gpu_step: batch " + std::to_string(B));
  return DcganPlanner(spec, B, options).plan();
}

std::vector<PlannedKernel> plan_gpu_step(const ModelSpec& spec, int64_t B, const StepPlanOptions& options) {
  return spec.kind == ModelKind::kDcgan ? plan_dcgan_gpu_step(spec, B, options) : plan_mlp_gpu_step(spec, B, options);
}

PeakRates nominal_h200_rates() {
  PeakRates rates;
  rates.fp32_flops_per_s = 67e12;
  rates.bytes_per_s = 4.8e12;
  rates.kernel_us = 2.5;
  rates.sms = 132;
  rates.measured = false;
  return rates;
}

double predict_kernel_ms(const PlannedKernel& kernel, const PeakRates& rates) {
  double compute_s = 0;
  if (kernel.flops > 0) {
    const double utilisation =
        kernel.tiles > 0 && rates.sms > 0 ? std::min(1.0, static_cast<double>(kernel.tiles) / rates.sms) : 1.0;
    compute_s = kernel.flops / (rates.fp32_flops_per_s * utilisation);
  }
  const double memory_s = kernel.bytes / rates.bytes_per_s;
  return rates.kernel_us * 1e-3 + std::max(compute_s, memory_s) * 1e3;
}

StepPrediction predict_step(const std::vector<PlannedKernel>& plan, const PeakRates& rates) {
  StepPrediction prediction;
  std::vector<double> finish(plan.size(), 0);
  for (size_t i = 0; i < plan.size(); ++i) {
    const double ms = predict_kernel_ms(plan[i], rates);
    double start = 0;
    for (size_t before : plan[i].after) {
      if (before >= i) throw InternalError("step plan: kernel " + std::to_string(i) + " waits for a later one");
      start = std::max(start, finish[before]);
    }
    finish[i] = start + ms;
    prediction.serial_ms += ms;
    prediction.critical_ms = std::max(prediction.critical_ms, finish[i]);
    prediction.flops += plan[i].flops;
    prediction.bytes += plan[i].bytes;
  }
  prediction.kernels = static_cast<int64_t>(plan.size());
  return prediction;
}

}  // namespace gan
