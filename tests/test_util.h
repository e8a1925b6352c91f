#pragma once
// Helpers shared by the tests: scratch folders, random inputs, relative errors that reject NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cpu/cpu_gemm.h"
#include "data/dataset.h"
#include "model/model_spec.h"

namespace gan::testing {

// A fresh empty folder under the system temp dir, removed when the object goes away.
class ScratchDir {
 public:
  ScratchDir() {
    static std::mt19937_64 rng(std::random_device{}());
    path_ = std::filesystem::temp_directory_path() / ("gan-test-" + std::to_string(rng()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path(const std::string& name = "") const { return name.empty() ? path_.string() : (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

template <class T>
std::vector<T> random_vector(size_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

// max |a - b| / max(max |b|, tiny): a norm-wise relative error; NaN or a size mismatch gives
// infinity, so no comparison involving NaN can pass.
template <class A, class B>
double max_relative_error(const std::vector<A>& a, const std::vector<B>& b) {
  if (a.size() != b.size()) return INFINITY;
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double x = static_cast<double>(a[i]), y = static_cast<double>(b[i]);
    if (!std::isfinite(x) || !std::isfinite(y)) return INFINITY;
    diff = std::max(diff, std::fabs(x - y));
    scale = std::max(scale, std::fabs(y));
  }
  return diff / std::max(scale, 1e-30);
}

// An uncompressed IDX images file of `count` images of h x w with pixel (i, p) = f(i, p).
std::vector<uint8_t> make_idx_images(uint32_t count, uint32_t h, uint32_t w, uint64_t seed);

// d loss / d x[i] by a central difference; x[i] is restored afterwards.
double central_difference(std::vector<double>& x, size_t i, const std::function<double()>& loss, double h = 1e-6);

// d loss / d x[i] by central differences, for every i.
std::vector<double> numeric_gradient(std::vector<double>& x, const std::function<double()>& loss, double h = 1e-6);

// Compares two flat gradient buffers of a network tensor by tensor (the gaps between aligned
// tensors are never written), so a failure names the tensor.
void expect_each_tensor_close(const NetworkSpec& network, const std::vector<double>& ours,
                              const std::vector<double>& reference, double bound);

// Central finite differences against an analytic gradient: the largest |analytic[i] - numeric[i]|
// over the given indices of `values` (every index when `indices` is empty), divided by the
// largest |numeric[i]|. loss() reads `values`; each entry is restored after its probe.
double finite_difference_error(std::vector<double>& values, const std::vector<double>& analytic,
                               const std::vector<size_t>& indices, const std::function<double()>& loss,
                               double h = 1e-6);

// Sets the process's CPU GEMM (cpu/cpu_gemm.h) for as long as it lives, then restores it.
class UsingCpuGemm {
 public:
  explicit UsingCpuGemm(CpuGemm gemm) : was_(cpu_gemm()) { set_cpu_gemm(gemm); }
  ~UsingCpuGemm() { set_cpu_gemm(was_); }
  UsingCpuGemm(const UsingCpuGemm&) = delete;
  UsingCpuGemm& operator=(const UsingCpuGemm&) = delete;

 private:
  CpuGemm was_;
};

// The entries of each tensor a gradient check probes: all of a tensor of at most 40 entries;
// of a larger one its first 16 and last 16 (for a [Cout, Cin, 4, 4] weight: every tap of the
// first and the last filter, where a wrong border or stride shows) and 8 spread evenly between
// them. A backward pass is written per tensor, not per entry, so a wrong formula shows in these;
// probing every entry of every tensor cost most of the suite's time in finite differences.
std::vector<size_t> probe_indices(const std::vector<TensorSlot>& tensors);

// A data set of `count` random h x w images (no labels), for trainer tests.
Dataset synthetic_dataset(int64_t count, int h, int w, uint64_t seed);
std::vector<uint8_t> make_idx_labels(uint32_t count, uint64_t seed);

// A PNG file's width and height, from its IHDR chunk.
std::pair<int, int> png_size(const std::string& path);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs the gan executable of this build with `arguments` (a shell-quoted string), with
// `environment` ("NAME=value ...") added to its environment.
CommandResult run_gan(const std::string& arguments, const std::string& environment = "");

// `gan train` flags for a small MLP run on 100 images of 6x5 in dir/data (written on first use):
// 7 batches of 16 per epoch, the last of 4, and tiny networks, so runs of dozens of steps take
// milliseconds and cross epoch boundaries. Add --out and --steps.
std::string small_run_flags(const ScratchDir& dir, const std::string& lr = "1e-3");

// The evaluation networks' cache shared by every build folder of this checkout (data/ is not
// committed). The cache is keyed by the images and the recipe, not by the build, so CI's ASan
// stage loads the networks its first stage trained (EvalLadder, ShapesLadder) and spends its
// time on the checks that follow; training a network under ASan is EvalAnyDataCli's, on a
// small folder with a cache of its own.
std::string shared_eval_cache();

// The whole of a text file ("" if it cannot be read).
std::string file_text(const std::string& path);

// For an option the GPU has kernels for (`flag`, e.g. "--loss hinge"): a small run with
// --device cuda is never refused for it; where a GPU runs it, it saves a checkpoint whose
// config.json holds `config_text`, and elsewhere it fails only for want of a GPU or of CUDA.
void expect_gpu_takes(const ScratchDir& dir, const std::string& flag, const std::string& config_text);

}  // namespace gan::testing
