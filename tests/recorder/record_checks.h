#pragma once
// defines: recorder::Finding, recorder::check_record, recorder::kind_of_call, recorder::kind_of_planned
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
//   "plan"      the step's kernels, in order, are the step plan's (model/step_plan.h), each in
//               the plan's phase and on its lane.
#include <string>
#include <vector>

#include "model/step_plan.h"
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
// The device calls of `step` against the plan (the epoch's permutation, which the plan leaves
// out, excepted).
std::vector<Finding> check_plan(const Record& record, int step, const std::vector<PlannedKernel>& plan);

// Every check but the plan's.
std::vector<Finding> check_record(const Record& record, const CheckScope& scope);

// What a call or a planned kernel does, in words both map to ("GEMM forward", "Adam", ...);
// empty for a call the plan does not list (copies, fills, events).
std::string kind_of_call(const Call& call);
std::string kind_of_planned(const PlannedKernel& kernel);

// The findings, one a line, for a test's failure message.
std::string describe(const std::vector<Finding>& findings);

}  // namespace gan::recorder
