// Checkpoints: round trips, exact resume, every kind of corrupt file, a checkpoint of another
// architecture, a resume into a different config, and `gan sample`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "data/idx.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "util/error.h"
#include "util/files.h"

namespace gan {
namespace {

namespace fs = std::filesystem;
using testing::run_gan;
using testing::ScratchDir;
using testing::small_run_flags;

std::string error_of_load(const std::string& path) {
  try {
    load_checkpoint(path, nullptr);
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Checkpoint, SaveLoadRoundTrip) {
  ScratchDir dir;
  const auto r = run_gan("train " + small_run_flags(dir) + " --out " + dir.path("run") + " --steps 9");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ModelSpec spec;
  const Checkpoint c = load_checkpoint(dir.path("run/last.safetensors"), &spec);
  EXPECT_EQ(c.position.step, 9u);
  EXPECT_EQ(c.position.epoch, 1u);           // 7 steps per epoch: step 10 is epoch 1's third
  EXPECT_EQ(c.position.epoch_position, 32);
  EXPECT_EQ(c.state.generator.adam_step, 9);
  EXPECT_EQ(c.data_count, 100);
  EXPECT_EQ(spec.generator.tensors[0].shape, (std::vector<int64_t>{12, 7}));
  // Saving what was loaded gives the same tensors back.
  save_checkpoint(dir.path("copy.safetensors"), spec, c);
  const Checkpoint again = load_checkpoint(dir.path("copy.safetensors"), nullptr);
  EXPECT_EQ(again.state.generator.params, c.state.generator.params);
  EXPECT_EQ(again.state.discriminator.exp_avg_sq, c.state.discriminator.exp_avg_sq);
  EXPECT_EQ(again.config, c.config);
  // PyTorch's state_dict names, prefixed by the network, and the Adam moments.
  const SafetensorsFile file = read_safetensors(dir.path("run/last.safetensors"));
  EXPECT_EQ(file.tensors.count("generator.model.0.weight"), 1u);
  EXPECT_EQ(file.tensors.count("discriminator.model.2.bias"), 1u);
  EXPECT_EQ(file.tensors.count("optimizer.generator.exp_avg.model.4.weight"), 1u);
  EXPECT_EQ(file.tensors.count("optimizer.discriminator.exp_avg_sq.model.0.bias"), 1u);
}

TEST(Checkpoint, ResumeIsBitwiseTheUninterruptedRun) {
  ScratchDir dir;
  const std::string flags = small_run_flags(dir);
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("a") + " --steps 17 --checkpoint-every 0").exit_code, 0);
  const auto resumed = run_gan("train --resume " + dir.path("a") + " --steps 40");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("at step 17"), std::string::npos) << resumed.output;
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("b") + " --steps 40").exit_code, 0);
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), nullptr);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  EXPECT_EQ(a.position.step, 40u);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_EQ(a.state.discriminator.params, b.state.discriminator.params);
  EXPECT_EQ(a.state.generator.exp_avg, b.state.generator.exp_avg);
  EXPECT_EQ(a.state.discriminator.exp_avg_sq, b.state.discriminator.exp_avg_sq);
  // The metrics of the resumed run continue the file.
  std::ifstream metrics(dir.path("a/metrics.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(metrics, line);) ++lines;
  EXPECT_EQ(lines, 4 + 5);  // steps 5, 10, 15, 17 then 20, 25, 30, 35, 40
}

TEST(Checkpoint, NumberedCheckpointsKeepTheLastK) {
  ScratchDir dir;
  const auto r = run_gan("train " + small_run_flags(dir) + " --out " + dir.path("run") +
                         " --steps 25 --checkpoint-every 5 --keep-checkpoints 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path("run/checkpoints"))) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"step_00000020.safetensors", "step_00000025.safetensors"}));
  const auto resumed = run_gan("train --resume " + dir.path("run/checkpoints/step_00000020.safetensors") + " --steps 26");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find(dir.path("run")), std::string::npos);
}

TEST(Checkpoint, ResumeIntoADifferentConfigIsRefusedWithTheDifferences) {
  ScratchDir dir;
  ASSERT_EQ(run_gan("train " + small_run_flags(dir) + " --out " + dir.path("a") + " --steps 3").exit_code, 0);
  const auto r = run_gan("train --resume " + dir.path("a") + " --lr 0.5 --batch 8 --steps 10");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("lr: 0.001 in the checkpoint, 0.5 now"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("batch: 16 in the checkpoint, 8 now"), std::string::npos) << r.output;
  fs::create_directories(dir.path("other"));
  testing::write_bytes(dir.path("other/train-images-idx3-ubyte"), testing::make_idx_images(101, 6, 5, 1));
  const auto data = run_gan("train --resume " + dir.path("a") + " --data " + dir.path("other") + " --steps 10");
  EXPECT_EQ(data.exit_code, 1);
  EXPECT_NE(data.output.find("trained on 100 images of 6x5"), std::string::npos) << data.output;
  const auto trace = run_gan("train --resume " + dir.path("a") + " --trace " + dir.path("t"));
  EXPECT_EQ(trace.exit_code, 1);
  EXPECT_NE(trace.output.find("--trace"), std::string::npos);
  const auto missing = run_gan("train --resume " + dir.path("nothing-here"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("nothing-here"), std::string::npos) << missing.output;
}

TEST(Checkpoint, CorruptOrTruncatedFilesAreClearErrors) {
  ScratchDir dir;
  ASSERT_EQ(run_gan("train " + small_run_flags(dir) + " --out " + dir.path("run") + " --steps 2").exit_code, 0);
  const auto bytes = read_whole_file(dir.path("run/last.safetensors"));
  uint64_t header = 0;
  for (int i = 0; i < 8; ++i) header |= uint64_t{bytes[i]} << (8 * i);
  // Truncated at every region: the length field, the header, the data.
  for (size_t keep : {size_t{0}, size_t{5}, size_t{8}, size_t{8 + header / 2}, size_t{8 + header},
                      size_t{8 + header + 100}, bytes.size() - 1}) {
    SCOPED_TRACE(keep);
    testing::write_bytes(dir.path("cut"), std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(keep)));
    const std::string message = error_of_load(dir.path("cut"));
    EXPECT_EQ(message.rfind(dir.path("cut") + ": ", 0), 0u) << message;
  }
  // Header fields changed in place (same length, so only the field is wrong).
  const std::string text(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(header));
  auto with_header_edit = [&](const std::string& from, const std::string& to) {
    std::string edited = text;
    const size_t at = edited.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    edited.replace(at, from.size(), to);
    std::vector<uint8_t> out(bytes);
    std::copy(edited.begin(), edited.end(), out.begin() + 8);
    testing::write_bytes(dir.path("edited"), out);
    return error_of_load(dir.path("edited"));
  };
  EXPECT_NE(with_header_edit("\"F32\"", "\"F16\"").find("dtype F16"), std::string::npos);
  EXPECT_NE(with_header_edit("gan-checkpoint-1", "gan-checkpoint-9").find("not a gan checkpoint"), std::string::npos);
  EXPECT_NE(with_header_edit("\"data_offsets\"", "\"data_offzets\"").find("data_offsets"), std::string::npos);
  EXPECT_NE(with_header_edit("generator.model.0.weight\"", "generator.model.0.wEight\"").find("no tensor"),
            std::string::npos);
  EXPECT_NE(with_header_edit("\"step\":\"2\"", "\"step\":\"x\"").find("'step' is 'x'"), std::string::npos);
}

TEST(Checkpoint, EveryMetadataFieldWrongInTurnIsRejected) {
  ScratchDir dir;
  ASSERT_EQ(run_gan("train " + small_run_flags(dir) + " --out " + dir.path("run") + " --steps 2").exit_code, 0);
  const SafetensorsFile good = read_safetensors(dir.path("run/last.safetensors"));
  ModelSpec spec;
  const Checkpoint checkpoint = load_checkpoint(dir.path("run/last.safetensors"), &spec);
  // Rewrites the checkpoint's tensors with one metadata field replaced (or removed).
  auto rewrite = [&](const std::string& key, const std::string* value) {
    std::vector<TensorView> views;
    for (const auto& [name, tensor] : good.tensors) views.push_back({name, tensor.shape, tensor.data.data()});
    auto metadata = good.metadata;
    if (value) metadata[key] = *value;
    else metadata.erase(key);
    write_safetensors(dir.path("bad.safetensors"), views, metadata);
    return error_of_load(dir.path("bad.safetensors"));
  };
  const std::string junk = "x1", huge = "99999999999999999999999", negative = "-1";
  for (const char* key : {"step", "epoch", "epoch_position", "noise_stream", "generator_adam_step",
                          "discriminator_adam_step", "data_count", "image_height", "image_width"}) {
    SCOPED_TRACE(key);
    for (const std::string* value : {&junk, &huge, &negative, static_cast<const std::string*>(nullptr)}) {
      const std::string message = rewrite(key, value);
      EXPECT_EQ(message.rfind(dir.path("bad.safetensors") + ": ", 0), 0u) << message;
      EXPECT_NE(message.find(key), std::string::npos) << message;
    }
  }
  const std::string zero = "0";
  EXPECT_NE(rewrite("image_width", &zero).find("out of range"), std::string::npos);
  const std::string not_json = "{", unknown_key = R"({"bogus": 1})";
  EXPECT_NE(rewrite("config", &not_json).find("'config'"), std::string::npos);
  EXPECT_NE(rewrite("config", &unknown_key).find("unknown key 'bogus'"), std::string::npos);
  EXPECT_NE(rewrite("config", nullptr).find("'config'"), std::string::npos);
  EXPECT_NE(rewrite("format", nullptr).find("not a gan checkpoint"), std::string::npos);
  // A missing tensor is named.
  std::vector<TensorView> fewer;
  for (const auto& [name, tensor] : good.tensors) {
    if (name != "optimizer.discriminator.exp_avg.model.2.bias") fewer.push_back({name, tensor.shape, tensor.data.data()});
  }
  write_safetensors(dir.path("fewer.safetensors"), fewer, good.metadata);
  EXPECT_NE(error_of_load(dir.path("fewer.safetensors")).find("no tensor 'optimizer.discriminator.exp_avg.model.2.bias'"),
            std::string::npos);
  (void)checkpoint;
}

TEST(Checkpoint, AnotherArchitectureNamesTheTensorAndBothShapes) {
  ScratchDir dir;
  ASSERT_EQ(run_gan("train " + small_run_flags(dir) + " --out " + dir.path("run") + " --steps 2").exit_code, 0);
  ModelSpec spec;
  Checkpoint c = load_checkpoint(dir.path("run/last.safetensors"), &spec);
  // Claim wider hidden layers in the config while keeping the tensors: the model the config
  // describes no longer matches the file.
  c.config["g_hidden"] = {13, 9};
  save_checkpoint(dir.path("lie.safetensors"), spec, c);
  const std::string message = error_of_load(dir.path("lie.safetensors"));
  EXPECT_NE(message.find("tensor 'generator.model.0.weight' has shape [12, 7], expected [13, 7]"), std::string::npos)
      << message;
}

TEST(Sample, WritesAGridAndAnIdxFileOurReaderReadsBack) {
  ScratchDir dir;
  ASSERT_EQ(run_gan("train " + small_run_flags(dir) + " --out " + dir.path("run") + " --steps 4").exit_code, 0);
  auto r = run_gan("sample --checkpoint " + dir.path("run") + " --n 10 --out " + dir.path("s.idx") + " --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const IdxArray images = read_idx_file(dir.path("s.idx"), 3);
  EXPECT_EQ(images.dims, (std::vector<uint32_t>{10, 6, 5}));
  // The same seed gives the same images; another seed, others.
  ASSERT_EQ(run_gan("sample --checkpoint " + dir.path("run") + " --n 10 --out " + dir.path("t-idx3-ubyte") + " --seed 3")
                .exit_code,
            0);
  EXPECT_EQ(read_idx_file(dir.path("t-idx3-ubyte"), 3).data, images.data);
  ASSERT_EQ(run_gan("sample --checkpoint " + dir.path("run") + " --n 10 --out " + dir.path("u.idx") + " --seed 4").exit_code,
            0);
  EXPECT_NE(read_idx_file(dir.path("u.idx"), 3).data, images.data);
  r = run_gan("sample --checkpoint " + dir.path("run/last.safetensors") + " --n 10 --out " + dir.path("g.png"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto png = read_whole_file(dir.path("g.png"));
  EXPECT_EQ(std::vector<uint8_t>(png.begin() + 1, png.begin() + 4), (std::vector<uint8_t>{'P', 'N', 'G'}));
  r = run_gan("sample --checkpoint " + dir.path("run") + " --out " + dir.path("x.bmp"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("expected a name ending in .png, .idx or -idx3-ubyte"), std::string::npos);
  r = run_gan("sample --checkpoint " + dir.path("nope") + " --out " + dir.path("x.png"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(dir.path("nope")), std::string::npos) << r.output;
}

}  // namespace
}  // namespace gan
