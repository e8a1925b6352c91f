#include "model/step_plan.h"

#include <algorithm>

#include "util/error.h"

namespace gan {

std::vector<double> layer_macs(const ModelSpec& spec, const NetworkSpec& network) {
  std::vector<double> macs;
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
  for (const LinearLayer& layer : G.layers) plan.forward("G forward", layer, B, 0);
  for (const LinearLayer& layer : D.layers) plan.forward("D forward", layer, 2 * B, 0);
  plan.add("loss", "BCE with logits " + std::to_string(2 * B), 0, kFloat * 3 * 2 * b);
  plan.backward("D backward", D, 2 * B, true, false);
  plan.add("Adam D", "Adam " + std::to_string(D.parameter_count), 0, adam_bytes(D));
  if (options.branches) {
    plan.wait(0, 1);
  } else {
    generator_step_forward();
  }
  for (const LinearLayer& layer : D.layers) plan.forward("G step: D forward", layer, B, 0);
  const std::string rest = "G step: loss, D backward (input only), G backward";
  plan.add(rest, "BCE with logits " + std::to_string(B), 0, kFloat * 3 * b);
  plan.backward(rest, D, B, false, true);
  plan.backward(rest, G, B, true, false);
  plan.add("Adam G", "Adam " + std::to_string(G.parameter_count), 0, adam_bytes(G));
  plan.add("step", "record non-finite", 0, small);
  return plan.take();
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
