#pragma once
// defines: CpuGemm, set_cpu_gemm, cpu_gemm, cpu_gemm_name, sgemm — the CPU's float GEMMs, through
// OpenBLAS or oneDNN (--cpu-gemm)
//
// Every float GEMM of the CPU trainer and of evaluation goes through sgemm(), which hands it to
// the library chosen for the process. Both run on OpenMP's one pool (Debian builds both against
// libgomp), so the element-wise loops, OpenBLAS and oneDNN never compete for the cores. The
// choice changes the last bits of a GEMM (the two sum in different orders), not the step: both
// are checked against gemm_naive and the PyTorch replays.
#include <cstdint>
#include <string>

namespace gan {

enum class CpuGemm { kOpenBlas, kOneDnn };

void set_cpu_gemm(CpuGemm gemm);
CpuGemm cpu_gemm();
const char* cpu_gemm_name(CpuGemm gemm);  // "OpenBLAS", "oneDNN"

// Row-major C[M, N] = alpha op(A) op(B) + beta C, op transposing when ta / tb. lda, ldb, ldc:
// the row strides of A, B and C as stored.
void sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace gan
