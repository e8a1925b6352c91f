#pragma once
// defines: GAN_CUDA_CHECK, GAN_CUDA_CHECK_LAUNCH, gan::CudaError
//
// Every CUDA runtime call goes through GAN_CUDA_CHECK, and every kernel launch is followed by
// GAN_CUDA_CHECK_LAUNCH, so a failure names the call, the file and the line. In debug builds
// (GAN_DEBUG_SYNC) a launch is also synchronised, so an asynchronous fault names its kernel.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace gan {

class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline void cuda_check(cudaError_t status, const char* what, const char* file, int line) {
  if (status != cudaSuccess) {
    throw CudaError(std::string("CUDA error: ") + cudaGetErrorString(status) + " (" +
                    cudaGetErrorName(status) + ") in " + what + " at " + file + ":" +
                    std::to_string(line));
  }
}

// True while this thread captures a CUDA graph: the debug build's synchronise-after-launch must
// not run then (synchronising a capturing stream invalidates the capture).
inline thread_local bool capturing_graph = false;

}  // namespace gan

#define GAN_CUDA_CHECK(call) ::gan::cuda_check((call), #call, __FILE__, __LINE__)

#if defined(GAN_DEBUG_SYNC)
#define GAN_CUDA_CHECK_LAUNCH(name)                                               \
  do {                                                                            \
    ::gan::cuda_check(cudaGetLastError(), "launch of " name, __FILE__, __LINE__); \
    if (!::gan::capturing_graph)                                                  \
      ::gan::cuda_check(cudaDeviceSynchronize(), "kernel " name, __FILE__, __LINE__); \
  } while (0)
#else
#define GAN_CUDA_CHECK_LAUNCH(name) \
  ::gan::cuda_check(cudaGetLastError(), "launch of " name, __FILE__, __LINE__)
#endif
