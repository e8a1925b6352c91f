#pragma once
// defines: store_loss_stats — the end of a loss kernel (bce.cu, hinge.cu): each thread's four
// partial sums reduced over the block and stored as means
#include <cub/block/block_reduce.cuh>

#include <cstdint>

#include "bce.cuh"

namespace gan {

template <int kThreads>
using LossReduce = cub::BlockReduce<double, kThreads>;

// Reduces the four sums over the block with CUB in a fixed order (the same bits every run), and
// thread 0 stores each as a mean over its half's count (an empty half's stats are 0). Every
// thread of the block must call it.
template <int kThreads>
__device__ void store_loss_stats(typename LossReduce<kThreads>::TempStorage& temp, double loss_real, double loss_fake,
                                 double prob_real, double prob_fake, int64_t n_real, int64_t n_fake,
                                 BceDeviceStats* stats) {
  // Four reductions through one temporary storage: a barrier between each.
  const double total_loss_real = LossReduce<kThreads>(temp).Sum(loss_real);
  __syncthreads();
  const double total_loss_fake = LossReduce<kThreads>(temp).Sum(loss_fake);
  __syncthreads();
  const double total_prob_real = LossReduce<kThreads>(temp).Sum(prob_real);
  __syncthreads();
  const double total_prob_fake = LossReduce<kThreads>(temp).Sum(prob_fake);
  if (threadIdx.x == 0) {  // CUB's block sums are valid in thread 0
    const double real = n_real > 0 ? static_cast<double>(n_real) : 1.0;
    const double fake = n_fake > 0 ? static_cast<double>(n_fake) : 1.0;
    stats->loss_real = static_cast<float>(total_loss_real / real);
    stats->loss_fake = static_cast<float>(total_loss_fake / fake);
    stats->prob_real = static_cast<float>(total_prob_real / real);
    stats->prob_fake = static_cast<float>(total_prob_fake / fake);
  }
}

}  // namespace gan
