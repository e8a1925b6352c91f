#include "recorder/recorder.h"

#include <algorithm>

namespace gan::recorder {

Record& record() {
  static Record the_record;
  return the_record;
}

const Allocation* Record::allocation_of(const void* pointer, size_t at) const {
  const uintptr_t address = reinterpret_cast<uintptr_t>(pointer);
  for (const Allocation& a : allocations) {
    const bool live = at == Allocation::kLive ? a.freed == Allocation::kLive : a.live_at(at);
    if (live && address >= a.base && address < a.base + std::max<size_t>(a.bytes, 1)) return &a;
  }
  return nullptr;
}

Allocation* Record::live_allocation(const void* base) {
  for (Allocation& a : allocations) {
    if (a.freed == Allocation::kLive && a.base == reinterpret_cast<uintptr_t>(base)) return &a;
  }
  return nullptr;
}

void Record::set_pieces(const void* base, std::vector<Piece> pieces, const std::string& label) {
  Allocation* a = live_allocation(base);
  if (a == nullptr) return;
  a->pieces = std::move(pieces);
  a->label = label;
}

void Record::clear_calls() {
  calls.clear();
  std::vector<Allocation> live;
  for (Allocation& a : allocations) {
    if (a.freed != Allocation::kLive) continue;
    a.made = 0;
    live.push_back(std::move(a));
  }
  allocations = std::move(live);
}

}  // namespace gan::recorder
