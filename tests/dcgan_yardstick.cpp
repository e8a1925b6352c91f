#include "dcgan_yardstick.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace gan::testing {
namespace {

std::vector<double> widen(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

NetworkValues<double> widen(const NetworkState& n) {
  NetworkValues<double> out;
  out.params = widen(n.params);
  out.exp_avg = widen(n.exp_avg);
  out.exp_avg_sq = widen(n.exp_avg_sq);
  out.buffers = widen(n.buffers);
  out.adam_step = n.adam_step;
  return out;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The BatchNorm prefixes ("net.3.") of a network, from its running means.
std::vector<std::string> batch_norm_prefixes(const NetworkSpec& network) {
  std::vector<std::string> prefixes;
  const std::string suffix = "running_mean";
  for (const TensorSlot& b : network.buffers) {
    if (b.name.size() > suffix.size() && b.name.compare(b.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      prefixes.push_back(b.name.substr(0, b.name.size() - suffix.size()));
    }
  }
  return prefixes;
}

struct AbsorbedBias {
  std::string bias, running_mean;  // "net.2.bias", "net.3.running_mean"
};

// The sequential models put the layer that feeds a BatchNorm right before it: its bias is the
// tensor listed just before the BatchNorm's weight (gamma). Only a bias of one value per channel
// is absorbed whole: G's projection has one bias per (channel, position), and only the channel
// mean of its gradient is zero, so it keeps the relative rule.
std::vector<AbsorbedBias> absorbed(const NetworkSpec& network) {
  std::vector<AbsorbedBias> found;
  for (const std::string& prefix : batch_norm_prefixes(network)) {
    for (size_t i = 1; i < network.tensors.size(); ++i) {
      const TensorSlot& gamma = network.tensors[i];
      const TensorSlot& before = network.tensors[i - 1];
      if (gamma.name == prefix + "weight" && before.size == gamma.size) {
        found.push_back({before.name, prefix + "running_mean"});
      }
    }
  }
  return found;
}

}  // namespace

ExactDcgan::ExactDcgan(const ModelSpec& spec, const AdamSettings& adam, const TrainerState& start)
    : spec_(spec), adam_(adam), g_(widen(start.generator)), d_(widen(start.discriminator)) {}

void ExactDcgan::step(const StepTrace& inputs) {
  const int64_t B = static_cast<int64_t>(inputs.z_d.size()) / spec_.latent_dim;
  const std::vector<double> real = widen(inputs.real), z_d = widen(inputs.z_d), z_g = widen(inputs.z_g);
  dcgan_step(spec_, adam_, g_, d_, real.data(), z_d.data(), z_g.data(), B, &d_grads_, &g_grads_);
}

std::vector<std::string> absorbed_biases(const NetworkSpec& network) {
  std::vector<std::string> names;
  for (const AbsorbedBias& a : absorbed(network)) names.push_back(a.bias);
  return names;
}

std::vector<std::string> fed_running_means(const NetworkSpec& network) {
  std::vector<std::string> names;
  for (const AbsorbedBias& a : absorbed(network)) names.push_back(a.running_mean);
  return names;
}

const YardstickRow& Yardstick::row(const std::string& name) const {
  for (const YardstickRow& r : rows) {
    if (r.name == name) return r;
  }
  throw std::out_of_range("no yardstick row " + name);
}

bool Yardstick::pass() const {
  return std::all_of(rows.begin(), rows.end(), [](const YardstickRow& r) { return r.pass; });
}

std::string Yardstick::report() const {
  std::string text = "tensor                                      candidate       peer      bound  rule\n";
  char line[256];
  for (const YardstickRow& r : rows) {
    std::snprintf(line, sizeof line, "%-40s %11.3e %10.3e %10.3e  %s%s\n", r.name.c_str(), r.candidate, r.peer, r.bound,
                  r.absolute ? "lr allowance (absolute)" : "10x peer + 1e-5 (relative)", r.pass ? "" : "  FAIL");
    text += line;
  }
  return text;
}

void compare_with_yardstick(const NetworkSpec& network, Compared what, const std::vector<float>& candidate,
                            const std::vector<float>& peer, const std::vector<double>& exact, double lr, int64_t steps,
                            Yardstick* out) {
  const std::vector<TensorSlot>& slots = what == Compared::kBuffers ? network.buffers : network.tensors;
  const std::vector<std::string> absorbed = what == Compared::kBuffers ? fed_running_means(network)
                                                                       : absorbed_biases(network);
  double largest_gradient = 0;
  for (double g : exact) largest_gradient = std::max(largest_gradient, std::fabs(g));
  for (const TensorSlot& slot : slots) {
    double candidate_diff = 0, peer_diff = 0, scale = 0, candidate_size = 0, peer_size = 0;
    bool finite = true;
    for (size_t i = slot.offset; i < slot.offset + slot.size; ++i) {
      const double c = candidate.at(i), p = peer.at(i), e = exact.at(i);
      finite = finite && std::isfinite(c) && std::isfinite(p);
      candidate_diff = std::max(candidate_diff, std::fabs(c - e));
      peer_diff = std::max(peer_diff, std::fabs(p - e));
      scale = std::max(scale, std::fabs(e));
      candidate_size = std::max(candidate_size, std::fabs(c));
      peer_size = std::max(peer_size, std::fabs(p));
    }
    YardstickRow row;
    row.name = network.name + "." + slot.name;
    row.absolute = contains(absorbed, slot.name);
    if (row.absolute && what == Compared::kGradients) {
      // Exactly zero in exact arithmetic: only the size of the float noise can be compared.
      row.candidate = candidate_size;
      row.peer = peer_size;
      row.bound = 10 * peer_size + 1e-6 * largest_gradient;
    } else if (row.absolute) {
      row.candidate = candidate_diff;
      row.peer = peer_diff;
      row.bound = 2 * lr * static_cast<double>(steps) + 10 * peer_diff;
    } else {
      row.candidate = candidate_diff / std::max(scale, 1e-30);
      row.peer = peer_diff / std::max(scale, 1e-30);
      row.bound = 10 * row.peer + 1e-5;
    }
    row.pass = finite && row.candidate <= row.bound;
    out->rows.push_back(row);
  }
}

Yardstick compare_states_with_yardstick(const ModelSpec& spec, const TrainerState& candidate,
                                        const TrainerState& peer, const ExactDcgan& exact, double lr) {
  Yardstick result;
  const int64_t steps = exact.steps();
  compare_with_yardstick(spec.generator, Compared::kParams, candidate.generator.params, peer.generator.params,
                         exact.generator().params, lr, steps, &result);
  compare_with_yardstick(spec.generator, Compared::kBuffers, candidate.generator.buffers, peer.generator.buffers,
                         exact.generator().buffers, lr, steps, &result);
  compare_with_yardstick(spec.discriminator, Compared::kParams, candidate.discriminator.params,
                         peer.discriminator.params, exact.discriminator().params, lr, steps, &result);
  compare_with_yardstick(spec.discriminator, Compared::kBuffers, candidate.discriminator.buffers,
                         peer.discriminator.buffers, exact.discriminator().buffers, lr, steps, &result);
  return result;
}

Yardstick compare_gradients_with_yardstick(const ModelSpec& spec, const std::vector<float>& candidate_d,
                                           const std::vector<float>& candidate_g, const std::vector<float>& peer_d,
                                           const std::vector<float>& peer_g, const ExactDcgan& exact) {
  Yardstick result;
  compare_with_yardstick(spec.discriminator, Compared::kGradients, candidate_d, peer_d, exact.last_d_grads(), 0, 0,
                         &result);
  compare_with_yardstick(spec.generator, Compared::kGradients, candidate_g, peer_g, exact.last_g_grads(), 0, 0,
                         &result);
  return result;
}

}  // namespace gan::testing
