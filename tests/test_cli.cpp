// The gan executable end to end: --help, errors for bad input, and a real training run on
// MNIST-10k (data/mnist, prepared by tools/setup.sh) whose losses move the way a working GAN's do.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cuda/device.h"
#include "cuda/gpu_api.h"
#include "data/idx.h"
#include "io/safetensors.h"
#include "test_util.h"

namespace gan {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

using Result = testing::CommandResult;
using testing::run_gan;

std::string mnist_folder() { return std::string(GAN_SOURCE_DIR) + "/data/mnist"; }

TEST(Cli, HelpListsEveryFlagWithItsDefault) {
  const Result r = run_gan("train --help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* flag : {"--data", "--out", "--epochs", "--steps", "--batch", "--lr", "--beta1", "--beta2", "--seed",
                           "--device", "--threads", "--log-every", "--sample-every", "--config", "--g-hidden"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(r.output.find("128"), std::string::npos);            // batch default
  EXPECT_NE(r.output.find("256,512,1024"), std::string::npos);   // g_hidden default
}

TEST(Cli, BadInputIsAClearErrorAndANonZeroExit) {
  ScratchDir dir;
  Result r = run_gan("train --batch 0 --out " + dir.path("a"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--batch: expected an integer in 1.."), std::string::npos) << r.output;
  r = run_gan("train --data " + dir.path("missing") + " --out " + dir.path("b"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(dir.path("missing") + ": no such file or folder"), std::string::npos) << r.output;
  r = run_gan("train --no-such-flag 3");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no-such-flag"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.path("a")));
  EXPECT_FALSE(fs::exists(dir.path("b")));
}

TEST(Cli, DeviceCudaWithoutAGpuIsAClearError) {
  ScratchDir dir;
  testing::write_bytes(dir.path("train-images-idx3-ubyte"), testing::make_idx_images(20, 4, 4, 1));
  Result r = run_gan("train --device cuda --data " + dir.path() + " --out " + dir.path("run"));
  if (r.output.find("training on GPU") != std::string::npos || r.exit_code == 0) GTEST_SKIP() << "a GPU is visible";
  EXPECT_EQ(r.exit_code, 1);
  // A build without CUDA says so; a build with CUDA on a machine without a GPU says that.
  const char* reason = built_with_cuda() ? "--device cuda: no GPU visible" : "--device cuda: this build of gan has no CUDA";
  EXPECT_NE(r.output.find(reason), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.path("run")));
  // auto falls back to the CPU and says why.
  r = run_gan("train --steps 2 --batch 4 --g-hidden 8 --d-hidden 8 --sample-every 0 --data " + dir.path() + " --out " +
              dir.path("auto"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(built_with_cuda() ? "no GPU visible" : "this build has no CUDA"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("training on CPU"), std::string::npos) << r.output;
}

TEST(Cli, GpuFlagsAreCheckedAndBareBooleansMeanTrue) {
  ScratchDir dir;
  testing::write_bytes(dir.path("train-images-idx3-ubyte"), testing::make_idx_images(20, 4, 4, 1));
  const std::string data = " --data " + dir.path();
  Result r = run_gan("train --no-graph --graph true" + data + " --out " + dir.path("a"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--no-graph contradicts --graph true"), std::string::npos) << r.output;
  r = run_gan("train --profile-steps 9:3" + data + " --out " + dir.path("b"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--profile-steps: expected empty, or A:B"), std::string::npos) << r.output;
  r = run_gan("train --gpu-forward cudnn" + data + " --out " + dir.path("c"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("one of cublas, fused"), std::string::npos) << r.output;
  r = run_gan("train --device cpu --tf32 --no-graph --drop-last --steps 1 --batch 4 --g-hidden 8 --d-hidden 8 "
              "--sample-every 0" + data + " --out " + dir.path("d"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json config = nlohmann::json::parse(std::ifstream(dir.path("d/config.json")));
  EXPECT_EQ(config["config"]["tf32"], true);
  EXPECT_EQ(config["config"]["graph"], false);
  EXPECT_EQ(config["config"]["drop_last"], true);
}

TEST(Cli, CheckSaysClearlyWhenThereIsNoGpu) {
  const Result help = run_gan("check --help");
  EXPECT_EQ(help.exit_code, 0) << help.output;
  for (const char* flag : {"--gpu", "--batch", "--seed", "--tf32"}) {
    EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
  }
  const Result r = run_gan("check");
  if (r.output.find("gan check on GPU") != std::string::npos) GTEST_SKIP() << "a GPU is visible: the GPU tests cover it";
  EXPECT_EQ(r.exit_code, 2) << r.output;  // nothing checked is not a pass
  EXPECT_NE(r.output.find(built_with_cuda() ? "no GPU visible" : "this build of gan has no CUDA"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("no kernel was checked"), std::string::npos) << r.output;
}

TEST(Cli, DcganTrainsChecksAndSamplesOnTheCpu) {
  ScratchDir dir;
  testing::write_bytes(dir.path("train-images-idx3-ubyte"), testing::make_idx_images(24, 28, 28, 1));
  const std::string data = " --data " + dir.path();
  Result r = run_gan("train --model dcgan --dcgan-channels 8,4 --steps 4 --batch 8 --log-every 2 --sample-every 0" +
                     data + " --out " + dir.path("run"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("DCGAN"), std::string::npos) << r.output;
  const SafetensorsFile checkpoint = read_safetensors(dir.path("run/last.safetensors"));
  // BatchNorm's running statistics travel under their PyTorch state_dict names.
  const StoredTensor& var = checkpoint.get("discriminator.net.3.running_var", {8});
  EXPECT_NE(var.data[0], 1.0f);  // moved from its initial value
  EXPECT_EQ(checkpoint.get("generator.net.2.weight", {8, 4, 4, 4}).data.size(), 512u);
  r = run_gan("sample --checkpoint " + dir.path("run") + " --n 9 --out " + dir.path("grid.png"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir.path("grid.png")));
  r = run_gan("train --resume " + dir.path("run") + " --steps 6 --log-every 2");
  EXPECT_EQ(r.exit_code, 0) << r.output;

  // On the GPU: trains where there is one and the build has cuDNN, else says which is missing.
  r = run_gan("train --model dcgan --dcgan-channels 8,4 --device cuda --steps 2 --batch 8" + data + " --out " +
              dir.path("a"));
  std::string why;
  if (!visible_gpus(&why).empty() && gpu_dcgan_available()) {
    EXPECT_EQ(r.exit_code, 0) << r.output;
  } else {
    EXPECT_EQ(r.exit_code, 1);
    const char* reason = !built_with_cuda() ? "has no CUDA" : gpu_dcgan_available() ? "no GPU visible" : "needs cuDNN";
    EXPECT_NE(r.output.find(reason), std::string::npos) << r.output;
  }
  ScratchDir small;
  testing::write_bytes(small.path("train-images-idx3-ubyte"), testing::make_idx_images(20, 4, 4, 1));
  r = run_gan("train --model dcgan --steps 1 --batch 4 --data " + small.path() + " --out " + small.path("c"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("dcgan generates 28x28 images"), std::string::npos) << r.output;
}

TEST(Cli, BatchLargerThanTheDatasetNamesTheKey) {
  ScratchDir dir;
  testing::write_bytes(dir.path("train-images-idx3-ubyte"), testing::make_idx_images(20, 4, 4, 1));
  const Result r = run_gan("train --batch 21 --data " + dir.path() + " --out " + dir.path("run"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("key 'batch': 21 is larger than the dataset (20 images"), std::string::npos) << r.output;
}

TEST(Cli, TrainsOnImagesOfAnySize) {
  ScratchDir dir;
  testing::write_bytes(dir.path("train-images-idx3-ubyte"), testing::make_idx_images(40, 12, 10, 2));
  const Result r = run_gan("train --device cpu --data " + dir.path() + " --out " + dir.path("run") +
                           " --batch 16 --epochs 2 --g-hidden 32 --d-hidden 16 --log-every 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("40 images of 12x10"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("step 6/6"), std::string::npos) << r.output;  // 3 steps per epoch (16+16+8)
  EXPECT_TRUE(fs::exists(dir.path("run/samples/step_00000006.png")));
}

// The progress line's "epoch E/N": N is the epoch the run ends in, whether --steps or --epochs
// ends it (with --steps 3000 it said "epoch 9/200" for a run that ended in epoch 100).
TEST(Cli, TheProgressLineCountsToTheEpochTheRunEndsIn) {
  ScratchDir dir;
  testing::write_bytes(dir.path("train-images-idx3-ubyte"), testing::make_idx_images(40, 4, 4, 3));
  const std::string flags = " --device cpu --batch 8 --g-hidden 8 --d-hidden 8 --sample-every 0 --data " + dir.path();
  // 5 steps per epoch: 12 steps end in the third of 200 epochs.
  Result r = run_gan("train --epochs 200 --steps 12 --log-every 6" + flags + " --out " + dir.path("capped"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("epoch 2/3  step 6/12 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("epoch 3/3  step 12/12 "), std::string::npos) << r.output;
  // --epochs ends this one before --steps would.
  r = run_gan("train --epochs 2 --steps 1000 --log-every 5" + flags + " --out " + dir.path("epochs"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("epoch 1/2  step 5/10 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("epoch 2/2  step 10/10 "), std::string::npos) << r.output;
}

TEST(Cli, TrainsTheSeedsGanOnMnistAndWritesTheRunFolder) {
  ASSERT_TRUE(fs::exists(mnist_folder() + "/train-images-idx3-ubyte"))
      << mnist_folder() << " is missing: run tools/setup.sh (it prepares data/)";
  ScratchDir dir;
  const std::string out = dir.path("run");
  const Result r = run_gan("train --device auto --out " + out + " --steps 300 --log-every 25 --sample-every 100");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("training on the CPU"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("10000 images of 28x28"), std::string::npos) << r.output;

  // config.json: the resolved configuration.
  std::ifstream config_stream(out + "/config.json");
  const auto config = nlohmann::json::parse(config_stream);
  EXPECT_EQ(config["config"]["steps"], 300);
  EXPECT_EQ(config["config"]["batch"], 128);
  EXPECT_EQ(config["data"]["count"], 10000);

  // metrics.jsonl: one record per 25 steps, finite, D ahead of G early on.
  std::ifstream metrics_stream(out + "/metrics.jsonl");
  std::vector<nlohmann::json> records;
  for (std::string line; std::getline(metrics_stream, line);) records.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(records.size(), 12u);
  EXPECT_EQ(records.back()["step"], 300);
  EXPECT_EQ(records.back()["epoch"], 3);  // 79 steps per epoch: step 300 is in the 4th
  for (const auto& rec : records) {
    for (const char* key : {"d_loss", "g_loss", "d_real", "d_fake", "d_fake_g", "images_per_s", "ms_per_step"}) {
      ASSERT_TRUE(rec[key].is_number()) << key << " at step " << rec["step"];
      ASSERT_TRUE(std::isfinite(rec[key].get<double>())) << key;
    }
    EXPECT_GT(rec["d_loss"].get<double>(), 0.0);
    EXPECT_GT(rec["g_loss"].get<double>(), 0.0);
  }
  for (size_t i = 0; i < 4; ++i) {  // steps 25..100: D tells real from fake
    EXPECT_GT(records[i]["d_real"].get<double>(), records[i]["d_fake"].get<double>()) << "step " << records[i]["step"];
  }
  // A working GAN's G is not beaten outright: its loss stays bounded.
  EXPECT_LT(records.back()["g_loss"].get<double>(), 10.0);

  // Sample grids at the start, every 100 steps and at the end, from a stored fixed noise.
  for (const char* name : {"step_00000000.png", "step_00000100.png", "step_00000200.png", "step_00000300.png"}) {
    EXPECT_TRUE(fs::exists(out + "/samples/" + name)) << name;
  }
  const SafetensorsFile noise = read_safetensors(out + "/samples/fixed_noise.safetensors");
  EXPECT_EQ(noise.get("z", {64, 100}).data.size(), 6400u);

  // A second run into the same folder is refused and leaves the first intact.
  const auto size_before = fs::file_size(out + "/metrics.jsonl");
  const Result again = run_gan("train --out " + out + " --steps 5");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("already holds a run"), std::string::npos) << again.output;
  EXPECT_EQ(fs::file_size(out + "/metrics.jsonl"), size_before);
}

}  // namespace
}  // namespace gan
