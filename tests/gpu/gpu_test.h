#pragma once
// Helpers of the GPU tests: skip cleanly without a GPU, draw a fresh seed per check (printed on
// failure, so a failing draw can be replayed with `gan check --seed`), assert a KernelCheck, and
// run and compare trainers (both GPU trainer test files).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cuda/device.h"
#include "check/kernel_checks.h"
#include "cpu/generate.h"
#include "test_util.h"
#include "train/schedule.h"
#include "cuda/gpu_api.h"
#include "model/trainer.h"
#include "train/config.h"

#define GAN_REQUIRE_GPU()                                                             \
  do {                                                                                \
    std::string gan_why_no_gpu;                                                       \
    if (::gan::visible_gpus(&gan_why_no_gpu).empty()) {                               \
      GTEST_SKIP() << "no GPU visible (" << gan_why_no_gpu << "): kernel not checked"; \
    }                                                                                 \
  } while (0)

namespace gan::testing {

inline uint64_t fresh_seed() {
  static std::random_device device;
  return (uint64_t{device()} << 32) | device();
}

inline ::testing::AssertionResult passes(const KernelCheck& check) {
  const std::string text = check.kernel + " at " + check.shape + ": error " + std::to_string(check.error) + " " +
                           check.unit + " (bound " + std::to_string(check.bound) + "), max abs " +
                           std::to_string(check.max_abs) + ", non-finite outputs " + std::to_string(check.nonfinite);
  if (check.pass) return ::testing::AssertionSuccess() << text;
  return ::testing::AssertionFailure() << text;
}

// Runs one check with a fresh seed and reports the seed if it fails.
#define GAN_EXPECT_KERNEL_MATCHES(call_with_seed)                       \
  do {                                                                  \
    const uint64_t seed = ::gan::testing::fresh_seed();                 \
    SCOPED_TRACE("seed " + std::to_string(seed));                       \
    EXPECT_TRUE(::gan::testing::passes(call_with_seed));               \
  } while (0)

// A GPU trainer's options for a test's config, at its batch.
inline GpuTrainerOptions gpu_options(const TrainConfig& c, bool graph = true, bool branches = false) {
  GpuTrainerOptions o;
  static_cast<StepOptions&>(o) = step_options(c);
  o.max_batch = c.batch;
  o.graph = graph;
  o.branches = branches;
  return o;
}

// Steps first..last of the schedule.
inline void run_steps(Trainer& trainer, const Schedule& schedule, uint64_t first, uint64_t last) {
  for (uint64_t step = first; step <= last; ++step) trainer.train_step(schedule.position(step));
}

// Both networks' parameters, Adam moments and steps, and running statistics, bit for bit.
inline bool bit_identical(const TrainerState& a, const TrainerState& b) {
  for (auto [x, y] : {std::make_pair(&a.generator, &b.generator), std::make_pair(&a.discriminator, &b.discriminator)}) {
    if (x->params != y->params || x->exp_avg != y->exp_avg || x->exp_avg_sq != y->exp_avg_sq ||
        x->buffers != y->buffers || x->adam_step != y->adam_step) {
      return false;
    }
  }
  return a.generator_ema == b.generator_ema;  // G's average (--ema), empty on both without it
}

// Sizes that are multiples of no tile: 1, 7, 129, 1000 (docs/gpu-notes.md).
inline const int64_t kOddSizes[] = {1, 7, 129, 1000};

// The slice of a flat buffer that holds `tensor`.
inline std::vector<float> slice(const std::vector<float>& flat, const TensorSlot& tensor) {
  return {flat.begin() + tensor.offset, flat.begin() + tensor.offset + tensor.size};
}

// A conditional generator's images on the GPU against the CPU's from the GPU's own parameters:
// `count` images, image i of class (2 i) mod classes; the largest relative difference.
inline double labelled_generation_error(const ModelSpec& spec, Trainer& gpu, int64_t count) {
  const std::vector<float> z = random_vector<float>(static_cast<size_t>(count * spec.latent_dim), 3);
  std::vector<int32_t> labels;
  for (int64_t i = 0; i < count; ++i) labels.push_back(static_cast<int32_t>((i * 2) % spec.classes));
  std::vector<float> want(static_cast<size_t>(count * spec.image_size())), got(want.size(), NAN);
  generate_images(spec, gpu.state().generator, z.data(), labels.data(), count, want.data());
  gpu.generate(z.data(), labels.data(), count, got.data());
  return max_relative_error(got, want);
}

}  // namespace gan::testing
