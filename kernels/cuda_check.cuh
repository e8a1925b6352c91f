#pragma once
// defines: GAN_CHECK, GAN_CHECK_LAUNCH, gan::check_status (for cudaError_t), gan::capturing_graph
//
// GAN_CHECK is the one check macro: every CUDA runtime, cuBLAS and cuDNN call goes through it,
// and a failure throws gan::CudaError naming the call, the file and the line. It works on any
// status type with a check_status overload: cudaError_t here, cublasStatus_t in cuda/blas.h,
// cudnnStatus_t in cuda/cudnn_layers.h. Every kernel launch is followed by GAN_CHECK_LAUNCH; in
// debug builds (GAN_DEBUG_SYNC) a launch is also synchronised, so an asynchronous fault names
// its kernel.
#include <cuda_runtime.h>

#include <string>

#include "util/error.h"

namespace gan {

inline void check_status(cudaError_t status, const char* what, const char* file, int line) {
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

#define GAN_CHECK(call) ::gan::check_status((call), #call, __FILE__, __LINE__)

#if defined(GAN_DEBUG_SYNC)
#define GAN_CHECK_LAUNCH(name)                                                      \
  do {                                                                              \
    ::gan::check_status(cudaGetLastError(), "launch of " name, __FILE__, __LINE__); \
    if (!::gan::capturing_graph)                                                    \
      ::gan::check_status(cudaDeviceSynchronize(), "kernel " name, __FILE__, __LINE__); \
  } while (0)
#else
#define GAN_CHECK_LAUNCH(name) ::gan::check_status(cudaGetLastError(), "launch of " name, __FILE__, __LINE__)
#endif
