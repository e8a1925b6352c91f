// bench_kernels: the step's kernels on their own, against the alternatives and the card's
// measured ceilings (needs a GPU; exits 77 where none is visible).
//
// usage: bench_kernels [--batch 128] [--reps 200] [--gpu 0] [--json FILE]
//
// Ceilings, measured here: a 1 GiB device-to-device copy (GB/s, bytes read + written) and a
// 8192^3 cuBLAS SGEMM (FP32 and TF32, TFLOP/s). Then, at every layer shape of the seed's step
// (G's layers at batch B, D's at 2B): our fused linear+activation kernel (FP32, TF32), cuBLAS +
// our bias/activation epilogue, and cuBLASLt with its BIAS epilogue followed by our activation
// kernel (cuBLASLt has no LeakyReLU or Tanh epilogue); Adam over G's flat buffer against one
// launch per tensor; BCE. Each repetition is timed alone with CUDA events after the L2 is flushed
// (a memset of twice the L2's size, outside the timed region); medians of --reps repetitions.
#include <cublasLt.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "adam.cuh"
#include "bce.cuh"
#include "cuda/blas.h"
#include "check/check_compare.h"
#include "cuda/device.h"
#include "cuda/event_timer.h"
#include "cuda/resources.h"
#include "linear_forward.cuh"
#include "model/model_spec.h"
#include "train/config.h"
#include "util/error.h"

namespace gan {
namespace {

void lt_check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) throw CudaError(std::string("cuBLASLt: ") + cublasGetStatusString(status) + " in " + what);
}

// n floats uniform in [-scale, scale), or in [0, scale) when non_negative.
DeviceBuffer<float> random_buffer(size_t n, float scale, uint64_t seed, bool non_negative = false) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> draw(non_negative ? 0.0f : -scale, scale);
  std::vector<float> host(n);
  for (float& v : host) v = draw(rng);
  return DeviceBuffer<float>(host);
}

// Y[B,out] = X W^T + b through cuBLASLt's BIAS epilogue (row-major mapping as in blas.h).
class LtLinear {
 public:
  LtLinear(cublasLtHandle_t lt, int64_t B, int64_t in, int64_t out, const float* bias, bool tf32, void* workspace,
           size_t workspace_bytes)
      : lt_(lt), workspace_(workspace), workspace_bytes_(workspace_bytes) {
    lt_check(cublasLtMatmulDescCreate(&op_, tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F, CUDA_R_32F),
             "MatmulDescCreate");
    const cublasOperation_t transpose = CUBLAS_OP_T, none = CUBLAS_OP_N;
    const cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
    lt_check(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof transpose), "TRANSA");
    lt_check(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSB, &none, sizeof none), "TRANSB");
    lt_check(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof epilogue), "EPILOGUE");
    lt_check(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias), "BIAS_POINTER");
    // W' = [in, out] (lead in), X' = [in, B] (lead in), Y' = [out, B] (lead out), column-major.
    lt_check(cublasLtMatrixLayoutCreate(&a_, CUDA_R_32F, in, out, in), "layout A");
    lt_check(cublasLtMatrixLayoutCreate(&b_, CUDA_R_32F, in, B, in), "layout B");
    lt_check(cublasLtMatrixLayoutCreate(&c_, CUDA_R_32F, out, B, out), "layout C");
    cublasLtMatmulPreference_t preference = nullptr;
    lt_check(cublasLtMatmulPreferenceCreate(&preference), "PreferenceCreate");
    lt_check(cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                  &workspace_bytes_, sizeof workspace_bytes_),
             "MAX_WORKSPACE_BYTES");
    int found = 0;
    const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(lt_, op_, a_, b_, c_, c_, preference, 1, &heuristic_, &found);
    cublasLtMatmulPreferenceDestroy(preference);
    lt_check(status, "AlgoGetHeuristic");
    if (found == 0) throw CudaError("cuBLASLt: no algorithm for this shape");
  }
  ~LtLinear() {
    cublasLtMatrixLayoutDestroy(a_);
    cublasLtMatrixLayoutDestroy(b_);
    cublasLtMatrixLayoutDestroy(c_);
    cublasLtMatmulDescDestroy(op_);
  }
  void run(const float* X, const float* W, float* Y, cudaStream_t stream) const {
    const float one = 1.0f, zero = 0.0f;
    lt_check(cublasLtMatmul(lt_, op_, &one, W, a_, X, b_, &zero, Y, c_, Y, c_, &heuristic_.algo, workspace_,
                            workspace_bytes_, stream),
             "Matmul");
  }

 private:
  cublasLtHandle_t lt_;
  void* workspace_;
  size_t workspace_bytes_;
  cublasLtMatmulDesc_t op_ = nullptr;
  cublasLtMatrixLayout_t a_ = nullptr, b_ = nullptr, c_ = nullptr;
  cublasLtMatmulHeuristicResult_t heuristic_{};
};

int run(int argc, char** argv) {
  int64_t batch = 128;
  int reps = 200, gpu = 0;
  std::string json_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--batch") batch = std::atoll(value.c_str());
    else if (flag == "--reps") reps = std::atoi(value.c_str());
    else if (flag == "--gpu") gpu = std::atoi(value.c_str());
    else if (flag == "--json") json_path = value;
    else throw InputError("unknown flag " + flag);
  }
  std::string why;
  const std::vector<GpuInfo> gpus = visible_gpus(&why);
  if (gpus.empty()) {
    std::printf("bench_kernels: no GPU visible (%s): nothing measured\n", why.c_str());
    return 77;
  }
  if (gpu < 0 || gpu >= static_cast<int>(gpus.size()) || batch < 1 || reps < 1) throw InputError("bad --gpu, --batch or --reps");
  GAN_CHECK(cudaSetDevice(gpu));
  CudaStream stream;
  EventTimer timer(stream.get(), reps, /*flush_l2=*/true);
  nlohmann::json report = {{"gpu", gpus[static_cast<size_t>(gpu)].name}, {"batch", batch}, {"reps", reps}, {"rows", nlohmann::json::array()}};
  auto row = [&](const std::string& kernel, const std::string& shape, double us, const std::string& unit, double rate,
                 double ceiling) {
    const double share = ceiling > 0 ? rate / ceiling : 0;
    report["rows"].push_back({{"kernel", kernel}, {"shape", shape}, {"us", us}, {"unit", unit}, {"rate", rate},
                              {"share_of_ceiling", share}});
    std::printf("%-44s %-24s %9.2f us %9.2f %-7s %5.1f%% of ceiling\n", kernel.c_str(), shape.c_str(), us, rate,
                unit.c_str(), 100 * share);
    std::fflush(stdout);
  };

  // ---- ceilings ----
  double copy_gbps = 0, sgemm_tflops = 0, tf32_tflops = 0;
  {
    const size_t bytes = size_t{1} << 30;
    DeviceBuffer<char> from(bytes), to(bytes);
    GAN_CHECK(cudaMemset(from.get(), 1, bytes));
    const double us = timer.median_us([&] {
      GAN_CHECK(cudaMemcpyAsync(to.get(), from.get(), bytes, cudaMemcpyDeviceToDevice, stream.get()));
    }, false);
    copy_gbps = 2.0 * bytes / (us * 1e-6) / 1e9;
    row("ceiling: device-to-device copy", "1 GiB", us, "GB/s", copy_gbps, 0);
    const int64_t n = 8192;
    DeviceBuffer<float> a = random_buffer(static_cast<size_t>(n * n), 1, 1), b = random_buffer(static_cast<size_t>(n * n), 1, 2);
    DeviceBuffer<float> c(static_cast<size_t>(n * n));
    for (bool tf32 : {false, true}) {
      CublasHandle blas(stream.get(), tf32);
      const double gemm_us = timer.median_us([&] { gemm_forward(blas, a.get(), b.get(), c.get(), n, n, n); }, false);
      const double tflops = 2.0 * n * n * n / (gemm_us * 1e-6) / 1e12;
      (tf32 ? tf32_tflops : sgemm_tflops) = tflops;
      row(tf32 ? "ceiling: cuBLAS SGEMM (TF32)" : "ceiling: cuBLAS SGEMM (FP32)", "8192^3", gemm_us, "TFLOP/s", tflops, 0);
    }
  }
  report["ceilings"] = {{"copy_gbps", copy_gbps}, {"sgemm_fp32_tflops", sgemm_tflops}, {"sgemm_tf32_tflops", tf32_tflops}};

  // ---- the layers of the seed's step ----
  const TrainConfig config = resolve_config("", {{"batch", std::to_string(batch)}});
  const ModelSpec spec = make_mlp_spec(config, 28, 28);
  cublasLtHandle_t lt = nullptr;
  lt_check(cublasLtCreate(&lt), "Create");
  DeviceBuffer<char> lt_workspace(size_t{32} << 20);
  CublasHandle blas_fp32(stream.get(), false), blas_tf32(stream.get(), true);
  uint64_t seed = 10;
  for (const NetworkSpec* network : {&spec.generator, &spec.discriminator}) {
    const int64_t rows = network == &spec.discriminator ? 2 * batch : batch;
    for (const LinearLayer& layer : network->layers) {
      const std::string shape = std::to_string(rows) + "x" + std::to_string(layer.in) + "->" + std::to_string(layer.out);
      const double flops = 2.0 * rows * layer.in * layer.out;
      const float scale = 1.0f / std::sqrt(static_cast<float>(layer.in));
      DeviceBuffer<float> X = random_buffer(static_cast<size_t>(rows * layer.in), 1, ++seed);
      DeviceBuffer<float> W = random_buffer(static_cast<size_t>(layer.out * layer.in), scale, ++seed);
      DeviceBuffer<float> b = random_buffer(static_cast<size_t>(layer.out), scale, ++seed);
      DeviceBuffer<float> zeros(std::vector<float>(static_cast<size_t>(layer.out), 0.0f));
      DeviceBuffer<float> Y(static_cast<size_t>(rows * layer.out)), Y_ref(Y.size());
      const std::string act = std::string(" (") + activation_name(layer.activation) + ")";
      for (bool tf32 : {false, true}) {
        const double ceiling = tf32 ? tf32_tflops : sgemm_tflops;
        const char* precision = tf32 ? "tf32" : "fp32";
        const CublasHandle& blas = tf32 ? blas_tf32 : blas_fp32;
        double us = timer.median_us([&] {
          launch_linear_forward_fused(X.get(), W.get(), b.get(), Y_ref.get(), rows, layer.in, layer.out,
                                      layer.activation, spec.slope, tf32, stream.get());
        });
        row(std::string("fused ") + precision + act, shape, us, "TFLOP/s", flops / (us * 1e-6) / 1e12, ceiling);
        us = timer.median_us([&] {
          gemm_forward(blas, X.get(), W.get(), Y.get(), rows, layer.in, layer.out);
          launch_bias_activation(Y.get(), b.get(), rows, layer.out, layer.activation, spec.slope, stream.get());
        });
        row(std::string("cuBLAS ") + precision + " + epilogue" + act, shape, us, "TFLOP/s", flops / (us * 1e-6) / 1e12,
            ceiling);
        const LtLinear lt_linear(lt, rows, layer.in, layer.out, b.get(), tf32, lt_workspace.get(), lt_workspace.size());
        us = timer.median_us([&] {
          lt_linear.run(X.get(), W.get(), Y.get(), stream.get());
          if (layer.activation != Activation::kIdentity) {
            launch_bias_activation(Y.get(), zeros.get(), rows, layer.out, layer.activation, spec.slope, stream.get());
          }
        });
        row(std::string("cuBLASLt ") + precision + " BIAS + activation" + act, shape, us, "TFLOP/s",
            flops / (us * 1e-6) / 1e12, ceiling);
        // The three must compute the same function: report how far cuBLASLt's is from ours.
        stream.synchronize();
        KernelCheck difference_check = start_check("cuBLASLt vs fused", shape, 0, "rel");
        const std::vector<float> fused = Y_ref.download();
        compare_relative(difference_check, Y.download(), std::vector<double>(fused.begin(), fused.end()));
        const double difference = difference_check.nonfinite > 0 ? INFINITY : difference_check.error;
        std::printf("    cuBLASLt vs fused (%s): max relative difference %.2e\n", precision, difference);
        report["rows"].back()["difference_from_fused"] = difference;
      }
    }
  }
  cublasLtDestroy(lt);

  // ---- Adam: one launch over the flat buffer, or one per tensor ----
  {
    const NetworkSpec& G = spec.generator;
    const size_t n = G.parameter_count;
    DeviceBuffer<float> p = random_buffer(n, 1, 101), g = random_buffer(n, 1, 102), m = random_buffer(n, 0.1f, 103);
    DeviceBuffer<float> v = random_buffer(n, 0.01f, 104, /*non_negative=*/true);  // a second moment
    DeviceBuffer<uint64_t> step(std::vector<uint64_t>{1});
    const AdamSettings settings;
    const double bytes = 28.0 * static_cast<double>(n);  // 4 arrays read, 3 written, 4 bytes each
    double us = timer.median_us([&] { launch_adam(p.get(), g.get(), m.get(), v.get(), n, settings, step.get(), stream.get()); });
    row("Adam, one launch over G's flat buffer", std::to_string(n) + " floats", us, "GB/s", bytes / (us * 1e-6) / 1e9,
        copy_gbps);
    us = timer.median_us([&] {
      for (const TensorSlot& t : G.tensors) {
        launch_adam(p.get() + t.offset, g.get() + t.offset, m.get() + t.offset, v.get() + t.offset, t.size, settings,
                    step.get(), stream.get());
      }
    });
    row("Adam, one launch per tensor (" + std::to_string(G.tensors.size()) + ")", std::to_string(n) + " floats", us,
        "GB/s", bytes / (us * 1e-6) / 1e9, copy_gbps);
  }
  // ---- BCE over the D step's 2B logits ----
  {
    DeviceBuffer<float> logits = random_buffer(static_cast<size_t>(2 * batch), 4, 201), dlogit(static_cast<size_t>(2 * batch));
    DeviceBuffer<BceDeviceStats> stats(1);
    const double us = timer.median_us([&] {
      launch_bce_with_logits(logits.get(), batch, batch, dlogit.get(), stats.get(), stream.get());
    });
    row("BCE with logits (one block)", std::to_string(batch) + "+" + std::to_string(batch), us, "us", us, 0);
  }
  if (!json_path.empty()) std::ofstream(json_path) << report.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace gan

int main(int argc, char** argv) {
  try {
    return gan::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_kernels: %s\n", e.what());
    return 1;
  }
}
