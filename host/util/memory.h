#pragma once
// defines: available_memory_bytes, format_bytes, keep_freed_memory
#include <string>

namespace gan {

// Memory the kernel says a new allocation can use without swapping (MemAvailable), or the
// physical memory where that is unknown.
double available_memory_bytes();

std::string format_bytes(double bytes);  // "1.5 GiB"

// Tells glibc's malloc to keep freed blocks of any size in the process for reuse, instead of
// handing blocks over 128 KiB (or, once raised, 32 MiB) back to the kernel. A training step frees
// and allocates the same multi-MiB activation buffers every step; returned to the kernel, each one
// came back as fresh pages, faulted in and zeroed 4 KiB at a time: half of the 28x28 DCGAN's CPU
// step (bench/RESULTS.md). Called first thing by gan and bench_step.
void keep_freed_memory();

}  // namespace gan
