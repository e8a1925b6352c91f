#pragma once
// defines: parallel_for, set_worker_threads, worker_threads
//
// Splits [0, n) into one contiguous chunk per worker and runs body(begin, end) on each, on
// OpenMP's thread pool — the same pool OpenBLAS (its OpenMP build) uses for the GEMMs, so the
// element-wise passes and the GEMMs never compete for the two cores. (With the pthread OpenBLAS
// beside a second pool, the step took 27-32 ms instead of 22 ms on the CI machine.) The chunks
// are fixed by n and the worker count, so results never depend on scheduling.
#include <omp.h>

#include <algorithm>
#include <cstddef>

namespace gan {

// Workers for parallel_for (the CPU trainer sets OpenBLAS's own count beside it); 0 means every
// core.
void set_worker_threads(int threads);
int worker_threads();

// min_per_worker: below this many items per worker, fewer workers (down to one, inline).
template <class Body>
void parallel_for(size_t n, size_t min_per_worker, Body body) {
  const size_t workers = std::max<size_t>(
      1, std::min<size_t>(static_cast<size_t>(worker_threads()), n / std::max<size_t>(min_per_worker, 1)));
  if (workers <= 1) {
    body(size_t{0}, n);
    return;
  }
  const size_t chunk = (n + workers - 1) / workers;
#pragma omp parallel for num_threads(static_cast<int>(workers)) schedule(static, 1)
  for (size_t w = 0; w < workers; ++w) body(std::min(n, w * chunk), std::min(n, (w + 1) * chunk));
}

}  // namespace gan
