#pragma once
// defines: BlockSum, block_sum — a block's sum of one double per thread, in every thread (the
// single-block kernels of spectral_norm.cu and the per-image ones of diff_augment.cu)
#include <cub/block/block_reduce.cuh>

namespace gan {

template <int kThreads>
struct BlockSum {
  typename cub::BlockReduce<double, kThreads>::TempStorage temp;
  double total;
};

// The block's sum of x, in every thread, reduced by CUB in a fixed order (the same bits every
// run). Every thread of the block must call it; it ends with a barrier, so what the block wrote
// before it is visible to the whole block after it, and `shared` is free for the next call.
template <int kThreads>
__device__ double block_sum(BlockSum<kThreads>& shared, double x) {
  const double sum = cub::BlockReduce<double, kThreads>(shared.temp).Sum(x);  // valid in thread 0
  if (threadIdx.x == 0) shared.total = sum;
  __syncthreads();
  const double result = shared.total;
  __syncthreads();
  return result;
}

}  // namespace gan
