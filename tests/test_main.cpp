// The tests' main: as gan and bench_step do, keep freed memory in the process (util/memory.h), so
// the trainers under test run as they do for users, and as fast.
#include <gtest/gtest.h>

#include "util/memory.h"

int main(int argc, char** argv) {
  gan::keep_freed_memory();
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
