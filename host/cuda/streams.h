#pragma once
// defines: SideStream, capture_graph, instantiate_graph — the step's streams: a second stream
// that the step forks work onto and joins back from, with its own cuBLAS handle
// (GpuTrainerOptions::branches), and the capture of a stream's work into a CUDA graph (the
// trainer's step and measure_peak_rates' kernel-cost graph)
//
// Work that reads nothing the main stream is writing can run beside it (the G step's generator
// forward beside the D step; a layer's weight GEMM beside its input GEMM). fork() and join() are
// an event recorded on one stream and waited for by the other, so they order the work the same
// way eagerly and inside a graph capture (where the side stream joins the capture at the first
// fork, and must be joined back before the capture ends). The side stream has its own cuBLAS
// handle with its own workspace: two GEMMs running at once must not share one. Both handles
// are made alike (same math mode, same workspace size), so cuBLAS picks the same algorithms and
// a GEMM gives the same bits on either stream.
#include <cuda_runtime.h>

#include <functional>
#include <memory>

#include "cuda/blas.h"
#include "cuda/resources.h"

namespace gan {

class SideStream {
 public:
  SideStream(cudaStream_t main, bool tf32);
  ~SideStream();
  SideStream(const SideStream&) = delete;
  SideStream& operator=(const SideStream&) = delete;

  cudaStream_t get() const { return side_.get(); }
  const CublasHandle& blas() const { return *blas_; }
  // Work enqueued on the side stream from now on waits for everything enqueued on main so far.
  void fork() const;
  // Work enqueued on main from now on waits for everything enqueued on the side stream so far.
  void join() const;
  // Joins if a fork has not been joined yet, ignoring errors: for a capture that failed between
  // the two (a capture cannot end while a stream it reached is left unjoined).
  void rejoin() const noexcept;

 private:
  cudaStream_t main_;
  CudaStream side_;
  std::unique_ptr<CublasHandle> blas_;
  cudaEvent_t forked_ = nullptr, joined_ = nullptr;
  mutable bool open_ = false;  // forked and not yet joined
};

// Captures what `enqueue` enqueues on `stream` (thread-local capture mode; capturing_graph is
// set meanwhile, so launch checks do not synchronise). If `enqueue` throws, `on_failure` runs
// first (e.g. to join side streams, without which the capture cannot end), the capture is ended
// and dropped, and the exception goes on.
cudaGraph_t capture_graph(cudaStream_t stream, const std::function<void()>& enqueue,
                          const std::function<void()>& on_failure = nullptr);

// An executable graph from `graph`, which it destroys.
cudaGraphExec_t instantiate_graph(cudaGraph_t graph);

}  // namespace gan
