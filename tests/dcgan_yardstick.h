#pragma once
// defines: SmallDcganRun, ExactDcgan, absorbed_biases, fed_running_means, YardstickRow, Yardstick,
// compare_with_yardstick — how far a float DCGAN run may honestly be from the exact one
//
// Two correct float implementations of the DCGAN step (the CPU trainer and the GPU trainer, or
// the CPU trainer's GEMM and plain-loop convolutions) sum in different orders, so their results
// differ; a fixed bound on that difference is a guess. The exact answer is the same step in
// double from the same start and inputs (ExactDcgan). The distance of a trusted float run (the
// CPU trainer, the "peer") from it, tensor by tensor, is the scale of honest rounding; a
// candidate passes when each tensor is within 10x the peer's distance + 1e-5 (relative), the
// criterion tools/torch_parity.py applies against PyTorch.
//
// One kind of tensor needs another rule. A bias whose layer feeds a training-mode BatchNorm has
// a gradient of exactly zero (BatchNorm subtracts the batch mean, bias included). In float the
// gradient is rounding noise of a size near Adam's eps; Adam divides it by its own size, so the
// bias moves by up to about lr a step in a direction that no two implementations share, and the
// exact run (whose noise is 1e-9 of float's) leaves it in place. Its distance is therefore a
// random walk of at most lr a step, whichever implementation runs; the running mean of that
// BatchNorm averages the moving bias in, so it inherits the same allowance. These tensors are
// held to that allowance instead: steps x lr (x 2 for a margin on Adam's ratio). Everything
// else, the running variances included (a shift does not change a variance), keeps the
// peer-relative rule, which is what catches a wrong momentum, eps or running-variance formula.
#include <string>
#include <vector>

#include "adam_settings.h"
#include "cpu/cpu_trainer.h"
#include "cpu/dcgan_model.h"
#include "data/dataset.h"
#include "model/dcgan_spec.h"
#include "model/model_spec.h"
#include "test_util.h"
#include "train/schedule.h"
#include "model/trainer.h"
#include "model/trainer_state.h"

namespace gan::testing {

// The run that both comparisons of DCGAN trainers make (the GPU trainer's test against the CPU
// and the yardstick's own test on the CPU): a small DCGAN on 50 random 28x28 images at batch 16
// (steps of 16, 16, 16 and 2 images), lr 2e-4, beta1 0.5.
struct SmallDcganRun {
  const ModelSpec spec = make_dcgan_spec(10, 8, 4, 0.2f);
  const Dataset data = synthetic_dataset(50, 28, 28, 7);
  const Schedule schedule{data.count, 16, false, 5, 0};

  StepOptions step() const {
    StepOptions o;
    o.seed = 99;
    o.adam.lr = 2e-4;
    o.adam.beta1 = 0.5;
    return o;
  }
  CpuTrainerOptions cpu_options() const {
    CpuTrainerOptions o;
    static_cast<StepOptions&>(o) = step();
    return o;
  }
};

// The DCGAN step in double, fed the inputs a float trainer reports (its StepTrace), from the
// float state it started at.
class ExactDcgan {
 public:
  ExactDcgan(const ModelSpec& spec, const AdamSettings& adam, const TrainerState& start);
  void step(const StepTrace& inputs);  // real, z_d and z_g of one step
  const NetworkValues<double>& generator() const { return g_; }
  const NetworkValues<double>& discriminator() const { return d_; }
  const std::vector<double>& last_d_grads() const { return d_grads_; }  // of the last step's D update
  const std::vector<double>& last_g_grads() const { return g_grads_; }
  int64_t steps() const { return g_.adam_step; }

 private:
  ModelSpec spec_;
  AdamSettings adam_;
  NetworkValues<double> g_, d_;
  std::vector<double> d_grads_, g_grads_;
};

// The biases of a network, one per channel, whose layer feeds a BatchNorm ("net.2.bias" in G and
// in D), and the running means of those BatchNorms.
std::vector<std::string> absorbed_biases(const NetworkSpec& network);
std::vector<std::string> fed_running_means(const NetworkSpec& network);

struct YardstickRow {
  std::string name;       // "generator.net.2.weight"
  double candidate = 0;   // its distance from the exact run (relative, or absolute for the allowance rule)
  double peer = 0;        // the peer's distance, in the same unit
  double bound = 0;
  bool absolute = false;  // held to the lr allowance (absorbed biases and their running means)
  bool pass = false;
};

struct Yardstick {
  std::vector<YardstickRow> rows;
  bool pass() const;
  const YardstickRow& row(const std::string& name) const;  // "discriminator.net.3.running_var"
  std::string report() const;  // a table of every row, the failing ones marked
};

// What to compare: parameters, running statistics, or the last step's gradients (where the
// absorbed biases' exact gradient is 0: they may be at most 10x the peer's noise + 1e-6 of the
// network's largest gradient).
enum class Compared { kParams, kBuffers, kGradients };

// Per tensor of `network`: candidate and peer (floats, flat in the network's layout) against
// exact (double). lr and steps set the allowance of the absorbed biases.
void compare_with_yardstick(const NetworkSpec& network, Compared what, const std::vector<float>& candidate,
                            const std::vector<float>& peer, const std::vector<double>& exact, double lr, int64_t steps,
                            Yardstick* out);

// The whole state (both networks' parameters and running statistics) after `steps` steps.
Yardstick compare_states_with_yardstick(const ModelSpec& spec, const TrainerState& candidate,
                                        const TrainerState& peer, const ExactDcgan& exact, double lr);

// Step gradients of both networks (the last step of each run).
Yardstick compare_gradients_with_yardstick(const ModelSpec& spec, const std::vector<float>& candidate_d,
                                           const std::vector<float>& candidate_g, const std::vector<float>& peer_d,
                                           const std::vector<float>& peer_g, const ExactDcgan& exact);

}  // namespace gan::testing
