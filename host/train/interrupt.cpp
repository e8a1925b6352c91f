#include "train/interrupt.h"

#include <omp.h>
#include <pthread.h>
#include <signal.h>

#include <csignal>

namespace gan {

namespace {

volatile std::sig_atomic_t g_signal = 0;

void on_signal(int signal_number) { g_signal = signal_number; }

// The handler's own stack. A handler runs on the stack of the thread it interrupts, just below
// that thread's stack pointer, and oneDNN's GEMMs evidently keep live data there: with the
// handler on the training thread's stack, 10 of 60 interrupted runs (Faults.Sig* repeated) died
// in free() inside dnnl_sgemm ("corrupted size vs. prev_size while consolidating"), with this
// stack 0 of 60. Static: it must outlive every signal.
alignas(64) char g_handler_stack[64 * 1024];

}  // namespace

void install_interrupt_handlers() {
  stack_t stack{};
  stack.ss_sp = g_handler_stack;
  stack.ss_size = sizeof g_handler_stack;
  sigaltstack(&stack, nullptr);  // should it fail, SA_ONSTACK is ignored: the old behaviour

  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: a second signal of the same kind gets the default action, and kills at once.
  action.sa_flags = SA_ONSTACK | SA_RESTART | SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGXFSZ, SIG_IGN);

  // The alternate stack is this thread's alone: OpenMP's workers (where the GEMMs run too) block
  // the two signals, so the kernel delivers them to this thread, onto that stack.
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
#pragma omp parallel num_threads(omp_get_max_threads())
  {
    if (omp_get_thread_num() != 0) pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  }
}

int pending_interrupt() { return g_signal; }

}  // namespace gan
