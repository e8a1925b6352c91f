#pragma once
// defines: Trainer (the interface the CPU and GPU trainers implement), StepPosition, StepStats,
// NetworkValues, NetworkState, TrainerState, StepTrace
//
// The training loop (train_loop.h) drives a Trainer without knowing which one it is: it says
// which step to run and where that step's batch lies in its epoch's order; the trainer owns the
// data, the parameters, the optimiser state and the random draws.
#include <cstdint>
#include <string>
#include <vector>

#include "model/model_spec.h"

namespace gan {

struct StepPosition {
  uint64_t step = 0;    // 1-based number of this step in the run: keys the step's noise
  uint64_t epoch = 0;   // 0-based epoch: keys the epoch's shuffle
  int64_t offset = 0;   // first position of the batch in the epoch's order
  int64_t batch = 0;    // images in this batch (the epoch's last may be smaller)
  uint32_t noise_stream = 0;  // 0 normally; raised by each --on-nan rollback for fresh noise

  // The Philox "step" of this step's noise: the step, with the noise stream in the high word.
  uint64_t noise_key() const { return step + (uint64_t{noise_stream} << 32); }
};

struct StepStats {
  uint64_t step = 0;
  double d_loss = 0;        // BCE(D(x), 1) + BCE(D(G(z1)), 0), before D's update (--loss hinge: its D loss)
  double g_loss = 0;        // BCE(D(G(z2)), 1) through the updated D (--loss hinge: -mean logit)
  double d_real = 0;        // mean D(x) (--loss hinge: the mean raw logit, as for the two below)
  double d_fake = 0;        // mean D(G(z1)) in the D step
  double d_fake_g = 0;      // mean D(G(z2)) in the G step
};

// One network's parameters and Adam state, flat, in the NetworkSpec's layout. The trainers hold
// floats; the tests' exact reference (tests/dcgan_yardstick.h) runs the same step in double.
template <class T>
struct NetworkValues {
  std::vector<T> params, exp_avg, exp_avg_sq;
  std::vector<T> buffers;  // non-trainable state (BatchNorm's running statistics); empty for the MLP
  int64_t adam_step = 0;   // updates applied so far
};
using NetworkState = NetworkValues<float>;

struct TrainerState {
  NetworkState generator, discriminator;
  // The exponential moving average of G's parameters (--ema), in G's flat layout; empty when the
  // run keeps none. G's BatchNorm running statistics are not averaged: sampling from the average
  // uses the live G's (as StyleGAN2-ADA copies them into its G_ema).
  std::vector<float> generator_ema;
};

// What one step consumed and produced, for parity traces: the normalised real batch
// [B, H*W], the two noises [B, latent], a conditional step's three label vectors, and (when asked) the gradients of the D update and the
// G update before Adam, in the networks' flat layouts.
struct StepTrace {
  std::vector<float> real, z_d, z_g;
  std::vector<int32_t> labels_real, labels_d, labels_g;  // [B] each when conditional, else empty
  std::vector<float> d_grads, g_grads;
  std::vector<float> augment[3];  // --augment: the draws [B, kAugmentDraws] by AugmentSite, else empty
};

class Trainer {
 public:
  virtual ~Trainer() = default;

  virtual std::string description() const = 0;  // "CPU, OpenBLAS, 2 threads"
  virtual const ModelSpec& spec() const = 0;

  // One D step then one G step (docs/ARCHITECTURE.md: the step's exact semantics).
  virtual void train_step(const StepPosition& position) = 0;

  // The statistics of the most recent step. May wait for the device; call it only when the
  // numbers are needed (every log interval).
  virtual StepStats last_stats() = 0;

  // The first step since the last load_state (or construction) whose losses were not finite,
  // or 0. Cheap: the loop asks after every step. (A GPU trainer may learn of it late, at its
  // next read-back; the loop checks again before every checkpoint.)
  virtual uint64_t first_nonfinite_step() = 0;

  // images[count, H*W] = G(z[count, latent]) with the current parameters, in [-1, 1]. labels
  // [count], each in 0 .. classes-1: the classes a conditional model draws (spec().classes);
  // null for an unconditional one.
  virtual void generate(const float* z, const int32_t* labels, int64_t count, float* images) = 0;

  // The inputs (and optionally the gradients) of the most recent step.
  virtual StepTrace last_step_trace(bool with_gradients) = 0;

  // Copies of the whole training state (for checkpoints) and its restoration.
  virtual TrainerState state() = 0;
  virtual void load_state(const TrainerState& state) = 0;
};

}  // namespace gan
