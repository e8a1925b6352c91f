#include "test_util.h"

#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cuda/device.h"
#include "data/idx.h"
#include "util/files.h"

namespace gan::testing {

std::vector<uint8_t> make_idx_images(uint32_t count, uint32_t h, uint32_t w, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> pixels(static_cast<size_t>(count) * h * w);
  for (auto& p : pixels) p = static_cast<uint8_t>(rng() & 0xff);
  return encode_idx({count, h, w}, pixels.data());
}

std::vector<uint8_t> make_idx_labels(uint32_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> labels(count);
  for (auto& l : labels) l = static_cast<uint8_t>(rng() % 10);
  return encode_idx({count}, labels.data());
}

std::pair<int, int> png_size(const std::string& path) {
  const std::vector<uint8_t> bytes = read_whole_file(path);  // IHDR: width, height at bytes 16..23, big-endian
  auto word = [&](size_t at) {
    return int(bytes.at(at)) << 24 | int(bytes.at(at + 1)) << 16 | int(bytes.at(at + 2)) << 8 | int(bytes.at(at + 3));
  };
  return {word(16), word(20)};
}

CommandResult run_gan(const std::string& arguments, const std::string& environment) {
  const std::string command = environment + (environment.empty() ? "" : " ") + GAN_EXECUTABLE + " " + arguments + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe)) result.output += buffer.data();
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

Dataset synthetic_dataset(int64_t count, int h, int w, uint64_t seed) {
  Dataset d;
  d.name = "synthetic";
  d.count = count;
  d.height = h;
  d.width = w;
  std::mt19937 rng(static_cast<uint32_t>(seed));
  d.pixels.resize(static_cast<size_t>(count * h * w));
  for (auto& p : d.pixels) p = static_cast<uint8_t>(rng() & 0xff);
  return d;
}

double central_difference(std::vector<double>& x, size_t i, const std::function<double()>& loss, double h) {
  const double kept = x[i];
  x[i] = kept + h;
  const double up = loss();
  x[i] = kept - h;
  const double down = loss();
  x[i] = kept;
  return (up - down) / (2 * h);
}

double finite_difference_error(std::vector<double>& values, const std::vector<double>& analytic,
                               const std::vector<size_t>& indices, const std::function<double()>& loss, double h) {
  double worst = 0, scale = 1e-12;
  auto probe = [&](size_t i) {
    const double numeric = central_difference(values, i, loss, h);
    worst = std::max(worst, std::fabs(numeric - analytic[i]));
    scale = std::max(scale, std::fabs(numeric));
  };
  if (indices.empty()) {
    for (size_t i = 0; i < values.size(); ++i) probe(i);
  } else {
    for (size_t i : indices) probe(i);
  }
  return worst / scale;
}

std::vector<size_t> probe_indices(const std::vector<TensorSlot>& tensors) {
  constexpr size_t kEnds = 16, kSpread = 8;
  std::vector<size_t> indices;
  for (const TensorSlot& t : tensors) {
    if (t.size <= 2 * kEnds + kSpread) {
      for (size_t e = 0; e < t.size; ++e) indices.push_back(t.offset + e);
      continue;
    }
    for (size_t e = 0; e < kEnds; ++e) indices.push_back(t.offset + e);
    for (size_t k = 1; k <= kSpread; ++k) indices.push_back(t.offset + kEnds + k * (t.size - 2 * kEnds) / (kSpread + 1));
    for (size_t e = t.size - kEnds; e < t.size; ++e) indices.push_back(t.offset + e);
  }
  return indices;
}

std::vector<double> numeric_gradient(std::vector<double>& x, const std::function<double()>& loss, double h) {
  std::vector<double> grad(x.size());
  for (size_t i = 0; i < x.size(); ++i) grad[i] = central_difference(x, i, loss, h);
  return grad;
}

void expect_each_tensor_close(const NetworkSpec& network, const std::vector<double>& ours,
                              const std::vector<double>& reference, double bound) {
  for (const auto& t : network.tensors) {
    const std::vector<double> a(ours.begin() + t.offset, ours.begin() + t.offset + t.size);
    const std::vector<double> b(reference.begin() + t.offset, reference.begin() + t.offset + t.size);
    EXPECT_LT(max_relative_error(a, b), bound) << network.name << "." << t.name;
  }
}

std::string shared_eval_cache() { return std::string(GAN_SOURCE_DIR) + "/data/.cache/eval"; }

std::string small_run_flags(const ScratchDir& dir, const std::string& lr) {
  if (!std::filesystem::exists(dir.path("data/train-images-idx3-ubyte"))) {
    std::filesystem::create_directories(dir.path("data"));
    write_bytes(dir.path("data/train-images-idx3-ubyte"), make_idx_images(100, 6, 5, 9));
  }
  return "--device cpu --data " + dir.path("data") + " --batch 16 --latent-dim 7 --g-hidden 12,9 --d-hidden 10 --lr " +
         lr + " --log-every 5 --sample-every 0";
}

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void expect_gpu_takes(const ScratchDir& dir, const std::string& flag, const std::string& config_text) {
  std::string flags = small_run_flags(dir);
  flags.replace(flags.find("--device cpu"), 12, "--device cuda");
  const auto gpu = run_gan("train " + flags + " " + flag + " --out " + dir.path("gpu") + " --steps 2");
  EXPECT_EQ(gpu.output.find("has no GPU kernel"), std::string::npos) << gpu.output;
  if (gpu.exit_code == 0) {
    EXPECT_TRUE(std::filesystem::exists(dir.path("gpu/last.safetensors")));
    EXPECT_NE(file_text(dir.path("gpu/config.json")).find(config_text), std::string::npos);
  } else {
    EXPECT_TRUE(gpu.output.find("no GPU visible") != std::string::npos ||
                gpu.output.find("has no CUDA") != std::string::npos)
        << gpu.output;
  }
}

}  // namespace gan::testing
