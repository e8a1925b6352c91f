#include "cuda/blas.h"

#include <limits>
#include <string>

namespace gan {

void check_status(cublasStatus_t status, const char* what, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw CudaError(std::string("cuBLAS error: ") + cublasGetStatusString(status) + " in " + what + " at " + file +
                    ":" + std::to_string(line));
  }
}

namespace {

// cuBLAS takes int dimensions: refuse what does not fit rather than truncate.
int as_int(int64_t value, const char* name) {
  if (value < 1 || value > std::numeric_limits<int>::max()) {
    throw InternalError(std::string("cuBLAS GEMM: dimension ") + name + " = " + std::to_string(value) + " out of range");
  }
  return static_cast<int>(value);
}

// 32 MiB: NVIDIA's recommended cuBLAS workspace on Hopper (4 MiB suffices before it).
constexpr size_t kWorkspaceBytes = size_t{32} << 20;
const float kOne = 1.0f, kZero = 0.0f;  // host pointers: read when the call is enqueued (or captured)

}  // namespace

CublasHandle::CublasHandle(cudaStream_t stream, bool tf32) : workspace_(kWorkspaceBytes) {
  GAN_CHECK(cublasCreate(&handle_));
  try {
    GAN_CHECK(cublasSetStream(handle_, stream));
    GAN_CHECK(cublasSetWorkspace(handle_, workspace_.get(), workspace_.size()));
    GAN_CHECK(cublasSetMathMode(handle_, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  } catch (...) {
    cublasDestroy(handle_);
    throw;
  }
}

CublasHandle::~CublasHandle() { cublasDestroy(handle_); }

void gemm_forward(const CublasHandle& blas, const float* X, const float* W, float* Y, int64_t B, int64_t in,
                  int64_t out) {
  // Y'[out, B] = (W')^T X', W' = [in, out] column-major (lead in), X' = [in, B] (lead in).
  GAN_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_T, CUBLAS_OP_N, as_int(out, "out"), as_int(B, "B"),
                               as_int(in, "in"), &kOne, W, as_int(in, "in"), X, as_int(in, "in"), &kZero, Y,
                               as_int(out, "out")));
}

void gemm_weight_grad(const CublasHandle& blas, const float* dZ, const float* X, float* dW, int64_t B, int64_t in,
                      int64_t out) {
  // dW'[in, out] = X'[in, B] (dZ'[out, B])^T.
  GAN_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_T, as_int(in, "in"), as_int(out, "out"),
                               as_int(B, "B"), &kOne, X, as_int(in, "in"), dZ, as_int(out, "out"), &kZero, dW,
                               as_int(in, "in")));
}

void gemm_input_grad(const CublasHandle& blas, const float* dZ, const float* W, float* dX, int64_t B, int64_t in,
                     int64_t out, int64_t columns) {
  if (columns < 0) columns = in;
  // dX'[columns, B] = W'[0:columns, out] dZ'[out, B]: W' = [in, out] (lead in), its first rows.
  GAN_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_N, as_int(columns, "columns"), as_int(B, "B"),
                               as_int(out, "out"), &kOne, W, as_int(in, "in"), dZ, as_int(out, "out"), &kZero, dX,
                               as_int(columns, "columns")));
}

void gemm_label_table_grad(const CublasHandle& blas, const float* class_sums, const float* W, float* d_table,
                           int64_t classes, int64_t in, int64_t out, int64_t column, int64_t dim) {
  // d_table'[dim, classes] = W'[column : column + dim, out] class_sums'[out, classes]: the rows of
  // W' = [in, out] (lead in) from `column`.
  GAN_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_N, as_int(dim, "dim"), as_int(classes, "classes"),
                               as_int(out, "out"), &kOne, W + column, as_int(in, "in"), class_sums,
                               as_int(out, "out"), &kZero, d_table, as_int(dim, "dim")));
}

}  // namespace gan
