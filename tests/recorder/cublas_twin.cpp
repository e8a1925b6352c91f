// defines: cublasSgemm_v2, cublasCreate_v2, cublasSetStream_v2, cublasSetWorkspace_v2 — the cuBLAS
// calls of cuda/blas.cpp, for the recording back end
//
// A handle keeps its stream and workspace; an SGEMM is recorded with the bytes its shapes and
// leading dimensions make it touch (column-major, as cuBLAS reads them), and with what is wrong
// with them.
#include <cublas_v2.h>

#include <string>

#include "recorder/twin.h"

struct cublasContext {
  cudaStream_t stream = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

namespace gan::recorder::twin {
namespace {

// The bytes of a column-major rows x cols matrix with leading dimension ld, as cuBLAS reads it:
// every column but the last in full (ld elements), the last up to its rows.
size_t matrix_bytes(int rows, int cols, int ld) {
  if (rows <= 0 || cols <= 0) return 0;
  return (static_cast<size_t>(cols - 1) * static_cast<size_t>(ld) + static_cast<size_t>(rows)) * sizeof(float);
}

const char* op_name(cublasOperation_t op) { return op == CUBLAS_OP_N ? "N" : "T"; }

}  // namespace
}  // namespace gan::recorder::twin

using namespace gan::recorder;

extern "C" {

cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) {
  *handle = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void* workspace, size_t bytes) {
  handle->workspace = workspace;
  handle->workspace_bytes = bytes;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  handle->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}
const char* cublasGetStatusString(cublasStatus_t status) {
  return status == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" : "recorder: a cuBLAS error";
}

cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                              int k, const float* alpha, const float* A, int lda, const float* B, int ldb,
                              const float* beta, float* C, int ldc) {
  Call call;
  call.kind = CallKind::kLibrary;
  call.name = "cublasSgemm";
  call.stream = handle->stream;
  call.detail = std::string(twin::op_name(transa)) + "," + twin::op_name(transb) + " m=" + std::to_string(m) +
                " n=" + std::to_string(n) + " k=" + std::to_string(k);
  // op(A) is m x k, op(B) k x n, C m x n; A as stored is (transa ? k x m : m x k).
  const int a_rows = transa == CUBLAS_OP_N ? m : k, a_cols = transa == CUBLAS_OP_N ? k : m;
  const int b_rows = transb == CUBLAS_OP_N ? k : n, b_cols = transb == CUBLAS_OP_N ? n : k;
  if (m < 1 || n < 1 || k < 1) call.problems.push_back("an empty dimension (" + call.detail + ")");
  if (lda < std::max(1, a_rows)) call.problems.push_back("lda " + std::to_string(lda) + " < rows of A " + std::to_string(a_rows));
  if (ldb < std::max(1, b_rows)) call.problems.push_back("ldb " + std::to_string(ldb) + " < rows of B " + std::to_string(b_rows));
  if (ldc < std::max(1, m)) call.problems.push_back("ldc " + std::to_string(ldc) + " < rows of C " + std::to_string(m));
  if (alpha == nullptr || beta == nullptr) call.problems.push_back("a null alpha or beta");
  call.flops = 2.0 * m * n * k;
  call.gemm_rows = m;
  call.gemm_cols = n;
  const bool accumulate = beta != nullptr && *beta != 0.0f;
  call.accesses.push_back({A, twin::matrix_bytes(a_rows, a_cols, lda), AccessKind::kRead, "A"});
  call.accesses.push_back({B, twin::matrix_bytes(b_rows, b_cols, ldb), AccessKind::kRead, "B"});
  call.accesses.push_back(
      {C, twin::matrix_bytes(m, n, ldc), accumulate ? AccessKind::kReadWrite : AccessKind::kWrite, "C"});
  // cuBLAS may use all of the handle's workspace (split-K): two GEMMs at once must not share it.
  if (handle->workspace) {
    call.accesses.push_back({handle->workspace, handle->workspace_bytes, AccessKind::kWrite, "workspace"});
  } else {
    call.problems.push_back("no workspace set (cublasSetWorkspace): cuBLAS would allocate inside the step");
  }
  twin::enqueue(std::move(call));
  return CUBLAS_STATUS_SUCCESS;
}

}  // extern "C"
