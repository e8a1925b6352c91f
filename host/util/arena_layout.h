#pragma once
// defines: ArenaLayout — the plan of one allocation carved into typed, 256-byte aligned pieces,
// each wired to the pointer that will use it
//
// place(&pointer, count) sizes a piece and names its owner in the same call; point(base) then
// sets every placed pointer. So a buffer cannot end up wired to another buffer's piece (there is
// no list of pieces to keep in step with a list of pointers), and the layout itself is plain
// arithmetic, tested on the CPU (tests/test_arena_layout.cpp). DeviceArena (cuda/resources.h)
// puts one on the GPU.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace gan {

class ArenaLayout {
 public:
  static constexpr size_t kAlignment = 256;

  // Reserves count elements of T for *pointer, which point() will set (to null when count is 0).
  // The pointer must stay where it is until point() has run.
  template <class T>
  void place(T** pointer, size_t count) {
    const size_t offset = (bytes_ + kAlignment - 1) / kAlignment * kAlignment;
    if (count > 0) bytes_ = offset + count * sizeof(T);
    // Each piece keeps a typed setter: the pointer is written as the T* it is.
    pieces_.push_back({[pointer](char* at) { *pointer = reinterpret_cast<T*>(at); }, offset, count * sizeof(T)});
  }

  size_t bytes() const { return bytes_; }

  // Where each placed piece lies: its offset in the allocation and its size, in placing order.
  struct Extent {
    size_t offset, bytes;
  };
  std::vector<Extent> extents() const {
    std::vector<Extent> all;
    for (const Piece& piece : pieces_) all.push_back({piece.offset, piece.bytes});
    return all;
  }

  // Sets every placed pointer into the allocation at `base` (of bytes() at least).
  void point(char* base) const {
    for (const Piece& piece : pieces_) piece.set(piece.bytes > 0 ? base + piece.offset : nullptr);
  }

 private:
  struct Piece {
    std::function<void(char*)> set;
    size_t offset, bytes;
  };
  size_t bytes_ = 0;
  std::vector<Piece> pieces_;
};

}  // namespace gan
