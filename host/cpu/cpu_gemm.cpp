#include "cpu/cpu_gemm.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <atomic>
#include <limits>

#include "util/error.h"

namespace gan {
namespace {

std::atomic<CpuGemm> g_gemm{CpuGemm::kOneDnn};

}  // namespace

void set_cpu_gemm(CpuGemm gemm) { g_gemm = gemm; }
CpuGemm cpu_gemm() { return g_gemm.load(); }
const char* cpu_gemm_name(CpuGemm gemm) { return gemm == CpuGemm::kOneDnn ? "oneDNN" : "OpenBLAS"; }

void sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (g_gemm.load() == CpuGemm::kOneDnn) {
    const dnnl_status_t status =
        dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    if (status != dnnl_success) {
      throw InternalError("oneDNN's sgemm failed (status " + std::to_string(static_cast<int>(status)) + ") on " +
                          std::to_string(M) + " x " + std::to_string(N) + " x " + std::to_string(K));
    }
    return;
  }
  constexpr int64_t kMost = std::numeric_limits<int>::max();  // cblas takes int sizes
  if (M > kMost || N > kMost || K > kMost || lda > kMost || ldb > kMost || ldc > kMost) {
    throw InternalError("a GEMM too large for OpenBLAS's int sizes: " + std::to_string(M) + " x " +
                        std::to_string(N) + " x " + std::to_string(K));
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(M),
              static_cast<int>(N), static_cast<int>(K), alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb), beta,
              C, static_cast<int>(ldc));
}

}  // namespace gan
