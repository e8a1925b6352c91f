#pragma once
// defines: gan::Error — the one exception type for problems a user can act on (bad file,
// bad flag, bad config value). Its message names what and where; main() prints it and exits 1.
#include <stdexcept>
#include <string>

namespace gan {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace gan
