// The GPU trainer against the CPU trainer and against itself: the same draws (noise, batches,
// permutation), parameters that track the CPU's over 20 steps (the epoch's smaller last batch
// and its second graph included), bit-identical repeats, graph = eager, exact resume on the GPU,
// moves between CPU and GPU, and the non-finite record.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "cpu/cpu_trainer.h"
#include "cuda/gpu_trainer.h"
#include "gpu/gpu_test.h"
#include "model/augment.h"
#include "model/spectral_norm.h"
#include "test_util.h"
#include "train/config.h"
#include "train/schedule.h"

namespace gan {
namespace {

using testing::bit_identical;
using testing::gpu_options;
using testing::max_relative_error;
using testing::run_steps;
using testing::synthetic_dataset;

// Small widths and odd sizes: 100 images at batch 32 make steps of 32, 32, 32 and 4 images.
TrainConfig small_config() {
  return config_from_json({{"latent_dim", 10}, {"g_hidden", {33, 65}}, {"d_hidden", {47, 17}}, {"batch", 32},
                           {"lr", 1e-3}, {"beta1", 0.5}, {"seed", 1234}},
                          "test");
}

CpuTrainerOptions cpu_options(const TrainConfig& c) {
  CpuTrainerOptions o;
  static_cast<StepOptions&>(o) = step_options(c);
  return o;
}

// Every test: a small run's config, 100 random 7x9 images, the model, 5 epochs' schedule.
class GpuTrainerTest : public ::testing::Test {
 protected:
  const TrainConfig config = small_config();
  const Dataset data = synthetic_dataset(100, 7, 9, 5);
  const ModelSpec spec = make_mlp_spec(config, data.height, data.width);
  const Schedule schedule{data.count, config.batch, false, 5, 0};
};

TEST_F(GpuTrainerTest, DrawsTheCpuTrainersNoiseAndBatches) {
  GAN_REQUIRE_GPU();
  CpuTrainer cpu(spec, data, cpu_options(config));
  GpuTrainer gpu(spec, data, gpu_options(config));
  EXPECT_EQ(cpu.state().generator.params, gpu.state().generator.params);  // the same init, bit for bit
  EXPECT_EQ(cpu.state().discriminator.params, gpu.state().discriminator.params);
  for (uint64_t step : {1, 4, 5, 12}) {  // step 4: the smaller last batch; 5: a new epoch's order
    SCOPED_TRACE("step " + std::to_string(step));
    cpu.train_step(schedule.position(step));
    gpu.train_step(schedule.position(step));
    const StepTrace a = cpu.last_step_trace(false), b = gpu.last_step_trace(false);
    EXPECT_EQ(a.real, b.real);  // gather + normalise and the permutation: exact
    KernelCheck noise = start_check("noise", "", 1, "ulp");
    compare_ulps(noise, b.z_d, a.z_d);
    compare_ulps(noise, b.z_g, a.z_g);
    EXPECT_TRUE(testing::passes(finish_check(noise)));
  }
}

TEST_F(GpuTrainerTest, TracksTheCpuTrainerOverTwentySteps) {
  GAN_REQUIRE_GPU();
  for (ForwardPath path : {ForwardPath::kCublas, ForwardPath::kFused}) {
    SCOPED_TRACE(path == ForwardPath::kFused ? "fused forward" : "cuBLAS forward");
    CpuTrainer cpu(spec, data, cpu_options(config));
    GpuTrainerOptions options = gpu_options(config);
    options.forward = path;
    GpuTrainer gpu(spec, data, options);
    cpu.train_step(schedule.position(1));
    gpu.train_step(schedule.position(1));
    // Step 1's gradients: the same function in a different summation order.
    EXPECT_LT(max_relative_error(gpu.last_step_trace(true).d_grads, cpu.discriminator_grads()), 1e-5);
    EXPECT_LT(max_relative_error(gpu.last_step_trace(true).g_grads, cpu.generator_grads()), 1e-5);
    const StepStats s_cpu = cpu.last_stats(), s_gpu = gpu.last_stats();
    EXPECT_NEAR(s_gpu.d_loss, s_cpu.d_loss, 1e-5 * std::fabs(s_cpu.d_loss));
    EXPECT_NEAR(s_gpu.g_loss, s_cpu.g_loss, 1e-5 * std::fabs(s_cpu.g_loss));
    run_steps(cpu, schedule, 2, 20);
    run_steps(gpu, schedule, 2, 20);
    // After 20 Adam steps rounding differences grow (Adam divides by sqrt(v), large where g is
    // tiny), but stay far below the size of the updates themselves (lr 1e-3 x 20 steps).
    const TrainerState a = cpu.state(), b = gpu.state();
    EXPECT_LT(max_relative_error(b.generator.params, a.generator.params), 1e-3);
    EXPECT_LT(max_relative_error(b.discriminator.params, a.discriminator.params), 1e-3);
    EXPECT_EQ(b.generator.adam_step, 20);
    EXPECT_EQ(b.discriminator.adam_step, 20);
  }
}

TEST_F(GpuTrainerTest, SameSeedSameBitsAndGraphEqualsEager) {
  GAN_REQUIRE_GPU();
  GpuTrainer first(spec, data, gpu_options(config)), second(spec, data, gpu_options(config));
  GpuTrainer eager(spec, data, gpu_options(config, /*graph=*/false));
  run_steps(first, schedule, 1, 10);
  run_steps(second, schedule, 1, 10);
  run_steps(eager, schedule, 1, 10);
  const TrainerState a = first.state();
  EXPECT_TRUE(bit_identical(a, second.state()));
  EXPECT_TRUE(bit_identical(a, eager.state()));
}

TEST_F(GpuTrainerTest, ResumeIsExactAndStateMovesBetweenCpuAndGpu) {
  GAN_REQUIRE_GPU();
  GpuTrainer whole(spec, data, gpu_options(config));
  run_steps(whole, schedule, 1, 10);

  GpuTrainer before(spec, data, gpu_options(config));
  run_steps(before, schedule, 1, 6);
  GpuTrainer after(spec, data, gpu_options(config));
  after.load_state(before.state());
  run_steps(after, schedule, 7, 10);
  EXPECT_TRUE(bit_identical(whole.state(), after.state()));

  // GPU -> CPU -> GPU: the state is the same numbers in the same layout on both sides.
  CpuTrainer cpu(spec, data, cpu_options(config));
  cpu.load_state(before.state());
  EXPECT_TRUE(bit_identical(cpu.state(), before.state()));
  run_steps(cpu, schedule, 7, 8);
  GpuTrainer back(spec, data, gpu_options(config));
  back.load_state(cpu.state());
  EXPECT_TRUE(bit_identical(back.state(), cpu.state()));
  run_steps(back, schedule, 9, 10);
  EXPECT_LT(max_relative_error(back.state().generator.params, whole.state().generator.params), 1e-3);
}

// A variant of the spec on the GPU (another loss, spectral norm): the CPU trainer's parameters
// and buffers within rounding after 20 steps, another result than the plain spec's,
// bit-identical repeats, and an exact resume from step 10.
void expect_variant_tracks_the_cpu_trainer(const ModelSpec& plain, const ModelSpec& variant, const Dataset& data,
                                           const TrainConfig& config, const Schedule& schedule) {
  CpuTrainer cpu(variant, data, cpu_options(config));
  GpuTrainer gpu(variant, data, gpu_options(config)), again(variant, data, gpu_options(config));
  GpuTrainer first_half(variant, data, gpu_options(config)), resumed(variant, data, gpu_options(config));
  GpuTrainer without(plain, data, gpu_options(config));
  run_steps(cpu, schedule, 1, 20);
  run_steps(gpu, schedule, 1, 20);
  run_steps(again, schedule, 1, 20);
  run_steps(without, schedule, 1, 20);
  run_steps(first_half, schedule, 1, 10);
  resumed.load_state(first_half.state());
  run_steps(resumed, schedule, 11, 20);
  const TrainerState a = cpu.state(), b = gpu.state();
  EXPECT_LT(max_relative_error(b.generator.params, a.generator.params), 1e-3);
  EXPECT_LT(max_relative_error(b.discriminator.params, a.discriminator.params), 1e-3);
  ASSERT_EQ(b.discriminator.buffers.size(), a.discriminator.buffers.size());
  if (!a.discriminator.buffers.empty()) {  // spectral norm's u and v
    EXPECT_LT(max_relative_error(b.discriminator.buffers, a.discriminator.buffers), 1e-3);
  }
  // The variant trains other weights than the plain spec.
  EXPECT_GT(std::max(max_relative_error(b.generator.params, without.state().generator.params),
                     max_relative_error(b.discriminator.params, without.state().discriminator.params)),
            1e-4);
  EXPECT_TRUE(bit_identical(b, again.state()));
  EXPECT_TRUE(bit_identical(b, resumed.state()));
}

// The hinge loss (--loss hinge): D's gradients differ most from BCE's (the hinge's are -1/B or 0).
TEST_F(GpuTrainerTest, TrainsWithTheHingeLossAsTheCpuTrainerDoes) {
  GAN_REQUIRE_GPU();
  ModelSpec hinge = spec;
  hinge.loss = AdversarialLoss::kHinge;
  expect_variant_tracks_the_cpu_trainer(spec, hinge, data, config, schedule);
}

// Spectral norm on D (--spectral-norm): its u and v (D's buffers) follow the CPU's too.
TEST_F(GpuTrainerTest, TrainsWithSpectralNormAsTheCpuTrainerDoes) {
  GAN_REQUIRE_GPU();
  ModelSpec normalised = spec;
  add_spectral_norm(&normalised.discriminator);
  expect_variant_tracks_the_cpu_trainer(spec, normalised, data, config, schedule);
}

// DiffAugment (--augment): the three sites' draws, the transforms and G's gradient back through
// them (the MLP's images are 1 x 7 x 9: saturation mixes nothing, the rest applies).
TEST_F(GpuTrainerTest, TrainsWithDiffAugmentAsTheCpuTrainerDoes) {
  GAN_REQUIRE_GPU();
  ModelSpec augmented = spec;
  ASSERT_EQ(parse_augment_policy("color,translation,cutout", &augmented.augment), "");
  expect_variant_tracks_the_cpu_trainer(spec, augmented, data, config, schedule);
  // The draws in the trace (which a PyTorch replay takes) are the CPU's, at every site.
  CpuTrainer cpu(augmented, data, cpu_options(config));
  GpuTrainer gpu(augmented, data, gpu_options(config));
  for (uint64_t step : {1, 4}) {
    cpu.train_step(schedule.position(step));
    gpu.train_step(schedule.position(step));
    const StepTrace a = cpu.last_step_trace(false), b = gpu.last_step_trace(false);
    for (int site = 0; site < 3; ++site) {
      EXPECT_FALSE(a.augment[site].empty());
      EXPECT_EQ(a.augment[site], b.augment[site]) << "step " << step << ", site " << site;
    }
  }
}

// G's average (--ema) on the GPU: the CPU trainer's within rounding after 20 steps (the
// warm-up's decays included), bit-identical repeats in a graph, exact resume, and a state that
// moves to the CPU trainer and back with its average.
TEST_F(GpuTrainerTest, AveragesGAsTheCpuTrainerDoesAndResumesExactly) {
  GAN_REQUIRE_GPU();
  CpuTrainerOptions cpu_averaging = cpu_options(config);
  cpu_averaging.ema_decay = 0.9;
  GpuTrainerOptions averaging = gpu_options(config);
  averaging.ema_decay = 0.9;
  CpuTrainer cpu(spec, data, cpu_averaging);
  GpuTrainer gpu(spec, data, averaging), again(spec, data, averaging);
  run_steps(cpu, schedule, 1, 20);
  run_steps(gpu, schedule, 1, 20);
  run_steps(again, schedule, 1, 20);
  const TrainerState a = cpu.state(), b = gpu.state();
  ASSERT_EQ(b.generator_ema.size(), spec.generator.parameter_count);
  EXPECT_LT(max_relative_error(b.generator_ema, a.generator_ema), 1e-3);
  EXPECT_GT(max_relative_error(b.generator_ema, b.generator.params), 1e-4);  // an average, not G
  EXPECT_TRUE(bit_identical(b, again.state()));

  GpuTrainer before(spec, data, averaging);
  run_steps(before, schedule, 1, 12);
  GpuTrainer after(spec, data, averaging);
  after.load_state(before.state());
  run_steps(after, schedule, 13, 20);
  EXPECT_TRUE(bit_identical(after.state(), b));
  CpuTrainer moved(spec, data, cpu_averaging);
  moved.load_state(before.state());
  EXPECT_TRUE(bit_identical(moved.state(), before.state()));
  EXPECT_THROW(GpuTrainer(spec, data, gpu_options(config)).load_state(b), InputError);  // the run keeps none
}

TEST_F(GpuTrainerTest, RecordsTheFirstNonFiniteStep) {
  GAN_REQUIRE_GPU();
  GpuTrainer gpu(spec, data, gpu_options(config));
  run_steps(gpu, schedule, 1, 2);
  EXPECT_EQ(gpu.last_stats().step, 2u);
  EXPECT_EQ(gpu.first_nonfinite_step(), 0u);
  TrainerState poisoned = gpu.state();
  poisoned.discriminator.params[0] = NAN;
  gpu.load_state(poisoned);
  run_steps(gpu, schedule, 3, 4);
  (void)gpu.last_stats();  // the read-back that brings the device's record to the host
  EXPECT_EQ(gpu.first_nonfinite_step(), 3u);
  gpu.load_state(gpu.state());  // a rollback clears it
  EXPECT_EQ(gpu.first_nonfinite_step(), 0u);
}

TEST_F(GpuTrainerTest, GeneratesWhatTheCpuGenerates) {
  GAN_REQUIRE_GPU();
  CpuTrainer cpu(spec, data, cpu_options(config));
  GpuTrainer gpu(spec, data, gpu_options(config));
  const std::vector<float> z = testing::random_vector<float>(static_cast<size_t>(37 * config.latent_dim), 3);
  std::vector<float> a(static_cast<size_t>(37 * spec.image_size())), b(a.size(), NAN);
  cpu.generate(z.data(), nullptr, 37, a.data());
  gpu.generate(z.data(), nullptr, 37, b.data());
  EXPECT_LT(max_relative_error(b, a), 1e-5);
}

// bench_step --breakdown's instrument: every phase of an eager step timed, the graph counted,
// replays timed on both sides, and the training itself unchanged by the timing.
TEST_F(GpuTrainerTest, BreakdownTimesEveryPhaseAndChangesNothing) {
  GAN_REQUIRE_GPU();
  GpuTrainer timed(spec, data, gpu_options(config)), plain(spec, data, gpu_options(config));
  run_steps(timed, schedule, 1, 1);  // the first step at batch 32: eager, before any replay
  std::vector<StepPosition> eager, replayed;
  for (uint64_t step : {2, 3, 5}) eager.push_back(schedule.position(step));    // step 4 is the smaller batch
  for (uint64_t step : {6, 7, 9, 10}) replayed.push_back(schedule.position(step));
  const StepBreakdown b = measure_step_breakdown(timed, eager, replayed);

  ASSERT_EQ(b.eager_steps.size(), 3u);
  for (const std::vector<PhaseTime>& phases : b.eager_steps) {
    ASSERT_FALSE(phases.empty());
    EXPECT_EQ(phases.front().name, "step");
    EXPECT_EQ(phases.front().depth, 0);
    double inner = 0;
    std::set<std::string> names;
    for (const PhaseTime& p : phases) {
      EXPECT_TRUE(std::isfinite(p.ms) && p.ms >= 0) << p.name << " " << p.ms;
      names.insert(p.name);
      if (p.depth == 1) inner += p.ms;
    }
    // The phases lie inside the step (events on one stream: their times cannot add up to more).
    EXPECT_LE(inner, phases.front().ms * 1.01 + 0.01);
    for (const char* expected : {"data", "G forward", "D forward", "loss", "D backward", "Adam D", "Adam G"}) {
      EXPECT_EQ(names.count(expected), 1u) << expected;
    }
  }
  EXPECT_GT(b.kernels_per_step, 10);
  EXPECT_GE(b.nodes_per_step, b.kernels_per_step);
  EXPECT_TRUE(std::isfinite(b.graph_gpu_ms) && b.graph_gpu_ms > 0);
  EXPECT_TRUE(std::isfinite(b.graph_host_ms) && b.graph_host_ms > 0);

  // The same positions without the instrument: the same bits.
  run_steps(plain, schedule, 1, 1);
  for (const StepPosition& at : eager) plain.train_step(at);
  for (const StepPosition& at : replayed) plain.train_step(at);
  EXPECT_TRUE(bit_identical(timed.state(), plain.state()));
  // Anything but a GPU trainer is refused.
  CpuTrainer cpu(spec, data, cpu_options(config));
  EXPECT_THROW(measure_step_breakdown(cpu, eager, {}), InternalError);
}

// Branches (side streams) move kernels, not arithmetic: the same bits as one stream, eagerly and
// in the graph, with either forward path, across the epoch's smaller last batch and its graph;
// with spectral norm and DiffAugment too (their kernels run on the main stream beside the branch).
TEST_F(GpuTrainerTest, BranchesGiveTheSameBitsAsOneStream) {
  GAN_REQUIRE_GPU();
  ModelSpec normalised = spec, augmented = spec;
  add_spectral_norm(&normalised.discriminator);
  ASSERT_EQ(parse_augment_policy("color,translation,cutout", &augmented.augment), "");
  for (const ModelSpec* variant : std::initializer_list<const ModelSpec*>{&spec, &normalised, &augmented})
  for (ForwardPath forward : {ForwardPath::kCublas, ForwardPath::kFused}) {
    GpuTrainerOptions one = gpu_options(config), graph = gpu_options(config, true, true);
    GpuTrainerOptions eager = gpu_options(config, false, true);
    one.forward = graph.forward = eager.forward = forward;
    GpuTrainer serial(*variant, data, one), branched(*variant, data, graph), branched_eager(*variant, data, eager);
    for (uint64_t step = 1; step <= 10; ++step) {
      for (Trainer* t : {static_cast<Trainer*>(&serial), static_cast<Trainer*>(&branched),
                         static_cast<Trainer*>(&branched_eager)}) {
        t->train_step(schedule.position(step));
      }
      // The losses the step reads back, and the gradients of the last step, every step.
      const StepStats s = serial.last_stats(), b = branched.last_stats(), e = branched_eager.last_stats();
      EXPECT_EQ(s.d_loss, b.d_loss) << step;
      EXPECT_EQ(s.g_loss, b.g_loss) << step;
      EXPECT_EQ(s.d_loss, e.d_loss) << step;
      EXPECT_EQ(s.g_loss, e.g_loss) << step;
      EXPECT_TRUE(std::isfinite(s.d_loss) && std::isfinite(s.g_loss));
      const StepTrace ts = serial.last_step_trace(true), tb = branched.last_step_trace(true);
      EXPECT_EQ(ts.z_g, tb.z_g) << step;
      EXPECT_EQ(ts.d_grads, tb.d_grads) << step;
      EXPECT_EQ(ts.g_grads, tb.g_grads) << step;
    }
    const TrainerState a = serial.state();
    EXPECT_TRUE(bit_identical(a, branched.state()));
    EXPECT_TRUE(bit_identical(a, branched_eager.state()));
    EXPECT_NE(branched.description().find("branches"), std::string::npos) << branched.description();
  }
}

// The same at the seed's widths and a large batch, where each kernel runs long enough that a
// missing join (a kernel reading a buffer another stream is still writing) would show.
TEST(GpuTrainerBranches, SameBitsAtTheSeedsWidthsAndALargeBatch) {
  GAN_REQUIRE_GPU();
  const TrainConfig seed_config = config_from_json({{"batch", 512}, {"beta1", 0.5}, {"seed", 77}}, "test");
  const Dataset images = synthetic_dataset(2048, 28, 28, 11);
  const ModelSpec seed_spec = make_mlp_spec(seed_config, 28, 28);
  const Schedule seed_schedule{images.count, seed_config.batch, false, 3, 0};
  GpuTrainer serial(seed_spec, images, gpu_options(seed_config)),
      branched(seed_spec, images, gpu_options(seed_config, true, true));
  for (uint64_t step = 1; step <= 8; ++step) {
    serial.train_step(seed_schedule.position(step));
    branched.train_step(seed_schedule.position(step));
    const StepTrace s = serial.last_step_trace(true), b = branched.last_step_trace(true);
    EXPECT_EQ(s.d_grads, b.d_grads) << step;
    EXPECT_EQ(s.g_grads, b.g_grads) << step;
  }
  EXPECT_TRUE(bit_identical(serial.state(), branched.state()));
}

}  // namespace
}  // namespace gan
