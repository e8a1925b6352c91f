#include "model/step_plan.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

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


nlohmann::json plan_to_json(const std::vector<PlannedKernel>& plan) {
  nlohmann::json kernels = nlohmann::json::array();
  for (const PlannedKernel& k : plan) {
    kernels.push_back({{"phase", k.phase}, {"kernel", k.name}, {"flops", k.flops}, {"bytes", k.bytes},
                       {"tiles", k.tiles}, {"lane", k.lane}, {"after", k.after}});
  }
  return kernels;
}

std::vector<PlannedKernel> plan_from_json(const nlohmann::json& kernels, const std::string& where) {
  if (!kernels.is_array()) throw InputError(where + ": a step plan is a list of kernels");
  std::vector<PlannedKernel> plan;
  for (const nlohmann::json& k : kernels) {
    try {
      PlannedKernel kernel{k.at("phase").get<std::string>(), k.at("kernel").get<std::string>(),
                           k.at("flops").get<double>(), k.at("bytes").get<double>(), k.at("tiles").get<int64_t>(),
                           k.at("lane").get<int>(), k.at("after").get<std::vector<size_t>>()};
      for (size_t before : kernel.after) {
        if (before >= plan.size()) throw InputError("it waits for kernel " + std::to_string(before) + ", not an earlier one");
      }
      plan.push_back(std::move(kernel));
    } catch (const std::exception& e) {
      throw InputError(where + ": kernel " + std::to_string(plan.size()) + " of the step plan: " + e.what());
    }
  }
  return plan;
}

}  // namespace gan
