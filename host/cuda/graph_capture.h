#pragma once
// defines: capture_graph, instantiate_graph — stream capture into a CUDA graph, written once
// (the trainer's step and measure_peak_rates' kernel-cost graph)
#include <cuda_runtime.h>

#include <functional>

namespace gan {

// Captures what `enqueue` enqueues on `stream` (thread-local capture mode; capturing_graph is
// set meanwhile, so launch checks do not synchronise). If `enqueue` throws, `on_failure` runs
// first (e.g. to join side streams, without which the capture cannot end), the capture is ended
// and dropped, and the exception goes on.
cudaGraph_t capture_graph(cudaStream_t stream, const std::function<void()>& enqueue,
                          const std::function<void()>& on_failure = nullptr);

// An executable graph from `graph`, which it destroys.
cudaGraphExec_t instantiate_graph(cudaGraph_t graph);

}  // namespace gan
