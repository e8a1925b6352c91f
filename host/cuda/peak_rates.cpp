// defines: measure_peak_rates (declared in cuda/gpu_api.h) — what this GPU really reaches, for
// the step plan's predictions
#include <vector>

#include "cuda/blas.h"
#include "cuda/event_timer.h"
#include "cuda/gpu_api.h"
#include "cuda/streams.h"
#include "cuda/resources.h"
#include "linear_forward.cuh"
#include "util/error.h"

namespace gan {

PeakRates measure_peak_rates(int gpu) {
  GAN_CHECK(cudaSetDevice(gpu));
  cudaDeviceProp properties{};
  GAN_CHECK(cudaGetDeviceProperties(&properties, gpu));
  PeakRates rates;
  rates.sms = properties.multiProcessorCount;
  rates.measured = true;
  const CudaStream stream;
  EventTimer timer(stream.get(), 7, /*flush_l2=*/false);

  {  // FP32 SGEMM, n^3 multiply-adds; the inputs hold a normal float (0x3C3C3C3C, about 0.0115).
    constexpr int64_t n = 4096;
    const CublasHandle blas(stream.get(), /*tf32=*/false);
    DeviceBuffer<float> a(n * n), b(n * n), c(n * n);
    GAN_CHECK(cudaMemset(a.get(), 0x3C, n * n * sizeof(float)));
    GAN_CHECK(cudaMemset(b.get(), 0x3C, n * n * sizeof(float)));
    GAN_CHECK(cudaDeviceSynchronize());
    const double ms = timer.median_ms([&] { gemm_forward(blas, a.get(), b.get(), c.get(), n, n, n); });
    rates.fp32_flops_per_s = 2.0 * n * n * n / (ms * 1e-3);
  }
  {  // Bandwidth: a copy reads and writes each byte once.
    constexpr size_t bytes = size_t{256} << 20;
    DeviceBuffer<char> from(bytes), to(bytes);
    GAN_CHECK(cudaMemset(from.get(), 1, bytes));
    GAN_CHECK(cudaDeviceSynchronize());
    const double ms = timer.median_ms([&] {
      GAN_CHECK(cudaMemcpyAsync(to.get(), from.get(), bytes, cudaMemcpyDeviceToDevice, stream.get()));
    });
    rates.bytes_per_s = 2.0 * static_cast<double>(bytes) / (ms * 1e-3);
  }
  {  // The fixed cost of a kernel: a graph of tiny dependent kernels (one float each), replayed.
    constexpr int kernels = 200;
    const DeviceBuffer<float> one(std::vector<float>{1.0f});
    // Once eagerly first: a kernel's first launch may load it, which a capture does not allow.
    launch_bias_activation(one.get(), nullptr, 1, 1, Activation::kIdentity, 0.0f, stream.get());
    stream.synchronize();
    cudaGraphExec_t exec = instantiate_graph(capture_graph(stream.get(), [&] {
      for (int i = 0; i < kernels; ++i) {
        launch_bias_activation(one.get(), nullptr, 1, 1, Activation::kIdentity, 0.0f, stream.get());
      }
    }));
    try {
      const double ms = timer.median_ms([&] { GAN_CHECK(cudaGraphLaunch(exec, stream.get())); });
      rates.kernel_us = ms * 1e3 / kernels;
    } catch (...) {
      cudaGraphExecDestroy(exec);
      throw;
    }
    cudaGraphExecDestroy(exec);
  }
  return rates;
}

}  // namespace gan
