#pragma once
// defines: recorder::Finding, recorder::check_record, recorder::kind_of_call
// — what the record of a GPU step must satisfy (issue 29's list)
//
// Each check reads the calls marked as a step (Record::begin_step) and names itself in its
// findings, so a test can say which check caught what:
//   "pointers"  every pointer a call hands to the device is non-null and lies in an allocation,
//               and the extent the call will touch fits the buffer (an arena's piece, or the
//               whole allocation);
//   "reads"     every byte a call reads was written before: by an upload or fill outside the
//               step, or by an earlier call (the arena's zeroing does not count);
//   "ordering"  two calls on different streams that touch the same bytes, one writing, are
//               ordered by events or host waits; at the end of each step every stream's work is
//               joined into the step's last;
//   "launches"  launch configurations within the device's limits (block size and the kernel's
//               __launch_bounds__, grid.x/y/z, dynamic shared memory);
//   "calls"     what the twins found wrong with a call itself: cuBLAS shapes and leading
//               dimensions, cuDNN descriptors that disagree, a workspace too small, a side
//               stream left unjoined at the end of a capture, a synchronising call in a
//               capture, a kernel without a contract;
//   "plan"      the step's plan read from the record does the step's arithmetic once, each kernel
//               in a named phase (derived_plan.h, check_plan).
#include <string>
#include <vector>

#include "recorder/recorder.h"

namespace gan::recorder {

struct Finding {
  std::string check;    // "pointers", "reads", ...
  std::string message;  // what and where
};

struct CheckScope {
  // The allocation whose zeroing (one fill of all of it) does not count as writing it: the
  // trainer's arena, zeroed so that padding and counters start at zero, not so that reads of
  // buffers nobody wrote pass.
  const void* zeroed_arena = nullptr;
};

std::vector<Finding> check_pointers(const Record& record);
std::vector<Finding> check_reads(const Record& record, const CheckScope& scope);
std::vector<Finding> check_ordering(const Record& record);
std::vector<Finding> check_launches(const Record& record);
std::vector<Finding> check_calls(const Record& record);
// Every check but the plan's (derived_plan.h).
std::vector<Finding> check_record(const Record& record, const CheckScope& scope);

// What a call does, in words ("GEMM forward", "Adam", ...); empty for a call that is not a step
// plan's kernel (copies, fills, events, cuDNN's algorithm search).
std::string kind_of_call(const Call& call);

// The findings, one a line, for a test's failure message.
std::string describe(const std::vector<Finding>& findings);

}  // namespace gan::recorder
