#include "cuda/graph_capture.h"

#include "cuda_check.cuh"

namespace gan {

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
