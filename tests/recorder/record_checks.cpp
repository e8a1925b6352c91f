#include "recorder/record_checks.h"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>

#include "recorder/stream_clocks.h"

namespace gan::recorder {
namespace {

struct Buffer {
  uintptr_t begin = 0, end = 0;
  std::string label;
};

std::string hex(uintptr_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

// The buffer holding `pointer`: an arena's piece, or a whole allocation; none in an arena's
// padding or outside every allocation.
std::optional<Buffer> buffer_of(const Record& record, const void* pointer, size_t at) {
  const Allocation* a = record.allocation_of(pointer, at);
  if (a == nullptr) return std::nullopt;
  const uintptr_t address = reinterpret_cast<uintptr_t>(pointer);
  if (a->pieces.empty()) return Buffer{a->base, a->base + a->bytes, a->label};
  for (size_t i = 0; i < a->pieces.size(); ++i) {
    const Piece& piece = a->pieces[i];
    if (piece.bytes > 0 && address >= a->base + piece.offset && address < a->base + piece.offset + piece.bytes) {
      return Buffer{a->base + piece.offset, a->base + piece.offset + piece.bytes,
                    a->label + " piece " + std::to_string(i) + " (offset " + std::to_string(piece.offset) + ", " +
                        std::to_string(piece.bytes) + " bytes)"};
    }
  }
  return std::nullopt;
}

// [begin, end) of an access (an unknown extent: to the end of its buffer).
std::pair<uintptr_t, uintptr_t> extent(const Record& record, const Access& access, size_t at) {
  const uintptr_t begin = reinterpret_cast<uintptr_t>(access.pointer);
  if (!access.unknown_extent) return {begin, begin + access.bytes};
  const std::optional<Buffer> buffer = buffer_of(record, access.pointer, at);
  return {begin, buffer ? buffer->end : begin};
}

std::string where(const Call& call, size_t index) {
  std::string text = "call " + std::to_string(index) + " " + call.name;
  if (!call.detail.empty()) text += " [" + call.detail + "]";
  if (call.step) text += " (step " + std::to_string(call.step) + (call.captured ? ", captured" : "") +
                         (call.replayed ? ", graph replay" : "") + (call.phase().empty() ? "" : ", " + call.phase()) + ")";
  return text;
}

// Calls that ran (not merely captured) inside a marked step, and are device work.
bool ran_in_step(const Call& call) { return call.step != 0 && !call.captured && is_device_work(call); }

// A set of byte ranges [begin, end), merged.
class ByteRanges {
 public:
  void add(uintptr_t begin, uintptr_t end) {
    if (begin >= end) return;
    auto it = ranges_.upper_bound(begin);
    if (it != ranges_.begin() && std::prev(it)->second >= begin) {
      --it;
      begin = it->first;
      end = std::max(end, it->second);
      it = ranges_.erase(it);
    }
    while (it != ranges_.end() && it->first <= end) {
      end = std::max(end, it->second);
      it = ranges_.erase(it);
    }
    ranges_[begin] = end;
  }
  // Adds the parts of [begin, end) that `except` does not hold.
  void add_outside(uintptr_t begin, uintptr_t end, const ByteRanges& except) {
    uintptr_t at = begin;
    auto it = except.ranges_.upper_bound(begin);  // the first range starting after begin
    if (it != except.ranges_.begin() && std::prev(it)->second > at) at = std::prev(it)->second;
    for (; at < end; ++it) {
      const uintptr_t next = it == except.ranges_.end() ? end : std::min(end, it->first);
      if (at < next) add(at, next);
      if (it == except.ranges_.end()) break;
      at = std::max(at, it->second);
    }
  }
  // The first byte of [begin, end) not in the set, or end.
  uintptr_t first_missing(uintptr_t begin, uintptr_t end) const {
    auto it = ranges_.upper_bound(begin);
    if (it == ranges_.begin()) return begin;
    --it;
    if (it->second <= begin) return begin;
    return it->second >= end ? end : it->second;
  }

 private:
  std::map<uintptr_t, uintptr_t> ranges_;
};

bool overlaps(std::pair<uintptr_t, uintptr_t> a, std::pair<uintptr_t, uintptr_t> b) {
  return a.first < b.second && b.first < a.second;
}

}  // namespace

std::vector<Finding> check_pointers(const Record& record) {
  std::vector<Finding> findings;
  for (size_t i = 0; i < record.calls.size(); ++i) {
    const Call& call = record.calls[i];
    if (call.step == 0 || call.replayed || !is_device_work(call)) continue;  // a replay is its captured call again
    for (const Access& access : call.accesses) {
      if (access.bytes == 0 && !access.unknown_extent) continue;
      if (access.pointer == nullptr) {
        findings.push_back({"pointers", where(call, i) + ": " + access.what + " is a null pointer"});
        continue;
      }
      const std::optional<Buffer> buffer = buffer_of(record, access.pointer, i);
      if (!buffer) {
        findings.push_back({"pointers", where(call, i) + ": " + access.what + " (" +
                                            hex(reinterpret_cast<uintptr_t>(access.pointer)) +
                                            ") lies in no allocation or arena piece"});
        continue;
      }
      const uintptr_t begin = reinterpret_cast<uintptr_t>(access.pointer);
      if (!access.unknown_extent && begin + access.bytes > buffer->end) {
        findings.push_back({"pointers", where(call, i) + ": " + access.what + " touches " + std::to_string(access.bytes) +
                                            " bytes from offset " + std::to_string(begin - buffer->begin) + " of " +
                                            buffer->label + ": " + std::to_string(begin + access.bytes - buffer->end) +
                                            " bytes past its end"});
      }
    }
  }
  return findings;
}

std::vector<Finding> check_reads(const Record& record, const CheckScope& scope) {
  std::vector<Finding> findings;
  const Allocation* arena = scope.zeroed_arena ? record.allocation_of(scope.zeroed_arena) : nullptr;
  auto is_arena_zeroing = [&](const Call& call) {
    return call.kind == CallKind::kFill && arena && call.accesses.size() == 1 &&
           reinterpret_cast<uintptr_t>(call.accesses[0].pointer) == arena->base && call.accesses[0].bytes >= arena->bytes;
  };
  ByteRanges ever_written;  // by anything but the arena's zeroing, at any time
  for (size_t i = 0; i < record.calls.size(); ++i) {
    const Call& call = record.calls[i];
    if (call.captured || !is_device_work(call) || is_arena_zeroing(call)) continue;
    for (const Access& access : call.accesses) {
      if (access.writes() && access.pointer) {
        const auto [begin, end] = extent(record, access, i);
        ever_written.add(begin, end);
      }
    }
  }
  ByteRanges written;
  for (size_t i = 0; i < record.calls.size(); ++i) {
    const Call& call = record.calls[i];
    if (call.captured || !is_device_work(call)) continue;
    if (ran_in_step(call) && call.kind != CallKind::kOpaqueKernel) {
      for (const Access& access : call.accesses) {
        if (!access.reads() || access.pointer == nullptr) continue;
        const auto [begin, end] = extent(record, access, i);
        const uintptr_t missing = written.first_missing(begin, end);
        if (missing < end) {
          const std::optional<Buffer> buffer = buffer_of(record, access.pointer, i);
          findings.push_back({"reads", where(call, i) + ": reads " + access.what + " at byte " +
                                           std::to_string(missing - begin) + " of its " + std::to_string(end - begin) +
                                           (buffer ? " in " + buffer->label : std::string()) +
                                           ", which nothing wrote before"});
        }
      }
    }
    if (is_arena_zeroing(call)) {
      // The zeros count only where nothing else ever writes: padding, counters.
      written.add_outside(arena->base, arena->base + arena->bytes, ever_written);
      continue;
    }
    for (const Access& access : call.accesses) {
      if (access.writes() && access.pointer) {
        const auto [begin, end] = extent(record, access, i);
        written.add(begin, end);
      }
    }
  }
  return findings;
}

std::vector<Finding> check_ordering(const Record& record) {
  std::vector<Finding> findings;
  StreamClocks clocks;
  struct Ran {
    size_t index;
    StreamClocks::Clock clock;
  };
  std::vector<Ran> ran;
  for (size_t i = 0; i < record.calls.size(); ++i) {
    const Call& call = record.calls[i];
    if (call.captured) continue;
    StreamClocks::Clock clock = clocks.advance(call);
    if (ran_in_step(call)) ran.push_back({i, std::move(clock)});
  }
  // Pairs on different streams that touch the same bytes, one of them writing.
  for (size_t a = 0; a < ran.size(); ++a) {
    const Call& first = record.calls[ran[a].index];
    for (size_t b = a + 1; b < ran.size(); ++b) {
      const Call& second = record.calls[ran[b].index];
      if (first.stream == second.stream) continue;
      if (StreamClocks::ordered(first.stream, ran[a].clock, ran[b].clock)) continue;
      for (const Access& x : first.accesses) {
        for (const Access& y : second.accesses) {
          if (!(x.writes() || y.writes()) || !x.pointer || !y.pointer) continue;
          if (!overlaps(extent(record, x, ran[a].index), extent(record, y, ran[b].index))) continue;
          findings.push_back({"ordering", where(first, ran[a].index) + " (" + x.what + ") and " +
                                              where(second, ran[b].index) + " (" + y.what +
                                              ") touch the same bytes on different streams, unordered"});
        }
      }
    }
  }
  // At the end of each step, every stream's work is ordered before the step's last call.
  std::map<int, size_t> last_of_step;
  for (size_t r = 0; r < ran.size(); ++r) last_of_step[record.calls[ran[r].index].step] = r;
  for (size_t r = 0; r < ran.size(); ++r) {
    const Call& call = record.calls[ran[r].index];
    const Ran& last = ran[last_of_step[call.step]];
    if (call.stream == record.calls[last.index].stream) continue;
    if (!StreamClocks::ordered(call.stream, ran[r].clock, last.clock)) {
      findings.push_back({"ordering", where(call, ran[r].index) + " is on a side stream not joined by the end of step " +
                                          std::to_string(call.step)});
    }
  }
  return findings;
}

std::vector<Finding> check_launches(const Record& record) {
  std::vector<Finding> findings;
  for (size_t i = 0; i < record.calls.size(); ++i) {
    const Call& call = record.calls[i];
    if (call.step == 0 || call.replayed) continue;
    if (call.kind != CallKind::kKernel && call.kind != CallKind::kOpaqueKernel) continue;
    const uint64_t threads = uint64_t{call.block.x} * call.block.y * call.block.z;
    auto fail = [&](const std::string& what) { findings.push_back({"launches", where(call, i) + ": " + what}); };
    if (threads == 0 || threads > 1024) fail("a block of " + std::to_string(threads) + " threads (1..1024)");
    if (call.max_threads > 0 && threads > static_cast<uint64_t>(call.max_threads)) {
      fail("a block of " + std::to_string(threads) + " threads, above its __launch_bounds__ of " +
           std::to_string(call.max_threads));
    }
    if (call.block.x > 1024 || call.block.y > 1024 || call.block.z > 64) fail("a block dimension above 1024, 1024, 64");
    if (call.grid.x == 0 || call.grid.y == 0 || call.grid.z == 0) fail("an empty grid");
    if (call.grid.x > 2147483647u || call.grid.y > 65535 || call.grid.z > 65535) {
      fail("a grid of " + std::to_string(call.grid.x) + "x" + std::to_string(call.grid.y) + "x" +
           std::to_string(call.grid.z) + " (y and z at most 65535)");
    }
    // Above 48 KiB of dynamic shared memory a kernel needs cudaFuncSetAttribute first, which
    // none of ours calls.
    if (call.shared_bytes > 48 * 1024) fail(std::to_string(call.shared_bytes) + " bytes of dynamic shared memory");
  }
  return findings;
}

std::vector<Finding> check_calls(const Record& record) {
  std::vector<Finding> findings;
  for (size_t i = 0; i < record.calls.size(); ++i) {
    const Call& call = record.calls[i];
    if (call.replayed) continue;
    for (const std::string& problem : call.problems) findings.push_back({"calls", where(call, i) + ": " + problem});
  }
  return findings;
}

std::string kind_of_call(const Call& call) {
  static const std::map<std::string, std::string> kernels = {
      {"set_step_control_kernel", "set step control"},
      {"gather_normalize_kernel", "gather + normalise"},
      {"normal_noise_kernel", "normal noise"},
      {"bias_activation_kernel", "bias/activation"},
      {"linear_forward_fp32_kernel", "fused linear"},
      {"linear_forward_tf32_kernel", "fused linear"},
      {"bce_with_logits_kernel", "BCE"},
      {"hinge_loss_kernel", "hinge"},
      {"spectral_norm_wtu_kernel", "spectral norm W^T u"},
      {"spectral_norm_v_kernel", "spectral norm v"},
      {"spectral_norm_wv_kernel", "spectral norm W v"},
      {"spectral_norm_u_sigma_kernel", "spectral norm u, sigma"},
      {"spectral_norm_scale_kernel", "spectral norm scale"},
      {"spectral_norm_inner_kernel", "spectral norm sum(grad * W)"},
      {"spectral_norm_backward_kernel", "spectral norm backward"},
      {"augment_draws_kernel", "augment draws"},
      {"diff_augment_kernel", "DiffAugment"},
      {"diff_augment_backward_kernel", "DiffAugment backward"},
      {"activation_backward_kernel", "activation backward"},
      {"adam_kernel", "Adam"},
      {"ema_update_kernel", "EMA"},
      {"record_nonfinite_kernel", "record non-finite"},
      {"add_into_kernel", "add"},
      {"batch_norm_forward_kernel", "fused BatchNorm"},
      {"batch_norm_backward_kernel", "fused BatchNorm backward"},
      {"cudnnConvolutionForward", "convolution"},
      {"cudnnConvolutionBackwardData", "convolution"},
      {"cudnnConvolutionBackwardFilter", "convolution"},
      {"cudnnConvolutionBackwardBias", "cuDNN bias grad"},
      {"cudnnAddTensor", "cuDNN bias add"},
      {"cudnnBatchNormalizationForwardTraining", "cuDNN BatchNorm forward"},
      {"cudnnBatchNormalizationBackward", "cuDNN BatchNorm backward"},
  };
  if (call.name == "cublasSgemm") {
    if (call.detail.rfind("T,N", 0) == 0) return "GEMM forward";
    if (call.detail.rfind("N,T", 0) == 0) return "GEMM weight grad";
    return "GEMM input grad";
  }
  const auto found = kernels.find(call.name);
  if (found != kernels.end()) return found->second;
  if (call.name.rfind("cudnnFind", 0) == 0) return "";  // choosing algorithms: set-up, not the step
  if (call.kind == CallKind::kKernel || call.kind == CallKind::kOpaqueKernel || call.kind == CallKind::kLibrary) {
    return call.name;  // a call without a kind of its own: the plan names it as it is
  }
  return "";
}

std::vector<Finding> check_record(const Record& record, const CheckScope& scope) {
  std::vector<Finding> all;
  for (auto&& part : {check_pointers(record), check_reads(record, scope), check_ordering(record),
                      check_launches(record), check_calls(record)}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

std::string describe(const std::vector<Finding>& findings) {
  std::string text;
  for (const Finding& f : findings) text += "[" + f.check + "] " + f.message + "\n";
  return text;
}

}  // namespace gan::recorder
