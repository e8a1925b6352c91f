// gan check: every CUDA kernel against its CPU reference at the seed's shapes, and (in a build
// with cuDNN) every cuDNN layer of the DCGAN at its default shapes, as a table.
#include <cstdio>
#include <random>
#include <utility>

#include "cli/commands.h"
#include "cuda/device.h"
#include "train/config.h"
#include "util/error.h"
#if defined(GAN_HAVE_CUDA)
#include "check/kernel_checks.h"
#include "check/label_checks.h"
#include "check/stabiliser_checks.h"
#include "cuda_check.cuh"
#include "model/dcgan_spec.h"
#endif
#if defined(GAN_HAVE_CUDNN)
#include "check/cudnn_checks.h"
#endif

namespace gan {

void add_check_command(CLI::App& app, CheckCommand* command) {
  CLI::App* check = app.add_subcommand(
      "check", "Run every CUDA kernel on random data at the seed's shapes and compare it with its CPU reference");
  check->add_option("--gpu", command->gpu, "which GPU")->default_val(0)->check(CLI::NonNegativeNumber);
  check->add_option("--batch", command->batch, "batch size of the shapes checked")
      ->default_val(128)
      ->check(CLI::Range(1, 65536));
  check->add_option("--seed", command->seed, "seed of the random inputs (default: a fresh one, printed)");
  check->add_flag("--tf32", command->tf32, "also check the TF32 tensor-core paths");
}

#if !defined(GAN_HAVE_CUDA)
int run_check_command(const CheckCommand&) {
  std::fprintf(stderr,
               "gan check: this build of gan has no CUDA (it was configured without the CUDA toolkit; see README: "
               "Build): no kernel was checked. The CPU references are covered by the test suite.\n");
  return 2;
}
#else
int run_check_command(const CheckCommand& command) {
  std::string why;
  const std::vector<GpuInfo> gpus = visible_gpus(&why);
  if (gpus.empty()) {
    std::fprintf(stderr,
                 "gan check: no GPU visible (%s): no kernel was checked. The CPU references are covered by the "
                 "test suite; run this on a machine with an NVIDIA GPU.\n",
                 why.c_str());
    return 2;
  }
  if (command.gpu >= static_cast<int>(gpus.size())) {
    throw InputError("--gpu " + std::to_string(command.gpu) + ": only " + std::to_string(gpus.size()) + " GPU(s) visible");
  }
  const GpuInfo& gpu = gpus[static_cast<size_t>(command.gpu)];
  GAN_CHECK(cudaSetDevice(gpu.index));
  const uint64_t seed = command.seed ? *command.seed : std::random_device{}();
  std::printf("gan check on GPU %d: %s (compute capability %d.%d), batch %lld, seed %llu\n", gpu.index,
              gpu.name.c_str(), gpu.major, gpu.minor, static_cast<long long>(command.batch),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);

  // The default config's model (the seed's), at the batch asked for.
  const TrainConfig config = resolve_config("", {{"batch", std::to_string(command.batch)}});
  const ModelSpec spec = make_mlp_spec(config, 28, 28);
  std::vector<KernelCheck> checks = seed_shape_checks(spec, command.batch, command.tf32, seed);
  // The conditional MLP's label path (--conditional) at the seed's widths with MNIST's 10 classes.
  for (KernelCheck& check : label_path_checks(spec, command.batch, 10, seed + 500)) checks.push_back(std::move(check));
  // The stabilisers' kernels (--spectral-norm on each of D's weights, --augment on its images)
  // for the MLP and for the 32x32 colour DCGAN (whose colour channels DiffAugment's saturation mixes).
  for (KernelCheck& check : stabiliser_checks(spec, command.batch, seed + 700)) checks.push_back(std::move(check));
  const ModelSpec colour = make_canonical_dcgan_spec(config.latent_dim, 64, 3, 32, static_cast<float>(config.slope));
  for (KernelCheck& check : stabiliser_checks(colour, command.batch, seed + 800)) checks.push_back(std::move(check));
#if defined(GAN_HAVE_CUDNN)
  // The DCGAN's layers at the default channels (--model dcgan), the batch as above.
  const ModelSpec dcgan = make_dcgan_spec(config.latent_dim, 128, 64, static_cast<float>(config.slope));
  for (KernelCheck& check : dcgan_shape_checks(dcgan, command.batch, command.tf32, seed + 1000)) {
    checks.push_back(std::move(check));
  }
  // The conditional DCGAN's label path (--model dcgan --conditional), 10 classes.
  for (KernelCheck& check : dcgan_label_checks(dcgan, command.batch, 10, seed + 1500)) checks.push_back(std::move(check));
  for (KernelCheck& check : stabiliser_checks(dcgan, command.batch, seed + 1700)) checks.push_back(std::move(check));
#else
  std::printf("(this build has no cuDNN: the DCGAN's layers are not checked)\n");
#endif

  std::printf("%-44s %-36s %12s %12s %10s  %s\n", "kernel", "shape", "max abs err", "error", "bound", "result");
  int failures = 0;
  for (const KernelCheck& check : checks) {
    char error[32], bound[32];
    std::snprintf(error, sizeof error, "%.3g %s", check.error, check.unit.c_str());
    std::snprintf(bound, sizeof bound, "%.3g", check.bound);
    std::printf("%-44s %-36s %12.3g %12s %10s  %s", check.kernel.c_str(), check.shape.c_str(), check.max_abs, error,
                bound, check.pass ? "pass" : "FAIL");
    if (check.nonfinite > 0) std::printf(" (%lld non-finite outputs)", static_cast<long long>(check.nonfinite));
    std::printf("\n");
    failures += check.pass ? 0 : 1;
  }
  if (failures > 0) {
    std::printf("gan check: %d of %zu checks FAILED (seed %llu)\n", failures, checks.size(),
                static_cast<unsigned long long>(seed));
    return 1;
  }
  std::printf("gan check: all %zu checks passed\n", checks.size());
  return 0;
}
#endif

}  // namespace gan
