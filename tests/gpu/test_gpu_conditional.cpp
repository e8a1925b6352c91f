// The conditional MLP on the GPU (--conditional, D's projection term included): its label
// kernels against the CPU references at odd sizes, and the GPU trainer against the CPU trainer on one stream and with branches: the same
// labels bit for bit, gradients (each label table's on its own too) and parameters that track
// the CPU's, graph = eager = branches, and generation with labels.
#include <string>
#include <vector>

#include "check/label_checks.h"
#include "cpu/cpu_trainer.h"
#include "cpu/generate.h"
#include "cuda/gpu_trainer.h"
#include "gpu/gpu_test.h"
#include "model/augment.h"
#include "test_util.h"
#include "train/config.h"
#include "train/schedule.h"

namespace gan {
namespace {

using testing::bit_identical;
using testing::gpu_options;
using testing::max_relative_error;
using testing::run_steps;
using testing::slice;

TEST(GpuLabels, KernelsMatchTheCpuAtOddSizes) {
  GAN_REQUIRE_GPU();
  GAN_EXPECT_KERNEL_MATCHES(check_label_draws(997, 131, 7, seed));
  GAN_EXPECT_KERNEL_MATCHES(check_concat_label_embedding(37, 23, 5, 7, 0, seed));
  GAN_EXPECT_KERNEL_MATCHES(check_concat_label_embedding(37, 23, 5, 7, 11, seed));
  GAN_EXPECT_KERNEL_MATCHES(check_concat_label_embedding(37, 23, 5, 7, 23, seed));
  GAN_EXPECT_KERNEL_MATCHES(check_label_table_grad(257, 29, 65, 0, 9, 13, seed));
  GAN_EXPECT_KERNEL_MATCHES(check_label_table_grad(3, 40, 33, 31, 9, 13, seed));  // classes no row has
  GAN_EXPECT_KERNEL_MATCHES(check_gemm_input_grad_columns(77, 800, 129, 784, seed));
  GAN_EXPECT_KERNEL_MATCHES(check_label_projection(37, 6272, 10, seed));
  GAN_EXPECT_KERNEL_MATCHES(check_label_projection(5, 257, 7, seed));  // a partial block; classes no row has
  GAN_EXPECT_KERNEL_MATCHES(check_label_projection(130, 3, 2, seed));  // rows narrower than a block
}

// D at twice G's rate: the GPU's Adam on D must take D's own rate (discriminator_adam), and the
// bound below was set for rates near 1e-3 (the conditional MLP's default 10x would be 1e-2).
TrainConfig conditional_config() {
  return config_from_json({{"latent_dim", 10}, {"g_hidden", {33, 65}}, {"d_hidden", {47, 17}}, {"batch", 32},
                           {"lr", 1e-3}, {"d_lr", 2e-3}, {"beta1", 0.5}, {"seed", 77}, {"conditional", true},
                           {"classes", 5}},
                          "test");
}

// 100 random 7x9 images with labels 0..4: steps of 32, 32, 32 and 4 images.
Dataset labelled_data() {
  Dataset data = testing::synthetic_dataset(100, 7, 9, 5);
  for (int64_t i = 0; i < data.count; ++i) data.labels.push_back(static_cast<uint8_t>((i * 3) % 5));
  return data;
}

// Every test: the small conditional config, its labelled data, the model, 5 epochs' schedule.
class GpuConditional : public ::testing::Test {
 protected:
  const TrainConfig config = conditional_config();
  const Dataset data = labelled_data();
  const ModelSpec spec = make_model_spec(config, data.height, data.width);
  const Schedule schedule{data.count, config.batch, false, 5, 0};
};

TEST_F(GpuConditional, TracksTheCpuTrainerLabelsAndAll) {
  GAN_REQUIRE_GPU();
  // Plain, and with DiffAugment (its images augmented before their label columns join them).
  ModelSpec augmented = spec;
  ASSERT_EQ(parse_augment_policy("color,translation,cutout", &augmented.augment), "");
  for (const ModelSpec* model : std::initializer_list<const ModelSpec*>{&spec, &augmented})
  for (bool branches : {false, true}) {
    SCOPED_TRACE(std::string(model == &spec ? "" : "--augment, ") + (branches ? "branches" : "one stream"));
    CpuTrainerOptions cpu_options;
    static_cast<StepOptions&>(cpu_options) = step_options(config);
    CpuTrainer cpu(*model, data, cpu_options);
    GpuTrainer gpu(*model, data, gpu_options(config, true, branches));
    for (uint64_t step : {1, 4, 5}) {  // 4: the smaller last batch; 5: a new epoch's order
      SCOPED_TRACE("step " + std::to_string(step));
      // From the CPU's state, so that the gradients compared are of the same parameters (Adam
      // would otherwise turn rounding differences in tiny gradients into parameter differences).
      gpu.load_state(cpu.state());
      cpu.train_step(schedule.position(step));
      gpu.train_step(schedule.position(step));
      const StepTrace a = cpu.last_step_trace(true), b = gpu.last_step_trace(true);
      EXPECT_EQ(a.labels_real, b.labels_real);
      EXPECT_EQ(a.labels_d, b.labels_d);
      EXPECT_EQ(a.labels_g, b.labels_g);
      // Every gradient, and each network's label table on its own (a small table beside large
      // weights could hide in the whole buffer's norm).
      EXPECT_LT(max_relative_error(b.d_grads, a.d_grads), 1e-4);
      EXPECT_LT(max_relative_error(b.g_grads, a.g_grads), 1e-4);
      for (const NetworkSpec* network : {&model->generator, &model->discriminator}) {
        const bool generator = network == &model->generator;
        const TensorSlot& table = network->tensors.front();
        EXPECT_LT(max_relative_error(slice(generator ? b.g_grads : b.d_grads, table),
                                     slice(generator ? a.g_grads : a.d_grads, table)),
                  1e-4)
            << network->name;
      }
      // And D's projection term's table (on by default), last in D's buffer.
      const TensorSlot& projection = model->discriminator.tensor("label_projection.weight");
      EXPECT_LT(max_relative_error(slice(b.d_grads, projection), slice(a.d_grads, projection)), 1e-4);
    }
    run_steps(cpu, schedule, 6, 20);
    run_steps(gpu, schedule, 6, 20);
    EXPECT_LT(max_relative_error(gpu.state().generator.params, cpu.state().generator.params), 1e-3);
    EXPECT_LT(max_relative_error(gpu.state().discriminator.params, cpu.state().discriminator.params), 1e-3);

    // Generation with labels: the CPU's images from the GPU's parameters.
    EXPECT_LT(testing::labelled_generation_error(*model, gpu, 23), 1e-4);
  }
}

TEST_F(GpuConditional, GraphEqualsEagerWithAndWithoutBranches) {
  GAN_REQUIRE_GPU();
  GpuTrainer graph(spec, data, gpu_options(config, true, false));
  GpuTrainer eager(spec, data, gpu_options(config, false, false));
  GpuTrainer branches(spec, data, gpu_options(config, true, true));
  run_steps(graph, schedule, 1, 9);
  run_steps(eager, schedule, 1, 9);
  run_steps(branches, schedule, 1, 9);
  const TrainerState a = graph.state();
  EXPECT_TRUE(bit_identical(a, eager.state()));
  EXPECT_TRUE(bit_identical(a, branches.state()));
}

}  // namespace
}  // namespace gan
