#include "cuda/cudnn_layers.h"

#include <algorithm>
#include <memory>
#include <vector>

namespace gan {
namespace {

constexpr float kOne = 1.0f, kZero = 0.0f;
// No algorithm may ask for more workspace than this: the ones that do are never the only choice.
constexpr size_t kWorkspaceLimit = size_t{256} << 20;

int to_int(int64_t value, const char* what) {
  if (value < 1 || value > 2147483647)
    throw InternalError(std::string("cuDNN layer: ") + what + " out of range: " + std::to_string(value));
  return static_cast<int>(value);
}

// The first result in cuDNN's order (its heuristic ranking, or the measured times of a timed
// search) that is supported with this descriptor's math type (its workspace query succeeds),
// within the workspace limit and, unless any_determinism, deterministic; first among the results
// ranked for the descriptor's own math type (their determinism is the one that will run), then
// among any. `workspace(algo, &bytes)` returns the status of that query.
template <class Perf, class WorkspaceQuery>
const Perf& first_fitting(const std::vector<Perf>& ranked, int returned, cudnnMathType_t math, bool any_determinism,
                          const char* pass, WorkspaceQuery workspace, size_t* bytes) {
  for (bool same_math : {true, false}) {
    for (int i = 0; i < returned; ++i) {
      const Perf& perf = ranked[static_cast<size_t>(i)];
      if (perf.status != CUDNN_STATUS_SUCCESS) continue;
      if (!any_determinism && perf.determinism != CUDNN_DETERMINISTIC) continue;
      if (same_math && perf.mathType != math) continue;
      size_t needed = 0;
      if (workspace(perf.algo, &needed) != CUDNN_STATUS_SUCCESS || needed > kWorkspaceLimit) continue;
      *bytes = needed;
      return perf;
    }
  }
  throw CudaError(std::string("cuDNN offers no ") + (any_determinism ? "" : "deterministic ") + pass +
                  " algorithm for this convolution");
}

// What a timed search (cudnnFind...Ex) runs the convolution on: zeros, and the largest workspace
// any algorithm may have. Allocated for the search only.
struct SearchBuffers {
  SearchBuffers(size_t in_count, size_t out_count, size_t filter_count)
      : in(in_count), out(out_count), filter(filter_count), workspace(kWorkspaceLimit) {
    GAN_CHECK(cudaMemset(in.get(), 0, in_count * sizeof(float)));
    GAN_CHECK(cudaMemset(out.get(), 0, out_count * sizeof(float)));
    GAN_CHECK(cudaMemset(filter.get(), 0, filter_count * sizeof(float)));
    GAN_CHECK(cudaDeviceSynchronize());
  }
  DeviceBuffer<float> in, out, filter;
  DeviceBuffer<char> workspace;
};

}  // namespace

CudnnHandle::CudnnHandle(cudaStream_t stream) {
  GAN_CHECK(cudnnCreate(&handle_));
  const cudnnStatus_t bound = cudnnSetStream(handle_, stream);
  if (bound != CUDNN_STATUS_SUCCESS) {
    cudnnDestroy(handle_);
    GAN_CHECK(bound);
  }
}

CudnnHandle::~CudnnHandle() { cudnnDestroy(handle_); }

TensorDescriptor::TensorDescriptor(int64_t n, int64_t c, int64_t h, int64_t w) {
  const int dims[] = {to_int(n, "batch"), to_int(c, "channels"), to_int(h, "height"), to_int(w, "width")};
  GAN_CHECK(cudnnCreateTensorDescriptor(&descriptor_));
  const cudnnStatus_t set =
      cudnnSetTensor4dDescriptor(descriptor_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, dims[0], dims[1], dims[2], dims[3]);
  if (set != CUDNN_STATUS_SUCCESS) {
    cudnnDestroyTensorDescriptor(descriptor_);
    GAN_CHECK(set);
  }
}

TensorDescriptor::~TensorDescriptor() { cudnnDestroyTensorDescriptor(descriptor_); }

namespace {

// The underlying convolution's channels: it always maps conv_in channels to conv_out channels.
int64_t conv_in_channels(CudnnConvLayer::Kind kind, const ConvShape& s) {
  return kind == CudnnConvLayer::Kind::kConv ? s.in_channels : s.out_channels;
}
int64_t conv_out_channels(CudnnConvLayer::Kind kind, const ConvShape& s) {
  return kind == CudnnConvLayer::Kind::kConv ? s.out_channels : s.in_channels;
}

}  // namespace

CudnnConvLayer::CudnnConvLayer(const CudnnHandle& cudnn, Kind kind, const ConvShape& s, bool tf32,
                               ConvAlgorithms choice)
    : cudnn_(cudnn),
      kind_(kind),
      conv_in_(s.batch, conv_in_channels(kind, s), s.height, s.width),
      conv_out_(s.batch, conv_out_channels(kind, s), s.out_height(), s.out_width()),
      bias_(1, s.out_channels, 1, 1) {  // the layer's output channels, whichever kind
  const int64_t k = conv_out_channels(kind, s), c = conv_in_channels(kind, s);
  try {
    GAN_CHECK(cudnnCreateFilterDescriptor(&filter_));
    GAN_CHECK(cudnnSetFilter4dDescriptor(filter_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, to_int(k, "channels"),
                                               to_int(c, "channels"), to_int(s.kernel, "kernel"),
                                               to_int(s.kernel, "kernel")));
    GAN_CHECK(cudnnCreateConvolutionDescriptor(&convolution_));
    // PyTorch's convolutions are cross-correlations.
    GAN_CHECK(cudnnSetConvolution2dDescriptor(
        convolution_, static_cast<int>(s.padding), static_cast<int>(s.padding), to_int(s.stride, "stride"),
        to_int(s.stride, "stride"), 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    // DEFAULT_MATH lets cuDNN use TF32 tensor cores on Ampere and newer; FMA_MATH keeps FP32.
    const cudnnMathType_t math = tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
    GAN_CHECK(cudnnSetConvolutionMathType(convolution_, math));
    int n = 0, ch = 0, h = 0, w = 0;
    GAN_CHECK(cudnnGetConvolution2dForwardOutputDim(convolution_, conv_in_.get(), filter_, &n, &ch, &h, &w));
    if (n != s.batch || ch != k || h != s.out_height() || w != s.out_width()) {
      throw InternalError("cuDNN computes a " + std::to_string(n) + "x" + std::to_string(ch) + "x" + std::to_string(h) +
                      "x" + std::to_string(w) + " convolution output where the model expects " +
                      std::to_string(s.batch) + "x" + std::to_string(k) + "x" + std::to_string(s.out_height()) + "x" +
                      std::to_string(s.out_width()));
    }
    const cudnnHandle_t handle = cudnn_.get();
    int count = 0, returned = 0;
    size_t forward_bytes = 0, data_bytes = 0, filter_bytes = 0;

    const bool timed = choice != ConvAlgorithms::kHeuristic;
    const bool any_determinism = choice == ConvAlgorithms::kTimedAny;
    std::unique_ptr<SearchBuffers> search;
    if (timed) {
      search = std::make_unique<SearchBuffers>(static_cast<size_t>(s.batch * c * s.height * s.width),
                                               static_cast<size_t>(s.batch * k * s.out_height() * s.out_width()),
                                               static_cast<size_t>(k * c * s.kernel * s.kernel));
    }

    GAN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &count));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> forward(static_cast<size_t>(count));
    if (timed) {
      GAN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
          handle, conv_in_.get(), search->in.get(), filter_, search->filter.get(), convolution_, conv_out_.get(),
          search->out.get(), count, &returned, forward.data(), search->workspace.get(), search->workspace.size()));
    } else {
      GAN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle, conv_in_.get(), filter_, convolution_, conv_out_.get(),
                                                       count, &returned, forward.data()));
    }
    const cudnnConvolutionFwdAlgoPerf_t& forward_pick = first_fitting(
        forward, returned, math, any_determinism, "forward",
        [&](cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
          return cudnnGetConvolutionForwardWorkspaceSize(handle, conv_in_.get(), filter_, convolution_, conv_out_.get(),
                                                         algo, bytes);
        },
        &forward_bytes);
    forward_algo_ = forward_pick.algo;

    GAN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, &count));
    std::vector<cudnnConvolutionBwdDataAlgoPerf_t> data(static_cast<size_t>(count));
    if (timed) {
      GAN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
          handle, filter_, search->filter.get(), conv_out_.get(), search->out.get(), convolution_, conv_in_.get(),
          search->in.get(), count, &returned, data.data(), search->workspace.get(), search->workspace.size()));
    } else {
      GAN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, filter_, conv_out_.get(), convolution_,
                                                            conv_in_.get(), count, &returned, data.data()));
    }
    const cudnnConvolutionBwdDataAlgoPerf_t& data_pick = first_fitting(
        data, returned, math, any_determinism, "backward-data",
        [&](cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
          return cudnnGetConvolutionBackwardDataWorkspaceSize(handle, filter_, conv_out_.get(), convolution_,
                                                              conv_in_.get(), algo, bytes);
        },
        &data_bytes);
    backward_data_algo_ = data_pick.algo;

    GAN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, &count));
    std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> filter(static_cast<size_t>(count));
    if (timed) {
      GAN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
          handle, conv_in_.get(), search->in.get(), conv_out_.get(), search->out.get(), convolution_, filter_,
          search->filter.get(), count, &returned, filter.data(), search->workspace.get(), search->workspace.size()));
    } else {
      GAN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, conv_in_.get(), conv_out_.get(), convolution_,
                                                              filter_, count, &returned, filter.data()));
    }
    const cudnnConvolutionBwdFilterAlgoPerf_t& filter_pick = first_fitting(
        filter, returned, math, any_determinism, "backward-filter",
        [&](cudnnConvolutionBwdFilterAlgo_t algo, size_t* bytes) {
          return cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, conv_in_.get(), conv_out_.get(), convolution_,
                                                                filter_, algo, bytes);
        },
        &filter_bytes);
    backward_filter_algo_ = filter_pick.algo;
    deterministic_ = forward_pick.determinism == CUDNN_DETERMINISTIC &&
                     data_pick.determinism == CUDNN_DETERMINISTIC && filter_pick.determinism == CUDNN_DETERMINISTIC;
    workspace_bytes_ = std::max({forward_bytes, data_bytes, filter_bytes});
  } catch (...) {
    if (convolution_) cudnnDestroyConvolutionDescriptor(convolution_);
    if (filter_) cudnnDestroyFilterDescriptor(filter_);
    throw;
  }
}

CudnnConvLayer::~CudnnConvLayer() {
  cudnnDestroyConvolutionDescriptor(convolution_);
  cudnnDestroyFilterDescriptor(filter_);
}

std::string CudnnConvLayer::algorithms() const {
  return "fwd " + std::to_string(static_cast<int>(forward_algo_)) + ", bwd-data " +
         std::to_string(static_cast<int>(backward_data_algo_)) + ", bwd-filter " +
         std::to_string(static_cast<int>(backward_filter_algo_)) + (deterministic_ ? "" : " (NOT deterministic)");
}

void CudnnConvLayer::forward(const float* x, const float* w, const float* bias, float* y, void* workspace) const {
  const cudnnHandle_t h = cudnn_.get();
  if (kind_ == Kind::kConv) {
    GAN_CHECK(cudnnConvolutionForward(h, &kOne, conv_in_.get(), x, filter_, w, convolution_, forward_algo_,
                                            workspace, workspace_bytes_, &kZero, conv_out_.get(), y));
    if (bias) GAN_CHECK(cudnnAddTensor(h, &kOne, bias_.get(), bias, &kOne, conv_out_.get(), y));
  } else {
    GAN_CHECK(cudnnConvolutionBackwardData(h, &kOne, filter_, w, conv_out_.get(), x, convolution_,
                                                 backward_data_algo_, workspace, workspace_bytes_, &kZero,
                                                 conv_in_.get(), y));
    if (bias) GAN_CHECK(cudnnAddTensor(h, &kOne, bias_.get(), bias, &kOne, conv_in_.get(), y));
  }
}

void CudnnConvLayer::backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* dbias,
                              void* workspace) const {
  const cudnnHandle_t h = cudnn_.get();
  // The layer's output and input as the underlying convolution sees them.
  const cudnnTensorDescriptor_t out = kind_ == Kind::kConv ? conv_out_.get() : conv_in_.get();
  if (dx) {
    if (kind_ == Kind::kConv) {
      GAN_CHECK(cudnnConvolutionBackwardData(h, &kOne, filter_, w, conv_out_.get(), dy, convolution_,
                                                   backward_data_algo_, workspace, workspace_bytes_, &kZero,
                                                   conv_in_.get(), dx));
    } else {
      GAN_CHECK(cudnnConvolutionForward(h, &kOne, conv_in_.get(), dy, filter_, w, convolution_, forward_algo_,
                                              workspace, workspace_bytes_, &kZero, conv_out_.get(), dx));
    }
  }
  if (dw) {
    // dW = correlation of the convolution's input with its output gradient; for the transposed
    // layer those are the layer's output gradient and its input.
    const float* conv_input = kind_ == Kind::kConv ? x : dy;
    const float* conv_output_grad = kind_ == Kind::kConv ? dy : x;
    GAN_CHECK(cudnnConvolutionBackwardFilter(h, &kOne, conv_in_.get(), conv_input, conv_out_.get(),
                                                   conv_output_grad, convolution_, backward_filter_algo_, workspace,
                                                   workspace_bytes_, &kZero, filter_, dw));
  }
  if (dbias) GAN_CHECK(cudnnConvolutionBackwardBias(h, &kOne, out, dy, &kZero, bias_.get(), dbias));
}

CudnnBatchNorm::CudnnBatchNorm(const CudnnHandle& cudnn, int64_t batch, int64_t channels, int64_t plane, double eps)
    : cudnn_(cudnn), data_(batch, channels, plane, 1), parameters_(1, channels, 1, 1), eps_(eps) {
  if (eps < CUDNN_BN_MIN_EPSILON) {
    throw InputError("BatchNorm eps " + std::to_string(eps) + " is below cuDNN's minimum " +
                    std::to_string(CUDNN_BN_MIN_EPSILON));
  }
}

void CudnnBatchNorm::forward_training(const float* x, const float* gamma, const float* beta, double momentum,
                                      float* running_mean, float* running_var, float* y, float* saved_mean,
                                      float* saved_inverse_std) const {
  GAN_CHECK(cudnnBatchNormalizationForwardTraining(
      cudnn_.get(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, data_.get(), x, data_.get(), y, parameters_.get(), gamma,
      beta, momentum, running_mean, running_var, eps_, saved_mean, saved_inverse_std));
}

void CudnnBatchNorm::forward_inference(const float* x, const float* gamma, const float* beta, const float* running_mean,
                                       const float* running_var, float* y) const {
  GAN_CHECK(cudnnBatchNormalizationForwardInference(cudnn_.get(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero,
                                                          data_.get(), x, data_.get(), y, parameters_.get(), gamma,
                                                          beta, running_mean, running_var, eps_));
}

void CudnnBatchNorm::backward(const float* x, const float* dy, const float* gamma, const float* saved_mean,
                              const float* saved_inverse_std, float* dx, float* dgamma, float* dbeta) const {
  GAN_CHECK(cudnnBatchNormalizationBackward(cudnn_.get(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, &kOne, &kZero,
                                                  data_.get(), x, data_.get(), dy, data_.get(), dx, parameters_.get(),
                                                  gamma, dgamma, dbeta, eps_, saved_mean, saved_inverse_std));
}

}  // namespace gan
