#pragma once
// defines: DeviceBuffer, CudaStream, DeviceArena — owners of device memory and streams
//
// Every allocation, copy and fill here waits for the device: use them outside the training step
// (set-up, tests, checks), never inside a captured step.
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "cuda_check.cuh"
#include "util/arena_layout.h"
#include "util/error.h"
#include "util/memory.h"

namespace gan {

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count) : count_(count) {
    if (count > 0) GAN_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);  // not checked: a destructor must not throw
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return data_; }
  size_t size() const { return count_; }

  // Copies host to elements [offset, offset + host.size()) and waits until it has landed: a
  // copy from pageable memory and cudaMemset may return early, and the callers' non-blocking
  // streams do not wait for the default stream.
  void upload(const std::vector<T>& host, size_t offset = 0) {
    if (offset > count_ || host.size() > count_ - offset) throw InternalError("DeviceBuffer::upload: out of range");
    if (!host.empty()) {
      GAN_CHECK(cudaMemcpy(data_ + offset, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
      GAN_CHECK(cudaDeviceSynchronize());
    }
  }
  // Waits for all work on the device first (kernels on any stream), then copies.
  std::vector<T> download() const {
    std::vector<T> host(count_);
    GAN_CHECK(cudaDeviceSynchronize());
    if (count_ > 0) GAN_CHECK(cudaMemcpy(host.data(), data_, count_ * sizeof(T), cudaMemcpyDeviceToHost));
    return host;
  }
  // Every byte 0xFF: NaN as a float, so an element a kernel forgot to write cannot pass.
  void poison() {
    if (count_ > 0) {
      GAN_CHECK(cudaMemset(data_, 0xFF, count_ * sizeof(T)));
      GAN_CHECK(cudaDeviceSynchronize());  // see upload
    }
  }

 private:
  T* data_ = nullptr;
  size_t count_ = 0;
};

class CudaStream {
 public:
  CudaStream() { GAN_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~CudaStream() { cudaStreamDestroy(stream_); }
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize() const { GAN_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_ = nullptr;
};

// DeviceArena: one zeroed device allocation carved into the pieces of an ArenaLayout.
// Plan first (place each buffer's pointer with its size), then allocate once: one cudaMalloc for
// the whole trainer, made before any graph capture, every byte zero, every placed pointer set,
// and a clear error that names the total and the GPU's free memory when it does not fit.
class DeviceArena {
 public:
  template <class T>
  void place(T** pointer, size_t count) {
    layout_.place(pointer, count);
  }

  // One allocation of everything placed, zeroed; sets the placed pointers. `what` names the
  // owner in the error message.
  void allocate(const std::string& what);

  size_t bytes() const { return layout_.bytes(); }
  // The allocation (null before allocate) and its pieces: what a memory map or a check of the
  // step's pointers (tests/recorder) needs to tell one buffer from the next.
  const char* base() const { return memory_.get(); }
  std::vector<ArenaLayout::Extent> pieces() const { return layout_.extents(); }

 private:
  ArenaLayout layout_;
  DeviceBuffer<char> memory_;
};

inline void DeviceArena::allocate(const std::string& what) {
  size_t free_bytes = 0, total_bytes = 0;
  GAN_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const size_t bytes = layout_.bytes();
  if (bytes > free_bytes) {
    throw InputError(what + " needs " + format_bytes(static_cast<double>(bytes)) + " of GPU memory, but the GPU has " +
                     format_bytes(static_cast<double>(free_bytes)) + " free of " +
                     format_bytes(static_cast<double>(total_bytes)) + " (lower --batch or the layer widths)");
  }
  memory_ = DeviceBuffer<char>(bytes);
  // Zero, so that what must start at zero does (gradient padding, the step's counters).
  if (bytes > 0) GAN_CHECK(cudaMemset(memory_.get(), 0, bytes));
  layout_.point(memory_.get());
}

}  // namespace gan
