#pragma once
// defines: DeviceArena — one zeroed device allocation carved into the pieces of an ArenaLayout
//
// Plan first (place each buffer's pointer with its size), then allocate once: one cudaMalloc for
// the whole trainer, made before any graph capture, every byte zero, every placed pointer set,
// and a clear error that names the total and the GPU's free memory when it does not fit.
#include <string>
#include <vector>

#include "cuda/resources.h"
#include "util/arena_layout.h"

namespace gan {

class DeviceArena {
 public:
  template <class T>
  void place(T** pointer, size_t count) {
    layout_.place(pointer, count);
  }

  // One allocation of everything placed, zeroed; sets the placed pointers. `what` names the
  // owner in the error message.
  void allocate(const std::string& what);

  size_t bytes() const { return layout_.bytes(); }
  // The allocation (null before allocate) and its pieces: what a memory map or a check of the
  // step's pointers (tests/recorder) needs to tell one buffer from the next.
  const char* base() const { return memory_.get(); }
  std::vector<ArenaLayout::Extent> pieces() const { return layout_.extents(); }

 private:
  ArenaLayout layout_;
  DeviceBuffer<char> memory_;
};

}  // namespace gan
