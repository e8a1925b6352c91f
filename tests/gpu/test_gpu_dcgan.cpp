// The DCGAN on the GPU (cuDNN): every layer against the CPU references on odd shapes and at the
// model's own, then the whole GPU trainer against CpuTrainer and the exact (double) run
// (gradients of step 1, losses, running statistics, parameters after a few steps with the epoch's
// smaller last batch; the yardstick of tests/dcgan_yardstick.h), against
// itself (repeats and graph = eager bit for bit, exact resume, GPU <-> CPU), and sampling in
// evaluation mode. Built only with cuDNN; each test skips without a GPU.
#include <cmath>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cpu/dcgan.h"
#include "cpu/cpu_trainer.h"
#include "cpu/generate.h"
#include "check/cudnn_checks.h"
#include "cuda/gpu_trainer.h"
#include "dcgan_yardstick.h"
#include "gpu/gpu_test.h"
#include "model/augment.h"
#include "model/dcgan_spec.h"
#include "model/spectral_norm.h"
#include "test_util.h"
#include "train/schedule.h"
#include "util/error.h"

namespace gan {
namespace {

using Kind = CudnnConvLayer::Kind;
using testing::bit_identical;
using testing::max_relative_error;
using testing::run_steps;

// The trainers' options for a run's StepOptions: the CPU's, and the GPU's with buffers for batch 16.
CpuTrainerOptions cpu_options_for(const StepOptions& step) {
  CpuTrainerOptions o;
  static_cast<StepOptions&>(o) = step;
  return o;
}
GpuTrainerOptions gpu_options_for(const StepOptions& step) {
  GpuTrainerOptions o;
  static_cast<StepOptions&>(o) = step;
  o.max_batch = 16;
  return o;
}

TEST(GpuCudnn, ConvolutionsMatchTheCpuReferencesOnOddShapes) {
  GAN_REQUIRE_GPU();
  const ConvShape shapes[] = {
      halving_shape(1, 1, 3, 28),          // the model's geometry, batch 1
      halving_shape(7, 5, 3, 14),          // odd batch and channels
      // {batch, in, out, height, width, kernel, stride, padding}
      ConvShape{3, 2, 5, 7, 7, 3, 1, 1},    // "same" 3x3
      ConvShape{2, 3, 4, 13, 13, 5, 2, 2},  // odd size, 5x5 stride 2
      ConvShape{2, 3, 2, 14, 9, 3, 2, 1},   // not square; a transpose PyTorch would need output_padding for
      ConvShape{3, 6, 5, 4, 4, 4, 1, 0},    // the canonical DCGAN's ends: 4 x 4 <-> 1 x 1
  };
  for (const ConvShape& s : shapes) {
    for (Kind kind : {Kind::kConv, Kind::kTransposed}) {
      // Whichever way the algorithms are chosen (--gpu-conv-algos), each computes the layer.
      for (ConvAlgorithms choice :
           {ConvAlgorithms::kHeuristic, ConvAlgorithms::kTimedDeterministic, ConvAlgorithms::kTimedAny}) {
        GAN_EXPECT_KERNEL_MATCHES(check_cudnn_conv_forward(kind, s, false, seed, choice));
        GAN_EXPECT_KERNEL_MATCHES(check_cudnn_conv_backward(kind, s, false, seed, choice));
      }
    }
  }
}

TEST(GpuCudnn, BatchNormMatchesTheCpuReferenceOnOddShapes) {
  GAN_REQUIRE_GPU();
  // B * HW = 2 in the forward pass only: it shows the running variance is the unbiased one (a
  // factor of 2 there); in the backward pass dx is then a cancellation residue below float's
  // resolution (see test_gpu_batch_norm.cpp).
  GAN_EXPECT_KERNEL_MATCHES(check_cudnn_batch_norm_forward(2, 1, 1, seed));
  const int64_t shapes[][3] = {{1, 3, 49}, {7, 5, 13}, {33, 17, 196}, {3, 1, 1}};
  for (const auto& [B, C, HW] : shapes) {
    GAN_EXPECT_KERNEL_MATCHES(check_cudnn_batch_norm_forward(B, C, HW, seed));
    GAN_EXPECT_KERNEL_MATCHES(check_cudnn_batch_norm_backward(B, C, HW, seed));
  }
}

TEST(GpuCudnn, EveryLayerOfTheDefaultModelMatchesAtItsShapes) {
  GAN_REQUIRE_GPU();
  const ModelSpec spec = make_dcgan_spec(100, 128, 64, 0.2f);
  const uint64_t seed = testing::fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (const KernelCheck& check : dcgan_shape_checks(spec, 16, /*tf32=*/true, seed)) {
    EXPECT_TRUE(testing::passes(check));
  }
}

// The small DCGAN run of tests/dcgan_yardstick.h, on the GPU.
class GpuDcganTest : public ::testing::Test, protected testing::SmallDcganRun {
 protected:
  GpuTrainerOptions gpu_options(bool graph = true) const {
    GpuTrainerOptions o;
    static_cast<StepOptions&>(o) = step();
    o.max_batch = 16;
    o.graph = graph;
    return o;
  }
  // The GPU trainer with these options against CpuTrainer, step by step.
  void tracks_the_cpu_trainer(const GpuTrainerOptions& options) const;
};

TEST_F(GpuDcganTest, TracksTheCpuTrainer) {
  GAN_REQUIRE_GPU();
  for (bool fused : {false, true}) {
    SCOPED_TRACE(fused ? "BatchNorm: fused kernels" : "BatchNorm: cuDNN");
    GpuTrainerOptions options = gpu_options();
    options.fused_batch_norm = fused;
    tracks_the_cpu_trainer(options);
  }
}

// A timed choice of algorithms (--gpu-conv-algos timed, timed-any) trains the same model: held
// to the same yardstick as the default choice.
TEST_F(GpuDcganTest, TimedAlgorithmsTrackTheCpuTrainer) {
  GAN_REQUIRE_GPU();
  for (ConvAlgorithms choice : {ConvAlgorithms::kTimedDeterministic, ConvAlgorithms::kTimedAny}) {
    SCOPED_TRACE(choice == ConvAlgorithms::kTimedAny ? "timed-any" : "timed");
    GpuTrainerOptions options = gpu_options();
    options.conv_algorithms = choice;
    tracks_the_cpu_trainer(options);
    if (choice == ConvAlgorithms::kTimedDeterministic) {
      // The log says how the algorithms were chosen, and none of a deterministic pick is marked otherwise.
      GpuTrainer trainer(spec, data, options);
      EXPECT_EQ(trainer.description().find("NOT deterministic"), std::string::npos) << trainer.description();
      EXPECT_NE(trainer.description().find("timed deterministic"), std::string::npos) << trainer.description();
    }
  }
}

TEST_F(GpuDcganTest, SameSeedSameBitsAndGraphEqualsEager) {
  GAN_REQUIRE_GPU();
  for (bool fused : {false, true}) {
    SCOPED_TRACE(fused ? "BatchNorm: fused kernels" : "BatchNorm: cuDNN");
    GpuTrainerOptions graph = gpu_options(), eager = gpu_options(/*graph=*/false);
    graph.fused_batch_norm = eager.fused_batch_norm = fused;
    GpuTrainer first(spec, data, graph), second(spec, data, graph), eager_run(spec, data, eager);
    run_steps(first, schedule, 1, 8);
    run_steps(second, schedule, 1, 8);
    run_steps(eager_run, schedule, 1, 8);
    const TrainerState a = first.state();
    EXPECT_TRUE(bit_identical(a, second.state()));
    EXPECT_TRUE(bit_identical(a, eager_run.state()));
  }
}

// Held to the yardstick of tests/dcgan_yardstick.h, not to fixed bounds: the first GPU run
// (2026-11-29, H200) failed fixed bounds of 1e-5 on the running statistics after step 1 and
// 1e-3 on the state after 8 steps, and the CPU alone shows why (docs/dcgan-yardstick.md): the
// conv biases that feed a BatchNorm have a true gradient of 0, so Adam moves them by about lr a
// step on rounding noise, in a direction of each implementation's own; D's running mean
// averages that bias in. Every other tensor is held to 10x the CPU float trainer's own distance
// from the exact (double) run + 1e-5, which a wrong momentum, eps or running variance fails.
void GpuDcganTest::tracks_the_cpu_trainer(const GpuTrainerOptions& options) const {
  CpuTrainer cpu(spec, data, cpu_options());
  GpuTrainer gpu(spec, data, options);
  EXPECT_TRUE(bit_identical(cpu.state(), gpu.state()));  // the same init, running statistics included
  testing::ExactDcgan exact(spec, cpu_options().adam, cpu.state());
  auto step_all = [&](uint64_t step) {
    cpu.train_step(schedule.position(step));
    gpu.train_step(schedule.position(step));
    exact.step(cpu.last_step_trace(false));
  };
  step_all(1);
  EXPECT_EQ(cpu.last_step_trace(false).real, gpu.last_step_trace(false).real);
  const StepTrace gpu_trace = gpu.last_step_trace(true);
  const testing::Yardstick gradients = testing::compare_gradients_with_yardstick(
      spec, gpu_trace.d_grads, gpu_trace.g_grads, cpu.discriminator_grads(), cpu.generator_grads(), exact);
  EXPECT_TRUE(gradients.pass()) << "step-1 gradients\n" << gradients.report();
  const StepStats s_cpu = cpu.last_stats(), s_gpu = gpu.last_stats();
  EXPECT_NEAR(s_gpu.d_loss, s_cpu.d_loss, 1e-5 * std::fabs(s_cpu.d_loss) + 1e-6);
  EXPECT_NEAR(s_gpu.g_loss, s_cpu.g_loss, 1e-5 * std::fabs(s_cpu.g_loss) + 1e-6);
  const double lr = cpu_options().adam.lr;
  const testing::Yardstick after_one = testing::compare_states_with_yardstick(spec, gpu.state(), cpu.state(), exact, lr);
  EXPECT_TRUE(after_one.pass()) << "state after step 1\n" << after_one.report();
  // Through step 8: the smaller last batch (2 images, its own descriptors and graph) and a new epoch.
  for (uint64_t step = 2; step <= 8; ++step) step_all(step);
  const testing::Yardstick after_eight = testing::compare_states_with_yardstick(spec, gpu.state(), cpu.state(), exact, lr);
  EXPECT_TRUE(after_eight.pass()) << "state after step 8\n" << after_eight.report();
  EXPECT_EQ(gpu.state().generator.adam_step, 8);
}

TEST_F(GpuDcganTest, ResumeIsExactAndStateMovesBetweenCpuAndGpu) {
  GAN_REQUIRE_GPU();
  GpuTrainer whole(spec, data, gpu_options());
  run_steps(whole, schedule, 1, 8);
  GpuTrainer before(spec, data, gpu_options());
  run_steps(before, schedule, 1, 5);
  GpuTrainer after(spec, data, gpu_options());
  after.load_state(before.state());
  run_steps(after, schedule, 6, 8);
  EXPECT_TRUE(bit_identical(whole.state(), after.state()));

  CpuTrainer cpu(spec, data, cpu_options());
  cpu.load_state(before.state());
  run_steps(cpu, schedule, 6, 6);
  GpuTrainer back(spec, data, gpu_options());
  back.load_state(cpu.state());
  EXPECT_TRUE(bit_identical(back.state(), cpu.state()));
  run_steps(back, schedule, 7, 8);
  EXPECT_LT(max_relative_error(back.state().generator.params, whole.state().generator.params), 1e-3);
}

TEST_F(GpuDcganTest, SamplesInEvaluationModeAsTheCpuDoes) {
  GAN_REQUIRE_GPU();
  GpuTrainer gpu(spec, data, gpu_options());
  run_steps(gpu, schedule, 1, 3);  // running statistics away from their initial values
  const TrainerState state = gpu.state();
  for (int64_t count : {1, 37}) {  // one image works in evaluation mode
    const std::vector<float> z = testing::random_vector<float>(static_cast<size_t>(count * spec.latent_dim), 3);
    std::vector<float> a(static_cast<size_t>(count * spec.image_size())), b(a.size(), NAN);
    generate_images(spec, state.generator, z.data(), nullptr, count, a.data());
    gpu.generate(z.data(), nullptr, count, b.data());
    EXPECT_LT(max_relative_error(b, a), 1e-4) << count << " images";
  }
}

// The conditional DCGAN (--conditional: G's label table, D's projection term) against the CPU
// trainer: the same labels bit for bit, gradients (each label table's on its own too) from the
// CPU's state at each compared step, parameters after 12 steps, graph = eager bit for bit, and
// generation with labels. Parameters after 12 steps within 1e-2 of the largest: the drifting
// biases of dcgan_yardstick.h move up to 2 lr a step, 5e-3 here against label_emb's ~3.
// 45 grey 28x28 images labelled 0..4.
Dataset labelled_grey_dataset() {
  Dataset data = testing::synthetic_dataset(45, 28, 28, 8);
  for (int64_t i = 0; i < data.count; ++i) data.labels.push_back(static_cast<uint8_t>((i * 3) % 5));
  return data;
}

TEST(GpuConditionalDcgan, TracksTheCpuTrainer) {
  GAN_REQUIRE_GPU();
  const ModelSpec spec = make_dcgan_spec(9, 12, 6, 0.2f, 5, 0);
  const Dataset data = labelled_grey_dataset();
  const Schedule schedule{data.count, 16, false, 5, 0};  // 16, 16, 13 images an epoch
  StepOptions step;
  step.seed = 31;
  step.adam.lr = 2e-4;  // the conv biases before a BatchNorm drift by up to 2 lr a step (dcgan_yardstick.h)
  step.adam.beta1 = 0.5;
  GpuTrainerOptions options = gpu_options_for(step);
  CpuTrainer cpu(spec, data, cpu_options_for(step));
  GpuTrainer gpu(spec, data, options);
  for (uint64_t step_index : {1, 3, 4}) {  // 3: the smaller last batch; 4: a new epoch's order
    SCOPED_TRACE("step " + std::to_string(step_index));
    gpu.load_state(cpu.state());
    cpu.train_step(schedule.position(step_index));
    gpu.train_step(schedule.position(step_index));
    const StepTrace a = cpu.last_step_trace(true), b = gpu.last_step_trace(true);
    EXPECT_EQ(a.labels_real, b.labels_real);
    EXPECT_EQ(a.labels_d, b.labels_d);
    EXPECT_EQ(a.labels_g, b.labels_g);
    EXPECT_LT(max_relative_error(b.d_grads, a.d_grads), 1e-3);
    EXPECT_LT(max_relative_error(b.g_grads, a.g_grads), 1e-3);
    const TensorSlot& projection = spec.discriminator.tensor("label_projection.weight");
    const TensorSlot& embedding = spec.generator.tensor("label_emb.weight");
    EXPECT_LT(max_relative_error(testing::slice(b.d_grads, projection), testing::slice(a.d_grads, projection)), 1e-3);
    EXPECT_LT(max_relative_error(testing::slice(b.g_grads, embedding), testing::slice(a.g_grads, embedding)), 1e-3);
  }
  run_steps(cpu, schedule, 5, 12);
  run_steps(gpu, schedule, 5, 12);
  EXPECT_LT(max_relative_error(gpu.state().generator.params, cpu.state().generator.params), 1e-2);
  EXPECT_LT(max_relative_error(gpu.state().discriminator.params, cpu.state().discriminator.params), 1e-2);

  EXPECT_LT(testing::labelled_generation_error(spec, gpu, 19), 1e-4);

  options.graph = false;
  GpuTrainer eager(spec, data, options);
  options.graph = true;
  GpuTrainer captured(spec, data, options);
  run_steps(eager, schedule, 1, 5);
  run_steps(captured, schedule, 1, 5);
  EXPECT_TRUE(bit_identical(captured.state(), eager.state()));
}

// The 32x32 (and 64x64) colour DCGAN on the GPU against the CPU trainer: gradients from the
// CPU's state at each compared step (the smaller last batch included), parameters and running
// statistics after 8 steps (no conv bias feeds a BatchNorm here, so nothing drifts), with
// cuDNN's BatchNorm and the fused kernels; graph = eager bit for bit; generation.
// 37 colour images of size x size, of hashed bytes.
Dataset colour_dataset(int64_t size) {
  Dataset data;
  data.count = 37;
  data.height = data.width = static_cast<int>(size);
  data.channels = 3;
  data.pixels.resize(static_cast<size_t>(data.count * data.pixels_per_image()));
  for (size_t i = 0; i < data.pixels.size(); ++i) data.pixels[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
  return data;
}

// From the CPU's state at each of steps 1, 3 and 4 (the epoch's smaller last batch included):
// the GPU step takes the same real batch, and D's and G's gradients come within 1e-3 of the CPU's.
void gradients_track_the_cpu_trainer(CpuTrainer& cpu, GpuTrainer& gpu, const Schedule& schedule) {
  for (uint64_t s : {1, 3, 4}) {
    SCOPED_TRACE("step " + std::to_string(s));
    gpu.load_state(cpu.state());
    cpu.train_step(schedule.position(s));
    gpu.train_step(schedule.position(s));
    const StepTrace a = cpu.last_step_trace(true), b = gpu.last_step_trace(true);
    EXPECT_EQ(a.real, b.real);
    EXPECT_LT(max_relative_error(b.d_grads, a.d_grads), 1e-3);
    EXPECT_LT(max_relative_error(b.g_grads, a.g_grads), 1e-3);
  }
}

TEST(GpuCanonicalDcgan, TracksTheCpuTrainer) {
  GAN_REQUIRE_GPU();
  for (const int64_t size : {32, 64}) {
    SCOPED_TRACE(std::to_string(size) + " pixels");
    const ModelSpec spec = make_canonical_dcgan_spec(8, 4, 3, size, 0.2f);
    const Dataset data = colour_dataset(size);
    const Schedule schedule{data.count, 16, false, 5, 0};  // 16, 16, 5 images an epoch
    StepOptions step;
    step.seed = 41;
    step.adam.lr = 2e-4;
    step.adam.beta1 = 0.5;
    for (bool fused : {false, true}) {
      SCOPED_TRACE(fused ? "BatchNorm: fused kernels" : "BatchNorm: cuDNN");
      GpuTrainerOptions options = gpu_options_for(step);
      options.fused_batch_norm = fused;
      CpuTrainer cpu(spec, data, cpu_options_for(step));
      GpuTrainer gpu(spec, data, options);
      EXPECT_TRUE(bit_identical(cpu.state(), gpu.state()));
      gradients_track_the_cpu_trainer(cpu, gpu, schedule);
      gpu.load_state(cpu.state());
      run_steps(cpu, schedule, 5, 12);
      run_steps(gpu, schedule, 5, 12);
      EXPECT_LT(max_relative_error(gpu.state().generator.params, cpu.state().generator.params), 1e-3);
      EXPECT_LT(max_relative_error(gpu.state().discriminator.params, cpu.state().discriminator.params), 1e-3);
      EXPECT_LT(max_relative_error(gpu.state().generator.buffers, cpu.state().generator.buffers), 1e-3);
      EXPECT_LT(max_relative_error(gpu.state().discriminator.buffers, cpu.state().discriminator.buffers), 1e-3);
      const int64_t count = 5;
      const std::vector<float> z = testing::random_vector<float>(static_cast<size_t>(count * spec.latent_dim), 4);
      std::vector<float> want(static_cast<size_t>(count * spec.image_size())), got(want.size(), NAN);
      generate_images(spec, gpu.state().generator, z.data(), nullptr, count, want.data());
      gpu.generate(z.data(), nullptr, count, got.data());
      EXPECT_LT(max_relative_error(got, want), 1e-4);
    }
    GpuTrainerOptions options = gpu_options_for(step);
    options.graph = false;
    GpuTrainer eager(spec, data, options);
    options.graph = true;
    GpuTrainer captured(spec, data, options);
    run_steps(eager, schedule, 1, 4);
    run_steps(captured, schedule, 1, 4);
    EXPECT_TRUE(bit_identical(captured.state(), eager.state()));
  }
}

// A stabiliser on a DCGAN against the CPU trainer: gradients_track_the_cpu_trainer, and D's
// buffers (running statistics; spectral norm's u and v) after it; then, on the GPU alone, graph =
// eager and an exact resume from step 2.
void stabiliser_tracks_the_cpu_trainer(const ModelSpec& spec, const Dataset& data, const StepOptions& step) {
  const Schedule schedule{data.count, 16, false, 5, 0};
  const GpuTrainerOptions options = gpu_options_for(step);
  CpuTrainer cpu(spec, data, cpu_options_for(step));
  GpuTrainer gpu(spec, data, options);
  EXPECT_TRUE(bit_identical(cpu.state(), gpu.state()));  // spectral norm's u and v included
  gradients_track_the_cpu_trainer(cpu, gpu, schedule);
  EXPECT_LT(max_relative_error(gpu.state().discriminator.buffers, cpu.state().discriminator.buffers), 1e-3);
  GpuTrainerOptions eager_options = options;
  eager_options.graph = false;
  GpuTrainer captured(spec, data, options), eager(spec, data, eager_options), first(spec, data, options),
      resumed(spec, data, options);
  run_steps(captured, schedule, 1, 6);
  run_steps(eager, schedule, 1, 6);
  run_steps(first, schedule, 1, 2);
  resumed.load_state(first.state());
  run_steps(resumed, schedule, 3, 6);
  EXPECT_TRUE(bit_identical(captured.state(), eager.state()));
  EXPECT_TRUE(bit_identical(captured.state(), resumed.state()));
}

// Each stabiliser the GPU runs (--spectral-norm, --augment, --loss hinge) on the 28x28 DCGAN,
// the conditional one (whose projection D reads D's last features beside the logits) and the
// 32x32 colour DCGAN.
TEST(GpuDcganStabilisers, EachTracksTheCpuTrainer) {
  GAN_REQUIRE_GPU();
  const testing::SmallDcganRun grey;
  const ModelSpec colour = make_canonical_dcgan_spec(8, 4, 3, 32, 0.2f);
  for (const auto& [name, base, data] :
       {std::make_tuple("28x28 DCGAN", grey.spec, grey.data),
        std::make_tuple("conditional 28x28 DCGAN", make_dcgan_spec(9, 12, 6, 0.2f, 5, 0), labelled_grey_dataset()),
        std::make_tuple("32x32 colour DCGAN", colour, colour_dataset(32))}) {
    for (const char* stabiliser : {"--spectral-norm", "--augment color,translation,cutout", "--loss hinge"}) {
      SCOPED_TRACE(std::string(name) + ", " + stabiliser);
      ModelSpec spec = base;
      if (stabiliser[2] == 's') add_spectral_norm(&spec.discriminator);
      if (stabiliser[2] == 'a') ASSERT_EQ(parse_augment_policy("color,translation,cutout", &spec.augment), "");
      if (stabiliser[2] == 'l') spec.loss = AdversarialLoss::kHinge;
      stabiliser_tracks_the_cpu_trainer(spec, data, grey.step());
    }
  }
}

TEST_F(GpuDcganTest, RefusesABatchOfOneImage) {
  GAN_REQUIRE_GPU();
  GpuTrainer gpu(spec, data, gpu_options());
  StepPosition one = schedule.position(1);
  one.batch = 1;
  EXPECT_THROW(gpu.train_step(one), Error);
}

}  // namespace
}  // namespace gan
