// libFuzzer target: the config parser on any bytes taken as a JSON config file. Every input
// must resolve into a checked config or throw gan::Error (invalid JSON included).
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "train/config.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(data, data + size);
  } catch (const nlohmann::json::exception&) {
    return 0;  // not JSON: resolve_config reports this as gan::Error, tested elsewhere
  }
  try {
    const gan::TrainConfig c = gan::config_from_json(parsed, "fuzz");
    // What the checks promise to everything downstream.
    if (c.batch < 1 || !(c.lr > 0) || !std::isfinite(c.lr) || c.g_hidden.empty() || !(c.slope > 0)) __builtin_trap();
  } catch (const gan::Error&) {
  }
  return 0;
}
