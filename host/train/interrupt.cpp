#include "train/interrupt.h"

#include <csignal>

namespace gan {

namespace {

volatile std::sig_atomic_t g_signal = 0;

void on_signal(int signal_number) {
  g_signal = signal_number;
  std::signal(signal_number, SIG_DFL);  // a second one terminates immediately
}

}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGXFSZ, SIG_IGN);
}

int pending_interrupt() { return g_signal; }

}  // namespace gan
