#pragma once
// defines: DeviceArena — one device allocation carved into named, 256-byte aligned pieces
//
// Plan first (reserve returns a ticket), then allocate once, then resolve tickets to pointers:
// one cudaMalloc for the whole trainer, made before any graph capture, and a clear error that
// names the total and the GPU's free memory when it does not fit.
#include <cstddef>
#include <string>

#include "cuda/resources.h"

namespace gan {

class DeviceArena {
 public:
  struct Ticket {
    size_t offset = 0;
  };

  template <class T>
  Ticket reserve(size_t count) {
    const size_t offset = (bytes_ + 255) / 256 * 256;
    bytes_ = offset + count * sizeof(T);
    return Ticket{offset};
  }

  // One allocation of everything reserved. `what` names the owner in the error message.
  void allocate(const std::string& what);

  template <class T>
  T* at(Ticket ticket) const {
    return reinterpret_cast<T*>(memory_.get() + ticket.offset);
  }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_ = 0;
  DeviceBuffer<char> memory_;
};

}  // namespace gan
