// defines: twin::enqueue, twin::problem, twin::capturing, InitializeInjectionNvtx2_fnptr — what
// every twin (CUDA runtime, cuBLAS, cuDNN) shares, and the NVTX ranges of the record
//
// NVTX: the project's NvtxRange (host/cuda/phase_timer.h) calls NVTX's header-only API, which
// looks for a tool to hand its calls to. A statically linked tool is one that defines
// InitializeInjectionNvtx2_fnptr (nvtx3/nvtxDetail/nvtxInit.h); this is one, and keeps the open
// ranges so that each call records the phase of the step it belongs to. (Every other file that
// includes NVTX's header defines the symbol weakly; NVTX_STATIC_INJECTION_IMPL keeps this one
// from doing so, and the header then needs it declared first.)
#include <cstdint>
extern "C" int (*InitializeInjectionNvtx2_fnptr)(const void* (*)(uint32_t));
#define NVTX_STATIC_INJECTION_IMPL
#include <nvtx3/nvToolsExt.h>

#include "recorder/twin.h"

namespace gan::recorder::twin {
namespace {

int active_captures = 0;

int push_range(const char* message) {
  open_ranges().emplace_back(message ? message : "");
  return static_cast<int>(open_ranges().size());
}

int pop_range() {
  if (open_ranges().empty()) return -1;
  open_ranges().pop_back();
  return static_cast<int>(open_ranges().size());
}

}  // namespace

int initialise_nvtx(NvtxGetExportTableFunc_t get_export_table) {
  const auto* callbacks = static_cast<const NvtxExportTableCallbacks*>(get_export_table(NVTX_ETID_CALLBACKS));
  NvtxFunctionTable table = nullptr;
  unsigned int size = 0;
  if (callbacks == nullptr || !callbacks->GetModuleFunctionTable(NVTX_CB_MODULE_CORE, &table, &size)) return 0;
  if (size <= NVTX_CBID_CORE_RangePop) return 0;
  *table[NVTX_CBID_CORE_RangePushA] = reinterpret_cast<NvtxFunctionPointer>(&push_range);
  *table[NVTX_CBID_CORE_RangePop] = reinterpret_cast<NvtxFunctionPointer>(&pop_range);
  return 1;
}

std::vector<std::string>& open_ranges() {
  static std::vector<std::string> ranges;  // the step is enqueued from one thread
  return ranges;
}

bool capturing() { return active_captures > 0; }
void begin_capture() { ++active_captures; }
void end_capture() { --active_captures; }

void enqueue(Call call, const std::function<void()>& effect) {
  call.step = record().current_step();
  call.ranges = open_ranges();
  auto* stream = const_cast<CUstream_st*>(static_cast<const CUstream_st*>(call.stream));
  if (stream && stream->destroyed) call.problems.push_back("a stream that was destroyed");
  CUgraph_st* graph = stream ? stream->capture : nullptr;
  if (graph == nullptr && stream == nullptr && capturing() && is_device_work(call)) {
    call.problems.push_back("the legacy default stream while a stream is being captured");
  }
  if (graph && call.kind != CallKind::kCaptureBegin && call.kind != CallKind::kCaptureEnd) {
    call.captured = true;
    if (call.kind == CallKind::kEventRecord) {
      auto* event = const_cast<CUevent_st*>(static_cast<const CUevent_st*>(call.event));
      if (event) event->capture = graph;
    }
    graph->clocks.advance(call);
    graph->calls.push_back(call);
    graph->effects.push_back(effect);
  } else {
    if (call.kind == CallKind::kEventRecord) {
      auto* event = const_cast<CUevent_st*>(static_cast<const CUevent_st*>(call.event));
      if (event) event->capture = nullptr;
    }
    if (effect) effect();
  }
  record().calls.push_back(std::move(call));
}

void problem(const std::string& name, const std::string& what) {
  Call call;
  call.kind = CallKind::kProblem;
  call.name = name;
  call.problems.push_back(what);
  call.step = record().current_step();
  call.ranges = open_ranges();
  record().calls.push_back(std::move(call));
}

}  // namespace gan::recorder::twin

extern "C" {
int (*InitializeInjectionNvtx2_fnptr)(const void* (*)(uint32_t)) = gan::recorder::twin::initialise_nvtx;
}
