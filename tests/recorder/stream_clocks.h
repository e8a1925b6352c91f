#pragma once
// defines: recorder::StreamClocks — which device work is ordered before which, from streams,
// events and host waits (vector clocks)
//
// Work on one stream runs in order; an event recorded on stream A and waited for by stream B
// orders what A had enqueued before the record ahead of what B enqueues after the wait; a host
// wait (cudaStreamSynchronize, cudaDeviceSynchronize, a synchronous copy) orders what it waited
// for ahead of everything enqueued after it. Each device call gets the clock of its stream
// (ticks per stream it is known to come after); call A is ordered before call B when B's clock
// has A's tick on A's stream. The twins use it to find side streams a capture leaves unjoined,
// the checks to find unordered calls that touch the same bytes.
#include <cstdint>
#include <map>

#include "recorder/recorder.h"

namespace gan::recorder {

class StreamClocks {
 public:
  using Clock = std::map<const void*, uint64_t>;

  // Moves the clocks past `call` (calls in the order the host made them) and returns the
  // clock of the device work it stands for (empty for calls that are not device work).
  Clock advance(const Call& call);
  // Whether the device call with clock `first` on stream `first_stream` is ordered before the
  // device call with clock `later`.
  static bool ordered(const void* first_stream, const Clock& first, const Clock& later);
  // The clock of what `stream` has enqueued so far.
  const Clock& stream(const void* stream) { return streams_[stream]; }
  // Every stream that has had device work.
  const std::map<const void*, Clock>& streams() const { return streams_; }

 private:
  static void merge(Clock& into, const Clock& from);
  std::map<const void*, Clock> streams_, events_;
  Clock host_;  // what the host has waited for
};

// Whether a host wait waits for every stream (cudaDeviceSynchronize, cudaFree).
bool waits_for_the_device(const Call& call);

// Whether a call is device work (it reads or writes device memory, or may).
bool is_device_work(const Call& call);

}  // namespace gan::recorder
