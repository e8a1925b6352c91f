// defines: __cudaLaunchKernel, cudaMalloc, cudaMemcpyAsync, cudaStreamWaitEvent, cudaGraphLaunch —
// the CUDA runtime calls the GPU trainer, its kernels' launch stubs and CUB make, for the
// recording back end (recorder.h)
//
// Device memory is host memory; kernels are recorded with their launch configuration and
// arguments instead of run; streams, events and graph captures are followed so that the checks
// can tell what is ordered before what.
//
// The device it pretends to be is an H100-like card (compute capability 9.0, 132 SMs, 80 GB):
// the limits the checks hold launches to are that card's (record_checks.cpp).
#include <cuda_profiler_api.h>
#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "recorder/kernel_contracts.h"
#include "recorder/twin.h"

namespace gan::recorder::twin {
namespace {

struct LaunchConfiguration {
  dim3 grid, block;
  size_t shared = 0;
  cudaStream_t stream = nullptr;
};

std::map<const void*, std::string>& kernel_names() {  // host stub -> mangled device name
  static std::map<const void*, std::string> names;
  return names;
}

thread_local std::vector<LaunchConfiguration> pushed;
cudaError_t last_error = cudaSuccess;

constexpr size_t kDeviceBytes = size_t{80} << 30;

Dim3 to_dim3(dim3 d) { return {d.x, d.y, d.z}; }

// Whether `pointer` is device (or pinned) memory the record knows.
bool known(const void* pointer) { return record().allocation_of(pointer) != nullptr; }

void record_launch(const void* host_stub, dim3 grid, dim3 block, size_t shared, cudaStream_t stream, void** args) {
  Call call;
  call.grid = to_dim3(grid);
  call.block = to_dim3(block);
  call.shared_bytes = shared;
  call.stream = stream;
  const auto found = kernel_names().find(host_stub);
  describe_kernel(call, found == kernel_names().end() ? std::string() : found->second, args);
  enqueue(std::move(call));
}

void* allocate(size_t bytes, bool host, const char* label) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + 255) / 256 * 256;
  void* memory = std::aligned_alloc(256, rounded);
  if (memory == nullptr) return nullptr;
  Allocation a;
  a.base = reinterpret_cast<uintptr_t>(memory);
  a.bytes = bytes;
  a.host = host;
  a.label = label;
  a.made = record().calls.size();
  record().allocations.push_back(a);
  return memory;
}

cudaError_t release(void* pointer, bool host) {
  if (pointer == nullptr) return cudaSuccess;
  Allocation* a = record().live_allocation(pointer);
  if (a == nullptr || a->host != host) {
    problem(host ? "cudaFreeHost" : "cudaFree", "frees a pointer it did not allocate");
    return cudaErrorInvalidValue;
  }
  a->freed = record().calls.size();
  std::free(pointer);
  Call wait;  // freeing waits for the device first
  wait.kind = CallKind::kHostSync;
  wait.name = host ? "cudaFreeHost" : "cudaFree";
  enqueue(std::move(wait));
  return cudaSuccess;
}

// The accesses of a copy: only the device (or pinned) ends count; pageable host memory is the
// host's own business.
void copy_accesses(Call& call, void* dst, const void* src, size_t count) {
  if (known(src)) call.accesses.push_back({src, count, AccessKind::kRead, "source"});
  if (known(dst)) call.accesses.push_back({dst, count, AccessKind::kWrite, "destination"});
  if (count > 0 && (dst == nullptr || src == nullptr)) call.problems.push_back("a null pointer");
}

void check_not_capturing(const char* name) {
  if (capturing()) problem(name, std::string(name) + " while a stream is being captured (it synchronises)");
}

}  // namespace
}  // namespace gan::recorder::twin

using namespace gan::recorder;
using namespace gan::recorder::twin;

extern "C" {

// ---- What nvcc's generated code calls: registration of kernels and their launches.

void** __cudaRegisterFatBinary(void* fat_cubin) {
  static void* handle = nullptr;
  return &handle;
}
void __cudaRegisterFatBinaryEnd(void** handle) {}
void __cudaUnregisterFatBinary(void** handle) {}
void __cudaRegisterVar(void** handle, char* host_var, char* device_address, const char* device_name, int ext,
                       size_t size, int constant, int global) {}
void __cudaRegisterFunction(void** handle, const char* host_fun, char* device_fun, const char* device_name,
                            int thread_limit, uint3* tid, uint3* bid, dim3* block, dim3* grid, int* warp_size) {
  kernel_names()[host_fun] = device_name;
}
cudaError_t __cudaGetKernel(cudaKernel_t* kernel, const void* host_fun) {
  *kernel = reinterpret_cast<cudaKernel_t>(const_cast<void*>(host_fun));
  return cudaSuccess;
}
unsigned __cudaPushCallConfiguration(dim3 grid, dim3 block, size_t shared, struct CUstream_st* stream) {
  pushed.push_back({grid, block, shared, stream});
  return 0;
}
cudaError_t __cudaPopCallConfiguration(dim3* grid, dim3* block, size_t* shared, void* stream) {
  if (pushed.empty()) return cudaErrorMissingConfiguration;
  const LaunchConfiguration c = pushed.back();
  pushed.pop_back();
  *grid = c.grid;
  *block = c.block;
  *shared = c.shared;
  *static_cast<cudaStream_t*>(stream) = c.stream;
  return cudaSuccess;
}
cudaError_t __cudaLaunchKernel(cudaKernel_t kernel, dim3 grid, dim3 block, void** args, size_t shared,
                               cudaStream_t stream) {
  record_launch(reinterpret_cast<const void*>(kernel), grid, block, shared, stream, args);
  return cudaSuccess;
}
cudaError_t cudaLaunchKernelExC(const cudaLaunchConfig_t* config, const void* func, void** args) {
  record_launch(func, config->gridDim, config->blockDim, config->dynamicSmemBytes, config->stream, args);
  return cudaSuccess;
}

// ---- Errors and the device.

cudaError_t cudaGetLastError(void) { return std::exchange(last_error, cudaSuccess); }
cudaError_t cudaPeekAtLastError(void) { return last_error; }
const char* cudaGetErrorString(cudaError_t error) { return error == cudaSuccess ? "no error" : "recorder: an error"; }
const char* cudaGetErrorName(cudaError_t error) { return error == cudaSuccess ? "cudaSuccess" : "cudaErrorRecorder"; }

cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : cudaErrorInvalidDevice; }
cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device) {
  if (device != 0) return cudaErrorInvalidDevice;
  std::memset(p, 0, sizeof *p);
  std::strncpy(p->name, "recorder (an H100-like card)", sizeof p->name - 1);
  p->major = 9;
  p->minor = 0;
  p->totalGlobalMem = kDeviceBytes;
  p->multiProcessorCount = 132;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024;
  p->maxThreadsDim[2] = 64;
  p->maxGridSize[0] = 2147483647;
  p->maxGridSize[1] = p->maxGridSize[2] = 65535;
  p->sharedMemPerBlock = 48 * 1024;
  p->sharedMemPerBlockOptin = 227 * 1024;
  p->sharedMemPerMultiprocessor = 228 * 1024;
  p->regsPerBlock = 65536;
  p->warpSize = 32;
  p->l2CacheSize = 50 * 1024 * 1024;
  p->maxThreadsPerMultiProcessor = 2048;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attribute, int device) {
  switch (attribute) {
    case cudaDevAttrComputeCapabilityMajor: *value = 9; break;
    case cudaDevAttrComputeCapabilityMinor: *value = 0; break;
    case cudaDevAttrMultiProcessorCount: *value = 132; break;
    case cudaDevAttrMaxThreadsPerBlock: *value = 1024; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = 48 * 1024; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = 227 * 1024; break;
    case cudaDevAttrMaxSharedMemoryPerMultiprocessor: *value = 228 * 1024; break;
    case cudaDevAttrMaxThreadsPerMultiProcessor: *value = 2048; break;
    case cudaDevAttrMaxRegistersPerBlock: *value = 65536; break;
    case cudaDevAttrWarpSize: *value = 32; break;
    case cudaDevAttrL2CacheSize: *value = 50 * 1024 * 1024; break;
    case cudaDevAttrClockRate: *value = 1755000; break;
    default: *value = 0; break;
  }
  return cudaSuccess;
}
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* attributes, const void* func) {
  std::memset(attributes, 0, sizeof *attributes);
  attributes->maxThreadsPerBlock = 1024;
  attributes->numRegs = 32;
  attributes->ptxVersion = 90;
  attributes->binaryVersion = 90;
  attributes->maxDynamicSharedSizeBytes = 48 * 1024;
  return cudaSuccess;
}
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(int* blocks, const void* func, int block_size,
                                                                   size_t shared, unsigned int flags) {
  *blocks = block_size > 0 ? std::max(1, 2048 / block_size) : 0;
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  *free_bytes = *total_bytes = kDeviceBytes;
  return cudaSuccess;
}
cudaError_t cudaProfilerStart(void) { return cudaSuccess; }
cudaError_t cudaProfilerStop(void) { return cudaSuccess; }

// ---- Memory.

cudaError_t cudaMalloc(void** pointer, size_t bytes) {
  check_not_capturing("cudaMalloc");
  *pointer = allocate(bytes, false, "cudaMalloc");
  return *pointer ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFree(void* pointer) {
  check_not_capturing("cudaFree");
  return release(pointer, false);
}
cudaError_t cudaMallocHost(void** pointer, size_t bytes) {
  check_not_capturing("cudaMallocHost");
  *pointer = allocate(bytes, true, "cudaMallocHost");
  return *pointer ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFreeHost(void* pointer) { return release(pointer, true); }

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  check_not_capturing("cudaMemcpy");
  Call call;
  call.kind = CallKind::kCopy;
  call.name = "cudaMemcpy";
  call.synchronous = true;
  copy_accesses(call, dst, src, count);
  enqueue(std::move(call), [=] {
    if (count > 0 && dst && src) std::memmove(dst, src, count);
  });
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream) {
  Call call;
  call.kind = CallKind::kCopy;
  call.name = "cudaMemcpyAsync";
  call.stream = stream;
  copy_accesses(call, dst, src, count);
  if (kind == cudaMemcpyDeviceToHost && !known(dst)) {
    call.problems.push_back("an asynchronous copy into pageable host memory (it synchronises)");
  }
  enqueue(std::move(call), [=] {
    if (count > 0 && dst && src) std::memmove(dst, src, count);
  });
  return cudaSuccess;
}
cudaError_t cudaMemset(void* pointer, int value, size_t count) {
  check_not_capturing("cudaMemset");
  Call call;
  call.kind = CallKind::kFill;
  call.name = "cudaMemset";
  call.accesses.push_back({pointer, count, AccessKind::kWrite, "memory"});
  enqueue(std::move(call), [=] {
    if (count > 0 && pointer) std::memset(pointer, value, count);
  });
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* pointer, int value, size_t count, cudaStream_t stream) {
  Call call;
  call.kind = CallKind::kFill;
  call.name = "cudaMemsetAsync";
  call.stream = stream;
  call.accesses.push_back({pointer, count, AccessKind::kWrite, "memory"});
  enqueue(std::move(call), [=] {
    if (count > 0 && pointer) std::memset(pointer, value, count);
  });
  return cudaSuccess;
}

// ---- Streams and events.

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  *stream = new CUstream_st;
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (stream == nullptr || stream->destroyed) return cudaErrorInvalidResourceHandle;
  stream->destroyed = true;  // kept, so that a later use is seen (and the address never reused)
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  check_not_capturing("cudaStreamSynchronize");
  Call call;
  call.kind = CallKind::kHostSync;
  call.name = "cudaStreamSynchronize";
  call.stream = stream;
  enqueue(std::move(call));
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize(void) {
  check_not_capturing("cudaDeviceSynchronize");
  Call call;
  call.kind = CallKind::kHostSync;
  call.name = "cudaDeviceSynchronize";
  enqueue(std::move(call));
  return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t* event) {
  *event = new CUevent_st;
  return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) { return cudaEventCreate(event); }
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  if (event == nullptr || event->destroyed) return cudaErrorInvalidResourceHandle;
  event->destroyed = true;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  Call call;
  call.kind = CallKind::kEventRecord;
  call.name = "cudaEventRecord";
  call.stream = stream;
  call.event = event;
  if (event == nullptr || event->destroyed) call.problems.push_back("an event that does not exist");
  enqueue(std::move(call));
  return cudaSuccess;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags) {
  Call call;
  call.kind = CallKind::kStreamWait;
  call.name = "cudaStreamWaitEvent";
  call.stream = stream;
  call.event = event;
  if (event == nullptr || event->destroyed) call.problems.push_back("an event that does not exist");
  // Waiting for an event recorded in a capture pulls this stream into that capture.
  if (event && event->capture && stream && stream->capture == nullptr) stream->capture = event->capture;
  enqueue(std::move(call));
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  check_not_capturing("cudaEventSynchronize");
  Call call;
  call.kind = CallKind::kHostSync;
  call.name = "cudaEventSynchronize";
  call.event = event;
  enqueue(std::move(call));
  return cudaSuccess;
}
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  *ms = 0;
  return cudaSuccess;
}

// ---- Graphs.

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
  if (stream == nullptr) {
    problem("cudaStreamBeginCapture", "capture of the legacy default stream");
    return cudaErrorStreamCaptureUnsupported;
  }
  if (stream->capture) return cudaErrorIllegalState;
  Call call;
  call.kind = CallKind::kCaptureBegin;
  call.name = "cudaStreamBeginCapture";
  call.stream = stream;
  enqueue(std::move(call));
  stream->capture = new CUgraph_st;
  stream->capture->origin = stream;
  begin_capture();
  return cudaSuccess;
}
cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  *graph = nullptr;
  if (stream == nullptr || stream->capture == nullptr || stream->capture->origin != stream) {
    return cudaErrorIllegalState;
  }
  CUgraph_st* captured = stream->capture;
  Call call;
  call.kind = CallKind::kCaptureEnd;
  call.name = "cudaStreamEndCapture";
  call.stream = stream;
  // Every stream the capture reached must have joined back into the origin: its last captured
  // work ordered before the end (CUDA: cudaErrorStreamCaptureUnjoined).
  bool unjoined = false;
  const StreamClocks::Clock origin = captured->clocks.stream(stream);
  for (const auto& [side, clock] : captured->clocks.streams()) {
    if (side == stream) continue;
    const auto tick = clock.find(side);
    if (tick == clock.end()) continue;
    const auto seen = origin.find(side);
    if (seen == origin.end() || seen->second < tick->second) {
      unjoined = true;
      call.problems.push_back("a side stream of the capture is not joined before the capture ends");
    }
  }
  stream->capture = nullptr;
  end_capture();
  // Every stream in this capture leaves it (their handles are the ones the calls name).
  for (const gan::recorder::Call& c : captured->calls) {
    auto* s = const_cast<CUstream_st*>(static_cast<const CUstream_st*>(c.stream));
    if (s && s->capture == captured) s->capture = nullptr;
  }
  enqueue(std::move(call));
  if (unjoined || captured->invalidated) {
    delete captured;
    return unjoined ? cudaErrorStreamCaptureUnjoined : cudaErrorStreamCaptureInvalidated;
  }
  *graph = captured;
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long flags) {
  *exec = new CUgraphExec_st{graph->origin, graph->calls, graph->effects};
  return cudaSuccess;
}
cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}
cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t* nodes, size_t* count) {
  std::vector<size_t> work;
  for (size_t i = 0; i < graph->calls.size(); ++i) {
    if (is_device_work(graph->calls[i])) work.push_back(i);
  }
  if (nodes) {
    for (size_t i = 0; i < std::min(*count, work.size()); ++i) {
      // The node's handle is the address of its call: cudaGraphNodeGetType reads its kind.
      nodes[i] = reinterpret_cast<cudaGraphNode_t>(&graph->calls[work[i]]);
    }
  }
  *count = work.size();
  return cudaSuccess;
}
cudaError_t cudaGraphNodeGetType(cudaGraphNode_t node, cudaGraphNodeType* type) {
  const auto* call = reinterpret_cast<const gan::recorder::Call*>(node);
  switch (call->kind) {
    case CallKind::kCopy: *type = cudaGraphNodeTypeMemcpy; break;
    case CallKind::kFill: *type = cudaGraphNodeTypeMemset; break;
    default: *type = cudaGraphNodeTypeKernel; break;
  }
  return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  Call launch;
  launch.kind = CallKind::kGraphLaunch;
  launch.name = "cudaGraphLaunch";
  launch.stream = stream;
  enqueue(std::move(launch));
  // The graph's calls run now, in their captured order; the origin's work runs on the
  // launch stream.
  for (size_t i = 0; i < exec->calls.size(); ++i) {
    gan::recorder::Call replay = exec->calls[i];
    replay.captured = false;
    replay.replayed = true;
    if (replay.stream == exec->origin) replay.stream = stream;
    replay.step = record().current_step();
    if (exec->effects[i]) exec->effects[i]();
    record().calls.push_back(std::move(replay));
  }
  return cudaSuccess;
}

}  // extern "C"

