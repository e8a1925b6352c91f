#include "cuda/phase_timer.h"

#include "cuda_check.cuh"
#include "util/error.h"

namespace gan {

PhaseTimer::~PhaseTimer() {
  if (active_phase_timer == this) active_phase_timer = nullptr;
  for (cudaEvent_t e : pool_) cudaEventDestroy(e);  // errors ignored: nothing can be done in a destructor
}

cudaEvent_t PhaseTimer::event() {
  if (used_ == pool_.size()) {
    cudaEvent_t e = nullptr;
    GAN_CHECK(cudaEventCreate(&e));
    pool_.push_back(e);
  }
  return pool_[used_++];
}

void PhaseTimer::open(const char* name, cudaStream_t stream) {
  Range range;
  range.name = name;
  range.depth = static_cast<int>(open_.size());
  range.stream = stream ? stream : stream_;
  range.start = event();
  GAN_CHECK(cudaEventRecord(range.start, range.stream));
  open_.push_back(ranges_.size());
  ranges_.push_back(std::move(range));
}

void PhaseTimer::close() noexcept {
  if (open_.empty()) {
    close_error_ = "a range closed that never opened";
    return;
  }
  Range& range = ranges_[open_.back()];
  open_.pop_back();
  try {
    range.end = event();
  } catch (const std::exception& e) {
    close_error_ = e.what();
    return;
  }
  const cudaError_t recorded = cudaEventRecord(range.end, range.stream);
  if (recorded != cudaSuccess && close_error_.empty()) close_error_ = cudaGetErrorString(recorded);
}

std::vector<PhaseTime> PhaseTimer::collect() {
  if (!open_.empty()) throw InternalError("PhaseTimer::collect with " + std::to_string(open_.size()) + " open ranges");
  if (!close_error_.empty()) throw CudaError("timing a phase: " + close_error_);
  GAN_CHECK(cudaStreamSynchronize(stream_));
  std::vector<PhaseTime> times;
  for (const Range& range : ranges_) {
    float ms = 0;
    if (range.end == nullptr) throw InternalError("phase " + range.name + " has no end event");
    GAN_CHECK(cudaEventSynchronize(range.end));  // a range on a side stream may end after the timer's stream
    GAN_CHECK(cudaEventElapsedTime(&ms, range.start, range.end));
    times.push_back({range.name, range.depth, ms});
  }
  ranges_.clear();
  used_ = 0;
  return times;
}

}  // namespace gan
