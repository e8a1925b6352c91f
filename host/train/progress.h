#pragma once
// defines: ProgressPrinter — the live progress line on a terminal, plain lines otherwise
#include <chrono>
#include <cstdio>
#include <string>

#include "model/trainer.h"

namespace gan {

std::string format_duration(double seconds);  // "1h02m", "4m12s", "37s"

class ProgressPrinter {
 public:
  // interactive: rewrite one line in place (a terminal); else print one line per report.
  ProgressPrinter(std::FILE* out, bool interactive) : out_(out), interactive_(interactive) {}

  // "epoch <epoch + 1>/<last_epoch>  step <step>/<total_steps> ...": last_epoch is the epoch the
  // run ends in (Schedule::last_epoch), which --steps may make earlier than --epochs.
  void report(const StepStats& stats, uint64_t epoch, int64_t last_epoch, int64_t total_steps,
              double images_per_second, double eta_seconds);
  // Ends the live line (so that later output starts on a fresh line).
  void finish();
  void message(const std::string& text);  // a line of its own, not overwritten

 private:
  std::FILE* out_;
  bool interactive_;
  bool line_open_ = false;
};

}  // namespace gan
