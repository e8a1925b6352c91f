#pragma once
// defines: DeviceBuffer, CudaStream — owners of device memory and streams
//
// Every allocation, copy and fill here waits for the device: use them outside the training step
// (set-up, tests, checks), never inside a captured step.
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "cuda_check.cuh"

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

}  // namespace gan
