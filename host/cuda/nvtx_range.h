#pragma once
// defines: NvtxRange — a named range on Nsight's timeline for as long as the object lives (a
// phase of the step, recorded when the step is enqueued or captured, or a whole step)
#include <nvtx3/nvToolsExt.h>

namespace gan {

class NvtxRange {
 public:
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;
};

}  // namespace gan
