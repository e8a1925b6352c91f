#pragma once
// defines: check_status (for cudnnStatus_t), CudnnHandle, CudnnConvLayer, CudnnBatchNorm — the DCGAN's
// convolutions and BatchNorm on the GPU through cuDNN (its v9 "legacy" API), in the semantics
// and layouts of the CPU references (host/cpu/image_ops.h): NCHW activations, Conv2d weights
// [Cout, Cin, K, K], ConvTranspose2d weights [Cin, Cout, K, K].
//
// Everything a layer needs is decided when it is built, outside any graph capture: the
// descriptors (they hold the batch size, so a layer serves one batch size), the algorithms
// (by default the first DETERMINISTIC one in cuDNN's heuristic ranking: the same pick and the
// same bits on every run; a timed search, whose pick may change from run to run, only when asked:
// ConvAlgorithms in cuda/gpu_api.h) and their workspace size. The calls
// themselves only enqueue work on the handle's stream, so they can be captured.
#include <cudnn.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "cuda/gpu_api.h"  // ConvAlgorithms
#include "model/conv_shape.h"
#include "cuda/resources.h"

namespace gan {

// GAN_CHECK (cuda_check.cuh) on a cuDNN call.
inline void check_status(cudnnStatus_t status, const char* what, const char* file, int line) {
  if (status != CUDNN_STATUS_SUCCESS) {
    throw CudaError(std::string("cuDNN error: ") + cudnnGetErrorString(status) + " in " + what + " at " + file + ":" +
                    std::to_string(line));
  }
}

// One cuDNN handle bound to one stream.
class CudnnHandle {
 public:
  explicit CudnnHandle(cudaStream_t stream);
  ~CudnnHandle();
  CudnnHandle(const CudnnHandle&) = delete;
  CudnnHandle& operator=(const CudnnHandle&) = delete;
  cudnnHandle_t get() const { return handle_; }

 private:
  cudnnHandle_t handle_ = nullptr;
};

// An NCHW float tensor descriptor (owner).
class TensorDescriptor {
 public:
  TensorDescriptor(int64_t n, int64_t c, int64_t h, int64_t w);
  ~TensorDescriptor();
  TensorDescriptor(const TensorDescriptor&) = delete;
  TensorDescriptor& operator=(const TensorDescriptor&) = delete;
  cudnnTensorDescriptor_t get() const { return descriptor_; }

 private:
  cudnnTensorDescriptor_t descriptor_ = nullptr;
};

// A Conv2d or a ConvTranspose2d (with bias) at one batch size. Both are computed from the same
// cuDNN convolution: a ConvTranspose2d's forward is that convolution's backward-data pass, its
// input gradient is the convolution's forward pass, and its weight gradient the convolution's
// backward-filter pass with the roles of input and output gradient exchanged.
class CudnnConvLayer {
 public:
  enum class Kind { kConv, kTransposed };
  // `shape` as for the CPU references: for kConv the Conv2d's input is (height, width); for
  // kTransposed (height, width) is the layer's OUTPUT size (image_ops.h). tf32 allows tensor
  // cores (CUDNN_DEFAULT_MATH); otherwise FMA only, plain FP32 like the CPU. A timed `choice`
  // runs cuDNN's search here, on zeroed buffers it allocates for the purpose (outside any capture).
  CudnnConvLayer(const CudnnHandle& cudnn, Kind kind, const ConvShape& shape, bool tf32,
                 ConvAlgorithms choice = ConvAlgorithms::kHeuristic);
  ~CudnnConvLayer();
  CudnnConvLayer(const CudnnConvLayer&) = delete;
  CudnnConvLayer& operator=(const CudnnConvLayer&) = delete;

  // The largest workspace any of the three algorithms needs; every call gets one this large.
  size_t workspace_bytes() const { return workspace_bytes_; }
  // "fwd 1, bwd-data 1, bwd-filter 1" (cuDNN's algorithm numbers), for logs and benchmarks;
  // " (NOT deterministic)" after them when one of the three is not.
  std::string algorithms() const;

  // y = layer(x) + bias (null: none), overwritten. x, y: the layer's input and output.
  void forward(const float* x, const float* w, const float* bias, float* y, void* workspace) const;
  // From dy (the gradient at the layer's output): dx (input gradient), dw, dbias, each
  // overwritten; any may be null to skip it. x is the forward's input (for dw).
  void backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* dbias,
                void* workspace) const;

 private:
  // The cuDNN convolution maps `conv_in_` to `conv_out_` through the filter [k, c, r, s]:
  // for kConv that is the layer; for kTransposed, the layer maps conv_out_ to conv_in_.
  const CudnnHandle& cudnn_;
  Kind kind_;
  TensorDescriptor conv_in_, conv_out_, bias_;
  cudnnFilterDescriptor_t filter_ = nullptr;
  cudnnConvolutionDescriptor_t convolution_ = nullptr;
  cudnnConvolutionFwdAlgo_t forward_algo_{};
  cudnnConvolutionBwdDataAlgo_t backward_data_algo_{};
  cudnnConvolutionBwdFilterAlgo_t backward_filter_algo_{};
  size_t workspace_bytes_ = 0;
  bool deterministic_ = true;
};

// BatchNorm2d over x [B, C, HW] (spatial: statistics per channel over the batch and the plane),
// at one batch size.
class CudnnBatchNorm {
 public:
  // eps must be at least CUDNN_BN_MIN_EPSILON (0 in cuDNN 9, 1e-5 in older versions).
  CudnnBatchNorm(const CudnnHandle& cudnn, int64_t batch, int64_t channels, int64_t plane, double eps);

  // Training mode: the batch's statistics; running_mean/var [C] move by `momentum` (PyTorch's
  // meaning: new = (1 - momentum) old + momentum batch, the variance unbiased). saved_mean,
  // saved_inverse_std [C] keep what the backward pass reads.
  void forward_training(const float* x, const float* gamma, const float* beta, double momentum, float* running_mean,
                        float* running_var, float* y, float* saved_mean, float* saved_inverse_std) const;
  // Evaluation mode: the running statistics (sampling).
  void forward_inference(const float* x, const float* gamma, const float* beta, const float* running_mean,
                         const float* running_var, float* y) const;
  // dx, dgamma, dbeta (all overwritten, none null) from dy and the forward's x and saved values.
  void backward(const float* x, const float* dy, const float* gamma, const float* saved_mean,
                const float* saved_inverse_std, float* dx, float* dgamma, float* dbeta) const;

 private:
  const CudnnHandle& cudnn_;
  TensorDescriptor data_, parameters_;
  double eps_;
};

}  // namespace gan
