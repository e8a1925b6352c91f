#pragma once
// defines: recorder::describe_kernel — a launch's kernel, by its device name, and the bytes it
// will read and write, from its arguments (each kernel's contract)
#include <string>

#include "recorder/recorder.h"

namespace gan::recorder {

// Fills call's name, signature, kind, accesses and launch bound from the kernel's mangled device
// name and its launch arguments (args[i] points at argument i, as nvcc's launch stubs pass
// them). The launch configuration (call.grid, .block) must be set first: some contracts check
// it. A kernel without a contract is recorded as kOpaqueKernel (its pointer arguments with
// unknown extents) with a problem, unless it is a library's (CUB's) own.
void describe_kernel(Call& call, const std::string& mangled_name, void** args);

}  // namespace gan::recorder
