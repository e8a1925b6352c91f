#pragma once
// defines: recorder::Access, recorder::Call, recorder::Allocation, recorder::Record, recorder::record
// — what the GPU host code asked of the device, as the recording back end saw it
//
// The recording back end (tests/recorder) links the GPU trainer's real host code (gan_gpu_host:
// planning, placing, binding, the launchers, the stream forks and joins, the descriptors) with
// twins of the CUDA runtime, cuBLAS and cuDNN that run nothing on a device: each call is written
// here instead, with the bytes it will read and write (kernels: kernel_contracts.cpp; cuBLAS and
// cuDNN: from the call's own shapes and descriptors). Device memory is host memory, so uploads
// and read-backs behave; kernels and library calls compute nothing. record_checks.h then reads
// the record.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gan::recorder {

enum class AccessKind { kRead, kWrite, kReadWrite };

struct Access {
  const void* pointer = nullptr;
  size_t bytes = 0;
  AccessKind kind = AccessKind::kRead;
  std::string what;  // the argument's name, for messages
  // The extent is not known (a kernel without a contract): [pointer, end of its buffer).
  bool unknown_extent = false;
  bool reads() const { return kind != AccessKind::kWrite; }
  bool writes() const { return kind != AccessKind::kRead; }
};

enum class CallKind {
  kKernel,       // one of our kernels (its contract gives the accesses)
  kOpaqueKernel, // a kernel with no contract (CUB's sort): pointer arguments only, extents unknown
  kLibrary,      // a cuBLAS or cuDNN call that runs on the device
  kCopy,         // cudaMemcpy(Async)
  kFill,         // cudaMemset(Async)
  kEventRecord,
  kStreamWait,
  kHostSync,     // the host waits: cudaDeviceSynchronize, cudaStreamSynchronize, a synchronous copy
  kCaptureBegin,
  kCaptureEnd,
  kGraphLaunch,
  kProblem,      // not a device call: a problem the twins found with a call (e.g. a sync in a capture)
};

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

struct Call {
  CallKind kind = CallKind::kKernel;
  std::string name;       // "adam_kernel", "cublasSgemm", "cudnnConvolutionForward", "cudaMemcpyAsync", ...
  std::string signature;  // a kernel's demangled signature
  std::string detail;     // a library call's parameters, e.g. "N,T m=256 n=784 k=128"
  const void* stream = nullptr;
  const void* event = nullptr;  // kEventRecord, kStreamWait
  Dim3 grid, block;
  size_t shared_bytes = 0;
  int max_threads = 0;  // the kernel's __launch_bounds__ (0: none declared)
  std::vector<Access> accesses;
  // The arithmetic a matrix product does (cuBLAS GEMMs, cuDNN convolutions as implicit GEMMs, the
  // fused linear kernel): FLOPs (2 per multiply-add) and its output as a rows x cols matrix; 0
  // for element-wise work, which the step plan does not count (model/step_plan.h).
  double flops = 0;
  int64_t gemm_rows = 0, gemm_cols = 0;
  std::vector<std::string> problems;  // what the twin found wrong with the call itself
  std::vector<std::string> ranges;    // the NVTX ranges open when it was enqueued, outermost first
  bool synchronous = false;           // a copy or fill the host waits for (cudaMemcpy, cudaMemset)
  // Enqueued while its stream was being captured: it ran then only as part of a graph.
  bool captured = false;
  // A graph launch's replay of a captured call: it ran here (captured is false).
  bool replayed = false;
  int step = 0;  // the step marked around it (Record::begin_step), 0 outside any
  std::string phase() const { return ranges.empty() ? std::string() : ranges.back(); }
};

struct Piece {
  size_t offset = 0, bytes = 0;
};

struct Allocation {
  uintptr_t base = 0;
  size_t bytes = 0;
  bool host = false;          // cudaMallocHost: pinned host memory
  std::vector<Piece> pieces;  // a DeviceArena's buffers (empty: the whole allocation is one buffer)
  std::string label;
  // Live from the call with this index (calls.size() when it was made) until the one at
  // `freed` (kLive: not freed).
  size_t made = 0, freed = kLive;
  static constexpr size_t kLive = static_cast<size_t>(-1);
  bool live_at(size_t call) const { return call >= made && call < freed; }
};

class Record {
 public:
  std::vector<Call> calls;  // in the order the host made them (replays after their launch)
  std::vector<Allocation> allocations;  // every one made, freed ones too (an address may be reused)

  void begin_step(int step) { step_ = step; }
  void end_step() { step_ = 0; }
  int current_step() const { return step_; }

  // The allocation holding `pointer` when call `at` was made (kLive: now), or null.
  const Allocation* allocation_of(const void* pointer, size_t at = Allocation::kLive) const;
  // The live allocation starting at `base`, or null.
  Allocation* live_allocation(const void* base);
  // Splits the allocation at `base` into a DeviceArena's pieces (offset, bytes).
  void set_pieces(const void* base, std::vector<Piece> pieces, const std::string& label);
  // Forgets every call and every freed allocation: the next checks see only what follows.
  void clear_calls();

 private:
  int step_ = 0;
};

// The process's one record (the twins write it; tests read it).
Record& record();

}  // namespace gan::recorder
