#include "cuda/streams.h"

namespace gan {

SideStream::SideStream(cudaStream_t main, bool tf32) : main_(main) {
  blas_ = std::make_unique<CublasHandle>(side_.get(), tf32);
  GAN_CHECK(cudaEventCreateWithFlags(&forked_, cudaEventDisableTiming));
  const cudaError_t created = cudaEventCreateWithFlags(&joined_, cudaEventDisableTiming);
  if (created != cudaSuccess) cudaEventDestroy(forked_);
  GAN_CHECK(created);
}

SideStream::~SideStream() {
  // Nothing may be left running that uses the handle's workspace or the events.
  cudaStreamSynchronize(side_.get());
  cudaEventDestroy(forked_);
  cudaEventDestroy(joined_);
}

void SideStream::fork() const {
  GAN_CHECK(cudaEventRecord(forked_, main_));
  GAN_CHECK(cudaStreamWaitEvent(side_.get(), forked_, 0));
  open_ = true;
}

void SideStream::join() const {
  GAN_CHECK(cudaEventRecord(joined_, side_.get()));
  GAN_CHECK(cudaStreamWaitEvent(main_, joined_, 0));
  open_ = false;
}

void SideStream::rejoin() const noexcept {
  if (!open_) return;
  if (cudaEventRecord(joined_, side_.get()) == cudaSuccess) cudaStreamWaitEvent(main_, joined_, 0);
  open_ = false;
}

cudaGraph_t capture_graph(cudaStream_t stream, const std::function<void()>& enqueue,
                          const std::function<void()>& on_failure) {
  cudaGraph_t graph = nullptr;
  GAN_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  capturing_graph = true;
  try {
    enqueue();
  } catch (...) {
    capturing_graph = false;
    if (on_failure) on_failure();
    cudaStreamEndCapture(stream, &graph);  // ends the broken capture; its error is the one thrown
    if (graph) cudaGraphDestroy(graph);
    throw;
  }
  capturing_graph = false;
  GAN_CHECK(cudaStreamEndCapture(stream, &graph));
  return graph;
}

cudaGraphExec_t instantiate_graph(cudaGraph_t graph) {
  cudaGraphExec_t exec = nullptr;
  const cudaError_t instantiated = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  GAN_CHECK(instantiated);
  return exec;
}

}  // namespace gan
