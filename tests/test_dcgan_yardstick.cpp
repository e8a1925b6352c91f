// The yardstick that the GPU DCGAN trainer is held to (tests/dcgan_yardstick.h), tried on the
// CPU: a second honest float implementation (the plain-loop convolutions instead of im2col +
// GEMM) passes it, and each BatchNorm bug planted on purpose (momentum, eps, the running
// variance's unbiasing) fails it. The tables it prints are the measurement behind the
// criterion (docs/dcgan-yardstick.md).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "cpu/dcgan_model.h"
#include "cpu/cpu_trainer.h"
#include "dcgan_yardstick.h"
#include "model/dcgan_spec.h"
#include "test_util.h"
#include "train/schedule.h"

namespace gan {
namespace {

using testing::ExactDcgan;
using testing::Yardstick;

// The GPU trainer test's run (tests/gpu/test_gpu_dcgan.cpp), on the CPU.
class DcganYardstickTest : public ::testing::Test, protected testing::SmallDcganRun {
 protected:
  // A candidate: the float step on the peer's inputs, with its own convolution code and spec.
  struct Candidate {
    ModelSpec spec;
    TrainerState state;
    std::vector<float> d_grads, g_grads;  // of its last step
    ConvCode code = ConvCode::kLoops;
    void step(const StepTrace& in, const AdamSettings& adam) {
      const int64_t B = static_cast<int64_t>(in.z_d.size()) / spec.latent_dim;
      dcgan_step(spec, adam, state.generator, state.discriminator, in.real.data(), in.z_d.data(), in.z_g.data(), B,
                 &d_grads, &g_grads, code);
    }
  };

  // Runs the peer (CpuTrainer), the exact double run and the candidate through steps
  // 1..last; after step 1 checks the gradients, after the last the states.
  void run(Candidate* candidate, uint64_t last, Yardstick* gradients, Yardstick* states) const {
    CpuTrainer peer(spec, data, cpu_options());
    ExactDcgan exact(spec, cpu_options().adam, peer.state());
    candidate->state = peer.state();
    for (uint64_t step = 1; step <= last; ++step) {
      peer.train_step(schedule.position(step));
      const StepTrace inputs = peer.last_step_trace(false);
      exact.step(inputs);
      candidate->step(inputs, cpu_options().adam);
      if (step == 1) {
        *gradients = testing::compare_gradients_with_yardstick(spec, candidate->d_grads, candidate->g_grads,
                                                               peer.discriminator_grads(), peer.generator_grads(),
                                                               exact);
      }
    }
    *states = testing::compare_states_with_yardstick(spec, candidate->state, peer.state(), exact, cpu_options().adam.lr);
  }
};

TEST_F(DcganYardstickTest, AnotherHonestFloatImplementationPasses) {
  for (uint64_t last : {1, 8}) {
    Candidate loops{spec};
    Yardstick gradients, states;
    run(&loops, last, &gradients, &states);
    std::printf("step-1 gradients (candidate: plain-loop convolutions; peer: im2col + GEMM)\n%s",
                gradients.report().c_str());
    std::printf("state after %llu step(s)\n%s", static_cast<unsigned long long>(last), states.report().c_str());
    EXPECT_TRUE(gradients.pass()) << gradients.report();
    EXPECT_TRUE(states.pass()) << states.report();
  }
}

// The tensors that drift are the biases that feed a BatchNorm: the peer's own distance from the
// exact run is of the order of lr for them, and of float's rounding for the rest.
TEST_F(DcganYardstickTest, TheDriftingTensorsAreTheBiasesBatchNormAbsorbs) {
  Candidate loops{spec};
  Yardstick gradients, states;
  run(&loops, 8, &gradients, &states);
  const double lr = cpu_options().adam.lr;
  EXPECT_EQ(testing::absorbed_biases(spec.generator), std::vector<std::string>{"net.2.bias"});
  EXPECT_EQ(testing::absorbed_biases(spec.discriminator), std::vector<std::string>{"net.2.bias"});
  for (const testing::YardstickRow& row : states.rows) {
    if (row.absolute && row.name.find(".bias") != std::string::npos) {
      EXPECT_GT(row.peer, 1e-3 * lr) << row.name << ": an absorbed bias that did not move";
      EXPECT_LT(row.peer, 2 * lr * 8) << row.name;
    } else if (!row.absolute) {
      EXPECT_LT(row.peer, 1e-4) << row.name << ": honest rounding beyond 1e-4 relative";
    }
  }
  for (const testing::YardstickRow& row : gradients.rows) {
    if (!row.absolute) EXPECT_LT(row.peer, 1e-4) << row.name;
  }
}

TEST_F(DcganYardstickTest, AWrongBatchNormMomentumFails) {
  Candidate wrong{spec};
  wrong.spec.dcgan.bn_momentum = 0.9;  // the other convention (Keras': the weight of the old value)
  wrong.code = ConvCode::kGemm;
  Yardstick gradients, states;
  run(&wrong, 1, &gradients, &states);
  EXPECT_TRUE(gradients.pass()) << "momentum does not touch a training-mode step's gradients";
  EXPECT_FALSE(states.row("generator.net.0.running_var").pass) << states.report();
  EXPECT_FALSE(states.row("discriminator.net.3.running_var").pass) << states.report();
}

TEST_F(DcganYardstickTest, AWrongBatchNormEpsFails) {
  Candidate wrong{spec};
  wrong.spec.dcgan.bn_eps = 1e-3;  // TensorFlow's default instead of PyTorch's 1e-5
  wrong.code = ConvCode::kGemm;
  Yardstick gradients, states;
  run(&wrong, 1, &gradients, &states);
  EXPECT_FALSE(gradients.row("generator.net.2.weight").pass) << gradients.report();
  EXPECT_FALSE(gradients.row("discriminator.net.2.weight").pass) << gradients.report();
  EXPECT_FALSE(states.row("discriminator.net.3.running_var").pass) << states.report();
}

// The running variance moved toward the biased batch variance instead of the unbiased one.
// Planted after the fact, exactly: with equal batches of n = B * HW values and k training-mode
// passes through a BatchNorm since its start at 1, running_var = (1-m)^k + S n/(n-1) where S is
// the momentum-weighted sum of the biased variances; the bug's value is (1-m)^k + S.
TEST_F(DcganYardstickTest, ABiasedRunningVarianceFails) {
  Candidate right{spec};
  right.code = ConvCode::kGemm;
  Yardstick gradients, states;
  const uint64_t steps = 3;  // three batches of 16
  run(&right, steps, &gradients, &states);
  ASSERT_TRUE(states.pass()) << states.report();
  const double m = spec.dcgan.bn_momentum;
  auto plant = [&](const NetworkSpec& network, NetworkState* state, int passes_per_step, const char* prefix,
                   int64_t plane) {
    const double k = static_cast<double>(passes_per_step * steps), n = 16.0 * static_cast<double>(plane);
    const double start = std::pow(1 - m, k);
    const TensorSlot& slot = network.buffer(std::string(prefix) + "running_var");
    for (size_t i = slot.offset; i < slot.offset + slot.size; ++i) {
      float& v = state->buffers[i];
      v = static_cast<float>(start + (v - start) * (n - 1) / n);
    }
  };
  plant(spec.discriminator, &right.state.discriminator, 3, "net.3.", 49);  // D runs 3 passes a step
  CpuTrainer peer(spec, data, cpu_options());
  ExactDcgan exact(spec, cpu_options().adam, peer.state());
  for (uint64_t step = 1; step <= steps; ++step) {
    peer.train_step(schedule.position(step));
    exact.step(peer.last_step_trace(false));
  }
  const Yardstick planted = testing::compare_states_with_yardstick(spec, right.state, peer.state(), exact,
                                                                   cpu_options().adam.lr);
  EXPECT_FALSE(planted.row("discriminator.net.3.running_var").pass) << planted.report();
  EXPECT_TRUE(planted.row("generator.net.3.running_var").pass) << "only D's BatchNorm was planted";
}

}  // namespace
}  // namespace gan
