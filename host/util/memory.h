#pragma once
// defines: available_memory_bytes, format_bytes
#include <string>

namespace gan {

// Memory the kernel says a new allocation can use without swapping (MemAvailable), or the
// physical memory where that is unknown.
double available_memory_bytes();

std::string format_bytes(double bytes);  // "1.5 GiB"

}  // namespace gan
