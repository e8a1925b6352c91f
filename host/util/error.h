#pragma once
// defines: gan::Error, InputError, IoError, CudaError, InternalError — one exception type per
// kind of failure. Each message names what and where; main() prints it with its kind and exits 1.
//
// Error is the common base, for code that handles every kind alike (main, the training loop's
// clean-up); it cannot be thrown itself, so every throw says which kind it is.
#include <stdexcept>
#include <string>

namespace gan {

class Error : public std::runtime_error {
 protected:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// What the user gave us is wrong: a flag, a config value, a file's contents (a corrupt IDX file,
// a checkpoint of another model), a shape or size that cannot work. Fix the input and rerun.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(message) {}
};

// The system refused an operation on a file or folder: cannot open, read, write, rename, create;
// disk full. The input may be fine; the place is not.
class IoError : public Error {
 public:
  explicit IoError(const std::string& message) : Error(message) {}
};

// A CUDA runtime, cuBLAS or cuDNN call failed (GAN_CHECK), a kernel faulted, the device is lost
// or out of memory.
class CudaError : public Error {
 public:
  explicit CudaError(const std::string& message) : Error(message) {}
};

// A promise inside gan was broken (a launcher called with a shape it does not support, a batch
// outside the data): a bug to report, not something the user can fix.
class InternalError : public Error {
 public:
  explicit InternalError(const std::string& message) : Error(message) {}
};

}  // namespace gan
