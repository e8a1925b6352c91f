#include "util/parallel.h"

#include <atomic>
#include <thread>

namespace gan {

namespace {
std::atomic<int> g_worker_threads{0};
}

void set_worker_threads(int threads) { g_worker_threads = threads; }

int worker_threads() {
  const int configured = g_worker_threads.load();
  if (configured > 0) return configured;
  const int cores = omp_get_num_procs();
  return cores > 0 ? cores : 1;
}

}  // namespace gan
