#include "train/progress.h"

#include <cmath>

namespace gan {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long total = std::lround(seconds);
  char text[32];
  if (total >= 3600) std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, (total / 60) % 60);
  else if (total >= 60) std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
  else std::snprintf(text, sizeof text, "%lds", total);
  return text;
}

void ProgressPrinter::report(const StepStats& s, uint64_t epoch, int64_t last_epoch, int64_t total_steps,
                             double images_per_second, double eta_seconds) {
  char line[256];
  std::snprintf(line, sizeof line,
                "epoch %llu/%lld  step %llu/%lld  d_loss %.4f  g_loss %.4f  D(x) %.3f  D(G(z)) %.3f  %.0f img/s  ETA %s",
                static_cast<unsigned long long>(epoch + 1), static_cast<long long>(last_epoch),
                static_cast<unsigned long long>(s.step), static_cast<long long>(total_steps), s.d_loss, s.g_loss,
                s.d_real, s.d_fake, images_per_second, format_duration(eta_seconds).c_str());
  if (interactive_) {
    std::fprintf(out_, "\r\033[K%s", line);
    line_open_ = true;
  } else {
    std::fprintf(out_, "%s\n", line);
  }
  std::fflush(out_);
}

void ProgressPrinter::finish() {
  if (line_open_) std::fprintf(out_, "\n");
  line_open_ = false;
  std::fflush(out_);
}

void ProgressPrinter::message(const std::string& text) {
  finish();
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

}  // namespace gan
