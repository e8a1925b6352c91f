// keep_freed_memory (util/memory.h): a large block freed and allocated again comes back without
// new page faults, which is what halved the DCGAN's CPU step.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

#include "util/memory.h"

namespace {

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Allocates, writes and frees `bytes`; returns the minor page faults that took.
long faults_of_a_round(size_t bytes) {
  const long before = minor_faults();
  auto* block = static_cast<char*>(std::malloc(bytes));
  if (!block) return -1;
  std::memset(block, 1, bytes);
  const volatile char kept = block[bytes / 2];  // the writes must happen
  (void)kept;
  std::free(block);
  return minor_faults() - before;
}

}  // namespace

TEST(ProcessMemory, AFreedLargeBlockIsReusedWithoutFaultingItsPagesAgain) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator replaces glibc's malloc, which the setting tunes";
#endif
  gan::keep_freed_memory();  // the tests' main has called it too; calling it again is harmless
  constexpr size_t kBytes = size_t{48} << 20;  // over glibc's largest automatic mmap threshold
  const long first = faults_of_a_round(kBytes);
  const long second = faults_of_a_round(kBytes);
  ASSERT_GE(first, 0);
  // The first round may fault its pages in (about 12,000 of 4 KiB) or find them already kept from
  // an earlier test; the second must reuse them. Without the setting glibc maps and unmaps a block
  // this large each time, and every round faults.
  EXPECT_LT(second, 200) << "first round " << first << " faults, second " << second;
}
