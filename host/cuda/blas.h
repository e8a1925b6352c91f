#pragma once
// defines: check_status (for cublasStatus_t), CublasHandle, gemm_forward, gemm_weight_grad, gemm_input_grad,
// gemm_label_table_grad
//
// The three GEMMs of the step, on row-major tensors with PyTorch's layouts, through
// column-major cuBLAS. The mapping, written once here: a row-major [rows, cols] matrix is, to
// cuBLAS, the column-major [cols, rows] matrix with the same bytes (its transpose). So
//   forward      Y[B,out]  = X[B,in] W[out,in]^T   is  Y'[out,B]  = W'^T X'     (W' = [in,out])
//   weight grad  dW[out,in] = dZ[B,out]^T X[B,in]  is  dW'[in,out] = X' dZ'^T   (X' = [in,B])
//   input grad   dX[B,in]  = dZ[B,out] W[out,in]   is  dX'[in,B]  = W' dZ'      (dZ' = [out,B])
// where M' is the column-major view of row-major M. Each is tested against the naive CPU loop
// on odd, non-square sizes, so a swapped dimension cannot pass.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/resources.h"

namespace gan {

// GAN_CHECK (cuda_check.cuh) on a cuBLAS call.
void check_status(cublasStatus_t status, const char* what, const char* file, int line);

// One handle, bound to one stream, with a fixed workspace (allocated here, before any graph
// capture): cuBLAS then gives the same bits on every run. FP32 (CUBLAS_DEFAULT_MATH) unless
// tf32, which allows TF32 tensor cores (CUBLAS_TF32_TENSOR_OP_MATH).
class CublasHandle {
 public:
  CublasHandle(cudaStream_t stream, bool tf32);
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
  DeviceBuffer<char> workspace_;
};

// Y[B, out] = X[B, in] W[out, in]^T   (no bias: launch_bias_activation does the epilogue)
void gemm_forward(const CublasHandle& blas, const float* X, const float* W, float* Y, int64_t B, int64_t in,
                  int64_t out);
// dW[out, in] = dZ[B, out]^T X[B, in]   (overwrites dW)
void gemm_weight_grad(const CublasHandle& blas, const float* dZ, const float* X, float* dW, int64_t B, int64_t in,
                      int64_t out);
// dX[B, columns] = dZ[B, out] W[out, 0:columns]  (overwrites dX): the input gradient, or with
// columns < in only its first columns (the conditional D's image, without the label's columns).
void gemm_input_grad(const CublasHandle& blas, const float* dZ, const float* W, float* dX, int64_t B, int64_t in,
                     int64_t out, int64_t columns = -1);
// d_table[classes, dim] = class_sums[classes, out] W[out, column : column + dim]  (overwrites
// d_table): the label table's gradient from the first layer's dZ summed per class (the CPU's
// label_embedding_backward).
void gemm_label_table_grad(const CublasHandle& blas, const float* class_sums, const float* W, float* d_table,
                           int64_t classes, int64_t in, int64_t out, int64_t column, int64_t dim);

}  // namespace gan
