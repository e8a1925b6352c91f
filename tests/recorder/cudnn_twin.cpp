// defines: cudnnConvolutionForward, cudnnBatchNormalizationForwardTraining, cudnnCreate — the cuDNN
// calls of cuda/cudnn_layers.cpp, for the recording back end
//
// Descriptors keep their dimensions; each convolution, bias and BatchNorm pass is recorded with
// the bytes its descriptors make it touch, and with any disagreement between the descriptors (a
// convolution whose output descriptor is not what its input, filter and geometry give, say).
//
// Algorithm queries answer two algorithms, 0 not deterministic and 1 deterministic, each with a
// workspace of kWorkspaceBytes, so that the layers' choice among them runs as on a card.
#include <cudnn.h>

#include <string>

#include "recorder/twin.h"

struct cudnnContext {
  cudaStream_t stream = nullptr;
};
struct cudnnTensorStruct {
  int n = 0, c = 0, h = 0, w = 0;
};
struct cudnnFilterStruct {
  int k = 0, c = 0, r = 0, s = 0;
};
struct cudnnConvolutionStruct {
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

namespace gan::recorder::twin {
namespace {

constexpr size_t kWorkspaceBytes = 4096;
constexpr int kAlgorithms = 2;

std::string dims(const cudnnTensorStruct& t) {
  return std::to_string(t.n) + "x" + std::to_string(t.c) + "x" + std::to_string(t.h) + "x" + std::to_string(t.w);
}
size_t tensor_bytes(const cudnnTensorStruct* t) {
  return t ? static_cast<size_t>(t->n) * t->c * t->h * t->w * sizeof(float) : 0;
}
size_t filter_bytes(const cudnnFilterStruct* f) {
  return f ? static_cast<size_t>(f->k) * f->c * f->r * f->s * sizeof(float) : 0;
}
// What a convolution of x by w gives: n, k, and the output edges.
cudnnTensorStruct convolution_output(const cudnnTensorStruct& x, const cudnnFilterStruct& w,
                                     const cudnnConvolutionStruct& c) {
  auto edge = [](int in, int pad, int kernel, int stride, int dilation) {
    return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
  };
  return {x.n, w.k, edge(x.h, c.pad_h, w.r, c.stride_h, c.dilation_h), edge(x.w, c.pad_w, w.s, c.stride_w, c.dilation_w)};
}
bool same(const cudnnTensorStruct& a, const cudnnTensorStruct& b) {
  return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}

Call library_call(cudnnHandle_t handle, const char* name) {
  Call call;
  call.kind = CallKind::kLibrary;
  call.name = name;
  call.stream = handle ? handle->stream : nullptr;
  if (handle == nullptr) call.problems.push_back("a null handle");
  return call;
}

// Which pass of a convolution a call is, for the shape of its implicit GEMM's output.
enum class Pass { kForward, kData, kFilter };

// The convolution's geometry agrees: `x` convolved by `w` gives `y`. Also the pass's arithmetic:
// every pass does y's elements x C x R x S multiply-adds; its implicit GEMM's output is y's
// pixels x K (forward), x's pixels x C (data) or K x C R S (filter).
void check_convolution(Call& call, const cudnnTensorStruct* x, const cudnnFilterStruct* w,
                       const cudnnConvolutionStruct* c, const cudnnTensorStruct* y, Pass pass) {
  if (!x || !w || !c || !y) {
    call.problems.push_back("a null descriptor");
    return;
  }
  call.flops = 2.0 * y->n * y->c * y->h * y->w * w->c * w->r * w->s;
  call.gemm_rows = pass == Pass::kForward ? int64_t{y->n} * y->h * y->w
                   : pass == Pass::kData  ? int64_t{x->n} * x->h * x->w
                                          : int64_t{w->k};
  call.gemm_cols = pass == Pass::kForward ? int64_t{w->k} : pass == Pass::kData ? int64_t{w->c} : int64_t{w->c} * w->r * w->s;
  call.detail = dims(*x) + " * " + std::to_string(w->k) + "x" + std::to_string(w->c) + "x" + std::to_string(w->r) + "x" +
                std::to_string(w->s) + " -> " + dims(*y);
  if (x->c != w->c) call.problems.push_back("input channels " + std::to_string(x->c) + " but the filter's " + std::to_string(w->c));
  const cudnnTensorStruct expected = convolution_output(*x, *w, *c);
  if (!same(expected, *y)) call.problems.push_back("the output descriptor is " + dims(*y) + ", the convolution gives " + dims(expected));
}

void workspace(Call& call, void* pointer, size_t bytes) {
  if (bytes < kWorkspaceBytes) {
    call.problems.push_back("a workspace of " + std::to_string(bytes) + " bytes; the algorithm needs " +
                            std::to_string(kWorkspaceBytes));
  }
  if (bytes > 0) call.accesses.push_back({pointer, bytes, AccessKind::kWrite, "workspace"});
}

AccessKind output_kind(const void* beta) {
  return beta && *static_cast<const float*>(beta) != 0.0f ? AccessKind::kReadWrite : AccessKind::kWrite;
}

template <class Perf, class Algo>
void algorithms(const cudnnConvolutionStruct* c, int requested, int* returned, Perf* results) {
  const int count = std::min(requested, kAlgorithms);
  for (int i = 0; i < count; ++i) {
    results[i] = Perf{};
    results[i].algo = static_cast<Algo>(i);
    results[i].status = CUDNN_STATUS_SUCCESS;
    results[i].time = static_cast<float>(i + 1);
    results[i].memory = kWorkspaceBytes;
    results[i].determinism = i == 0 ? CUDNN_NON_DETERMINISTIC : CUDNN_DETERMINISTIC;
    results[i].mathType = c ? c->math : CUDNN_DEFAULT_MATH;
  }
  *returned = count;
}

}  // namespace
}  // namespace gan::recorder::twin

using namespace gan::recorder;
using namespace gan::recorder::twin;

extern "C" {

const char* cudnnGetErrorString(cudnnStatus_t status) {
  return status == CUDNN_STATUS_SUCCESS ? "CUDNN_STATUS_SUCCESS" : "recorder: a cuDNN error";
}
cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) {
  *handle = new cudnnContext;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) {
  delete handle;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t stream) {
  handle->stream = stream;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* d) {
  *d = new cudnnTensorStruct;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t format, cudnnDataType_t type,
                                         int n, int c, int h, int w) {
  if (format != CUDNN_TENSOR_NCHW || type != CUDNN_DATA_FLOAT || n < 1 || c < 1 || h < 1 || w < 1) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  *d = {n, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* d) {
  *d = new cudnnFilterStruct;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t type, cudnnTensorFormat_t format,
                                         int k, int c, int h, int w) {
  if (format != CUDNN_TENSOR_NCHW || type != CUDNN_DATA_FLOAT || k < 1 || c < 1 || h < 1 || w < 1) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  *d = {k, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* d) {
  *d = new cudnnConvolutionStruct;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h, int pad_w, int u, int v,
                                              int dilation_h, int dilation_w, cudnnConvolutionMode_t mode,
                                              cudnnDataType_t type) {
  if (pad_h < 0 || pad_w < 0 || u < 1 || v < 1 || dilation_h < 1 || dilation_w < 1) return CUDNN_STATUS_BAD_PARAM;
  d->pad_h = pad_h;
  d->pad_w = pad_w;
  d->stride_h = u;
  d->stride_w = v;
  d->dilation_h = dilation_h;
  d->dilation_w = dilation_w;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t math) {
  d->math = math;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t c,
                                                    const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
                                                    int* n, int* k, int* h, int* width) {
  const cudnnTensorStruct y = convolution_output(*x, *w, *c);
  *n = y.n;
  *k = y.c;
  *h = y.h;
  *width = y.w;
  return CUDNN_STATUS_SUCCESS;
}

// ---- Choosing algorithms (outside the step).

cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t, int* count) {
  *count = kAlgorithms;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnnHandle_t, int* count) {
  *count = kAlgorithms;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnnHandle_t, int* count) {
  *count = kAlgorithms;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t, const cudnnTensorDescriptor_t,
                                                     const cudnnFilterDescriptor_t, const cudnnConvolutionDescriptor_t c,
                                                     const cudnnTensorDescriptor_t, const int requested, int* returned,
                                                     cudnnConvolutionFwdAlgoPerf_t* results) {
  algorithms<cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionFwdAlgo_t>(c, requested, returned, results);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t, const cudnnFilterDescriptor_t,
                                                          const cudnnTensorDescriptor_t,
                                                          const cudnnConvolutionDescriptor_t c,
                                                          const cudnnTensorDescriptor_t, const int requested,
                                                          int* returned, cudnnConvolutionBwdDataAlgoPerf_t* results) {
  algorithms<cudnnConvolutionBwdDataAlgoPerf_t, cudnnConvolutionBwdDataAlgo_t>(c, requested, returned, results);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnnHandle_t, const cudnnTensorDescriptor_t,
                                                            const cudnnTensorDescriptor_t,
                                                            const cudnnConvolutionDescriptor_t c,
                                                            const cudnnFilterDescriptor_t, const int requested,
                                                            int* returned, cudnnConvolutionBwdFilterAlgoPerf_t* results) {
  algorithms<cudnnConvolutionBwdFilterAlgoPerf_t, cudnnConvolutionBwdFilterAlgo_t>(c, requested, returned, results);
  return CUDNN_STATUS_SUCCESS;
}
// A timed search runs each algorithm on the buffers given: recorded, so that their sizes are
// checked like the step's.
cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(cudnnHandle_t handle, const cudnnTensorDescriptor_t xd,
                                                     const void* x, const cudnnFilterDescriptor_t wd, const void* w,
                                                     const cudnnConvolutionDescriptor_t c,
                                                     const cudnnTensorDescriptor_t yd, void* y, const int requested,
                                                     int* returned, cudnnConvolutionFwdAlgoPerf_t* results, void* ws,
                                                     size_t ws_bytes) {
  Call call = library_call(handle, "cudnnFindConvolutionForwardAlgorithmEx");
  call.synchronous = true;  // the search times the algorithms: it returns when they are done
  check_convolution(call, xd, wd, c, yd, Pass::kForward);
  call.accesses = {{x, tensor_bytes(xd), AccessKind::kRead, "x"}, {w, filter_bytes(wd), AccessKind::kRead, "w"},
                   {y, tensor_bytes(yd), AccessKind::kWrite, "y"}, {ws, ws_bytes, AccessKind::kWrite, "workspace"}};
  enqueue(std::move(call));
  algorithms<cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionFwdAlgo_t>(c, requested, returned, results);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(cudnnHandle_t handle, const cudnnFilterDescriptor_t wd,
                                                          const void* w, const cudnnTensorDescriptor_t dyd,
                                                          const void* dy, const cudnnConvolutionDescriptor_t c,
                                                          const cudnnTensorDescriptor_t dxd, void* dx,
                                                          const int requested, int* returned,
                                                          cudnnConvolutionBwdDataAlgoPerf_t* results, void* ws,
                                                          size_t ws_bytes) {
  Call call = library_call(handle, "cudnnFindConvolutionBackwardDataAlgorithmEx");
  call.synchronous = true;
  check_convolution(call, dxd, wd, c, dyd, Pass::kData);
  call.accesses = {{w, filter_bytes(wd), AccessKind::kRead, "w"}, {dy, tensor_bytes(dyd), AccessKind::kRead, "dy"},
                   {dx, tensor_bytes(dxd), AccessKind::kWrite, "dx"}, {ws, ws_bytes, AccessKind::kWrite, "workspace"}};
  enqueue(std::move(call));
  algorithms<cudnnConvolutionBwdDataAlgoPerf_t, cudnnConvolutionBwdDataAlgo_t>(c, requested, returned, results);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithmEx(cudnnHandle_t handle, const cudnnTensorDescriptor_t xd,
                                                            const void* x, const cudnnTensorDescriptor_t dyd,
                                                            const void* dy, const cudnnConvolutionDescriptor_t c,
                                                            const cudnnFilterDescriptor_t dwd, void* dw,
                                                            const int requested, int* returned,
                                                            cudnnConvolutionBwdFilterAlgoPerf_t* results, void* ws,
                                                            size_t ws_bytes) {
  Call call = library_call(handle, "cudnnFindConvolutionBackwardFilterAlgorithmEx");
  call.synchronous = true;
  check_convolution(call, xd, dwd, c, dyd, Pass::kFilter);
  call.accesses = {{x, tensor_bytes(xd), AccessKind::kRead, "x"}, {dy, tensor_bytes(dyd), AccessKind::kRead, "dy"},
                   {dw, filter_bytes(dwd), AccessKind::kWrite, "dw"}, {ws, ws_bytes, AccessKind::kWrite, "workspace"}};
  enqueue(std::move(call));
  algorithms<cudnnConvolutionBwdFilterAlgoPerf_t, cudnnConvolutionBwdFilterAlgo_t>(c, requested, returned, results);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t, const cudnnTensorDescriptor_t,
                                                      const cudnnFilterDescriptor_t, const cudnnConvolutionDescriptor_t,
                                                      const cudnnTensorDescriptor_t, cudnnConvolutionFwdAlgo_t,
                                                      size_t* bytes) {
  *bytes = kWorkspaceBytes;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t, const cudnnFilterDescriptor_t,
                                                           const cudnnTensorDescriptor_t,
                                                           const cudnnConvolutionDescriptor_t,
                                                           const cudnnTensorDescriptor_t, cudnnConvolutionBwdDataAlgo_t,
                                                           size_t* bytes) {
  *bytes = kWorkspaceBytes;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t, const cudnnTensorDescriptor_t,
                                                             const cudnnTensorDescriptor_t,
                                                             const cudnnConvolutionDescriptor_t,
                                                             const cudnnFilterDescriptor_t,
                                                             cudnnConvolutionBwdFilterAlgo_t, size_t* bytes) {
  *bytes = kWorkspaceBytes;
  return CUDNN_STATUS_SUCCESS;
}

// ---- The passes (inside the step).

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void* alpha, const cudnnTensorDescriptor_t xd,
                                      const void* x, const cudnnFilterDescriptor_t wd, const void* w,
                                      const cudnnConvolutionDescriptor_t c, cudnnConvolutionFwdAlgo_t algo, void* ws,
                                      size_t ws_bytes, const void* beta, const cudnnTensorDescriptor_t yd, void* y) {
  Call call = library_call(handle, "cudnnConvolutionForward");
  check_convolution(call, xd, wd, c, yd, Pass::kForward);
  call.accesses = {{x, tensor_bytes(xd), AccessKind::kRead, "x"},
                   {w, filter_bytes(wd), AccessKind::kRead, "w"},
                   {y, tensor_bytes(yd), output_kind(beta), "y"}};
  workspace(call, ws, ws_bytes);
  enqueue(std::move(call));
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t handle, const void* alpha, const cudnnFilterDescriptor_t wd,
                                           const void* w, const cudnnTensorDescriptor_t dyd, const void* dy,
                                           const cudnnConvolutionDescriptor_t c, cudnnConvolutionBwdDataAlgo_t algo,
                                           void* ws, size_t ws_bytes, const void* beta,
                                           const cudnnTensorDescriptor_t dxd, void* dx) {
  Call call = library_call(handle, "cudnnConvolutionBackwardData");
  check_convolution(call, dxd, wd, c, dyd, Pass::kData);
  call.accesses = {{w, filter_bytes(wd), AccessKind::kRead, "w"},
                   {dy, tensor_bytes(dyd), AccessKind::kRead, "dy"},
                   {dx, tensor_bytes(dxd), output_kind(beta), "dx"}};
  workspace(call, ws, ws_bytes);
  enqueue(std::move(call));
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t handle, const void* alpha, const cudnnTensorDescriptor_t xd,
                                             const void* x, const cudnnTensorDescriptor_t dyd, const void* dy,
                                             const cudnnConvolutionDescriptor_t c,
                                             cudnnConvolutionBwdFilterAlgo_t algo, void* ws, size_t ws_bytes,
                                             const void* beta, const cudnnFilterDescriptor_t dwd, void* dw) {
  Call call = library_call(handle, "cudnnConvolutionBackwardFilter");
  check_convolution(call, xd, dwd, c, dyd, Pass::kFilter);
  call.accesses = {{x, tensor_bytes(xd), AccessKind::kRead, "x"},
                   {dy, tensor_bytes(dyd), AccessKind::kRead, "dy"},
                   {dw, filter_bytes(dwd), output_kind(beta), "dw"}};
  workspace(call, ws, ws_bytes);
  enqueue(std::move(call));
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnConvolutionBackwardBias(cudnnHandle_t handle, const void* alpha, const cudnnTensorDescriptor_t dyd,
                                           const void* dy, const void* beta, const cudnnTensorDescriptor_t dbd,
                                           void* db) {
  Call call = library_call(handle, "cudnnConvolutionBackwardBias");
  if (dyd && dbd && (dbd->n != 1 || dbd->c != dyd->c || dbd->h != 1 || dbd->w != 1)) {
    call.problems.push_back("a bias gradient of " + dims(*dbd) + " for a gradient of " + dims(*dyd));
  }
  call.accesses = {{dy, tensor_bytes(dyd), AccessKind::kRead, "dy"}, {db, tensor_bytes(dbd), output_kind(beta), "db"}};
  enqueue(std::move(call));
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnAddTensor(cudnnHandle_t handle, const void* alpha, const cudnnTensorDescriptor_t ad, const void* A,
                             const void* beta, const cudnnTensorDescriptor_t cd, void* C) {
  Call call = library_call(handle, "cudnnAddTensor");
  if (ad && cd) {
    auto broadcasts = [](int a, int c) { return a == c || a == 1; };
    if (!broadcasts(ad->n, cd->n) || !broadcasts(ad->c, cd->c) || !broadcasts(ad->h, cd->h) || !broadcasts(ad->w, cd->w)) {
      call.problems.push_back("adds " + dims(*ad) + " to " + dims(*cd) + ": it does not broadcast");
    }
  }
  call.accesses = {{A, tensor_bytes(ad), AccessKind::kRead, "A"}, {C, tensor_bytes(cd), output_kind(beta), "C"}};
  enqueue(std::move(call));
  return CUDNN_STATUS_SUCCESS;
}

namespace {
void check_batch_norm(Call& call, const cudnnTensorStruct* x, const cudnnTensorStruct* y, const cudnnTensorStruct* p) {
  if (!x || !y || !p) {
    call.problems.push_back("a null descriptor");
    return;
  }
  call.detail = dims(*x);
  if (!same(*x, *y)) call.problems.push_back("x is " + dims(*x) + " but y " + dims(*y));
  if (p->n != 1 || p->c != x->c || p->h != 1 || p->w != 1) {
    call.problems.push_back("per-channel tensors of " + dims(*p) + " for " + dims(*x));
  }
}
}  // namespace

cudnnStatus_t cudnnBatchNormalizationForwardTraining(cudnnHandle_t handle, cudnnBatchNormMode_t mode, const void* alpha,
                                                     const void* beta, const cudnnTensorDescriptor_t xd, const void* x,
                                                     const cudnnTensorDescriptor_t yd, void* y,
                                                     const cudnnTensorDescriptor_t pd, const void* scale,
                                                     const void* bias, double factor, void* running_mean,
                                                     void* running_var, double eps, void* save_mean,
                                                     void* save_inv_var) {
  Call call = library_call(handle, "cudnnBatchNormalizationForwardTraining");
  check_batch_norm(call, xd, yd, pd);
  const size_t c = tensor_bytes(pd);
  call.accesses = {{x, tensor_bytes(xd), AccessKind::kRead, "x"},
                   {y, tensor_bytes(yd), output_kind(beta), "y"},
                   {scale, c, AccessKind::kRead, "scale"},
                   {bias, c, AccessKind::kRead, "bias"},
                   {running_mean, c, AccessKind::kReadWrite, "running_mean"},
                   {running_var, c, AccessKind::kReadWrite, "running_var"}};
  if (save_mean) call.accesses.push_back({save_mean, c, AccessKind::kWrite, "save_mean"});
  if (save_inv_var) call.accesses.push_back({save_inv_var, c, AccessKind::kWrite, "save_inv_var"});
  enqueue(std::move(call));
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnBatchNormalizationForwardInference(cudnnHandle_t handle, cudnnBatchNormMode_t mode,
                                                      const void* alpha, const void* beta,
                                                      const cudnnTensorDescriptor_t xd, const void* x,
                                                      const cudnnTensorDescriptor_t yd, void* y,
                                                      const cudnnTensorDescriptor_t pd, const void* scale,
                                                      const void* bias, const void* mean, const void* variance,
                                                      double eps) {
  Call call = library_call(handle, "cudnnBatchNormalizationForwardInference");
  check_batch_norm(call, xd, yd, pd);
  const size_t c = tensor_bytes(pd);
  call.accesses = {{x, tensor_bytes(xd), AccessKind::kRead, "x"},     {y, tensor_bytes(yd), output_kind(beta), "y"},
                   {scale, c, AccessKind::kRead, "scale"},            {bias, c, AccessKind::kRead, "bias"},
                   {mean, c, AccessKind::kRead, "estimated_mean"},    {variance, c, AccessKind::kRead, "estimated_variance"}};
  enqueue(std::move(call));
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnBatchNormalizationBackward(cudnnHandle_t handle, cudnnBatchNormMode_t mode, const void* alpha_data,
                                              const void* beta_data, const void* alpha_param, const void* beta_param,
                                              const cudnnTensorDescriptor_t xd, const void* x,
                                              const cudnnTensorDescriptor_t dyd, const void* dy,
                                              const cudnnTensorDescriptor_t dxd, void* dx,
                                              const cudnnTensorDescriptor_t pd, const void* scale, void* dscale,
                                              void* dbias, double eps, const void* saved_mean,
                                              const void* saved_inv_var) {
  Call call = library_call(handle, "cudnnBatchNormalizationBackward");
  check_batch_norm(call, xd, dxd, pd);
  if (dyd && xd && !same(*xd, *dyd)) call.problems.push_back("x is " + dims(*xd) + " but dy " + dims(*dyd));
  const size_t c = tensor_bytes(pd);
  call.accesses = {{x, tensor_bytes(xd), AccessKind::kRead, "x"},
                   {dy, tensor_bytes(dyd), AccessKind::kRead, "dy"},
                   {dx, tensor_bytes(dxd), output_kind(beta_data), "dx"},
                   {scale, c, AccessKind::kRead, "scale"},
                   {dscale, c, output_kind(beta_param), "dscale"},
                   {dbias, c, output_kind(beta_param), "dbias"}};
  if (saved_mean) call.accesses.push_back({saved_mean, c, AccessKind::kRead, "saved_mean"});
  if (saved_inv_var) call.accesses.push_back({saved_inv_var, c, AccessKind::kRead, "saved_inv_var"});
  enqueue(std::move(call));
  return CUDNN_STATUS_SUCCESS;
}

}  // extern "C"
