#include "recorder/stream_clocks.h"

#include <algorithm>

namespace gan::recorder {

bool waits_for_the_device(const Call& call) {
  // cudaFree waits for the whole device too (CUDA runtime API: "implicitly synchronizes").
  return call.kind == CallKind::kHostSync &&
         (call.name == "cudaDeviceSynchronize" || call.name == "cudaFree" || call.name == "cudaFreeHost");
}

bool is_device_work(const Call& call) {
  switch (call.kind) {
    case CallKind::kKernel:
    case CallKind::kOpaqueKernel:
    case CallKind::kLibrary:
    case CallKind::kCopy:
    case CallKind::kFill:
    case CallKind::kGraphLaunch:
      return true;
    default:
      return false;
  }
}

void StreamClocks::merge(Clock& into, const Clock& from) {
  for (const auto& [stream, tick] : from) into[stream] = std::max(into[stream], tick);
}

StreamClocks::Clock StreamClocks::advance(const Call& call) {
  Clock& clock = streams_[call.stream];
  switch (call.kind) {
    case CallKind::kEventRecord:
      merge(clock, host_);
      events_[call.event] = clock;
      return {};
    case CallKind::kStreamWait:
      merge(clock, events_[call.event]);
      return {};
    case CallKind::kHostSync:
      if (waits_for_the_device(call)) {
        for (const auto& [stream, each] : streams_) merge(host_, each);
      } else if (call.event != nullptr) {
        merge(host_, events_[call.event]);
      } else {
        merge(host_, clock);
      }
      return {};
    default:
      break;
  }
  if (!is_device_work(call)) return {};
  merge(clock, host_);
  ++clock[call.stream];
  Clock result = clock;
  if (call.synchronous) merge(host_, clock);
  return result;
}

bool StreamClocks::ordered(const void* first_stream, const Clock& first, const Clock& later) {
  const auto mine = first.find(first_stream);
  const auto seen = later.find(first_stream);
  if (mine == first.end()) return true;  // not device work
  return seen != later.end() && seen->second >= mine->second;
}

}  // namespace gan::recorder
