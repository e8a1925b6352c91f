#pragma once
// defines: CUstream_st, CUevent_st, CUgraph_st, twin::enqueue — the twins' shared state (streams,
// events, graphs under capture), and the one way every twin (CUDA runtime, cuBLAS, cuDNN)
// writes a call into the record
//
// Only the twins include this. The CUDA headers declare the handle types as pointers to
// incomplete structs (CUstream_st, CUevent_st, CUgraph_st, CUgraphExec_st); the twins complete
// them here.
#include <cuda_runtime.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "recorder/recorder.h"
#include "recorder/stream_clocks.h"

struct CUgraph_st {
  cudaStream_t origin = nullptr;
  std::vector<gan::recorder::Call> calls;  // what was captured, in order
  std::vector<std::function<void()>> effects;  // each call's effect on the bytes (copies, fills)
  gan::recorder::StreamClocks clocks;      // of the captured calls: which side streams are joined
  bool invalidated = false;                // a call the capture does not allow was made
};

struct CUstream_st {
  CUgraph_st* capture = nullptr;  // the graph this stream is capturing into, if any
  bool destroyed = false;
};

struct CUevent_st {
  CUgraph_st* capture = nullptr;  // recorded into this capture (null: recorded eagerly, or never)
  bool destroyed = false;
};

struct CUgraphExec_st {
  cudaStream_t origin = nullptr;
  std::vector<gan::recorder::Call> calls;
  std::vector<std::function<void()>> effects;
};

namespace gan::recorder::twin {

// Stamps `call` (step, NVTX ranges, capture), performs a copy's or fill's effect on the bytes
// unless it was captured (then its replays perform it), and appends it to the record; a call
// captured into a graph goes into the graph too. `effect` runs when the call runs.
void enqueue(Call call, const std::function<void()>& effect = nullptr);

// A problem with a call made outside any stream (a synchronising call during a capture, say):
// recorded as a call of its own so the checks report it.
void problem(const std::string& name, const std::string& what);

// Whether any stream is capturing; begin_capture and end_capture count the captures.
bool capturing();
void begin_capture();
void end_capture();

// The NVTX ranges open on this thread, outermost first.
std::vector<std::string>& open_ranges();

}  // namespace gan::recorder::twin
