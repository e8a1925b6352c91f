#pragma once
// defines: EventTimer — the median GPU time of some enqueued work, from CUDA events (the
// benchmarks' and measure_peak_rates' one way of timing)
#include <cuda_runtime.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "cuda/resources.h"

namespace gan {

class EventTimer {
 public:
  // flush_l2: before each timed run, overwrite twice the L2's size (outside the timed region), so
  // that every run reads its inputs from memory, as a step does.
  EventTimer(cudaStream_t stream, int reps, bool flush_l2) : stream_(stream), reps_(reps) {
    if (flush_l2) {
      int device = 0, l2 = 0;
      GAN_CHECK(cudaGetDevice(&device));
      GAN_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device));
      flush_ = DeviceBuffer<char>(std::max<size_t>(2 * static_cast<size_t>(l2), size_t{64} << 20));
    }
    GAN_CHECK(cudaEventCreate(&start_));
    const cudaError_t created = cudaEventCreate(&stop_);
    if (created != cudaSuccess) cudaEventDestroy(start_);
    GAN_CHECK(created);
  }
  ~EventTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;

  // Median milliseconds of `work` (enqueued on the stream) over the timer's repetitions, after
  // three untimed runs; flush: flush the L2 first (when the timer has a flush buffer).
  double median_ms(const std::function<void()>& work, bool flush = true) {
    for (int i = 0; i < 3; ++i) work();
    std::vector<double> ms;
    for (int r = 0; r < reps_; ++r) {
      if (flush && flush_.size() > 0) GAN_CHECK(cudaMemsetAsync(flush_.get(), r & 0xFF, flush_.size(), stream_));
      GAN_CHECK(cudaEventRecord(start_, stream_));
      work();
      GAN_CHECK(cudaEventRecord(stop_, stream_));
      GAN_CHECK(cudaEventSynchronize(stop_));
      float elapsed = 0;
      GAN_CHECK(cudaEventElapsedTime(&elapsed, start_, stop_));
      ms.push_back(elapsed);
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  }
  double median_us(const std::function<void()>& work, bool flush = true) { return 1000.0 * median_ms(work, flush); }

 private:
  cudaStream_t stream_;
  int reps_;
  DeviceBuffer<char> flush_;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

}  // namespace gan
