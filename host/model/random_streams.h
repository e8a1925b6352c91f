#pragma once
// defines: fill_normal, fill_classes, epoch_permutation — the CPU side of the draws the GPU reproduces
#include <cstdint>
#include <vector>

#include "philox.cuh"

namespace gan {

// out[0 .. count) = elements 0 .. count-1 of the normal stream (seed, purpose, step).
void fill_normal(uint64_t seed, RandomPurpose purpose, uint64_t step, float* out, int64_t count);

// out[0 .. count) = uniform classes in 0 .. classes-1: element i is random_class of word i of
// the stream (seed, purpose, step).
void fill_classes(uint64_t seed, RandomPurpose purpose, uint64_t step, int64_t classes, int32_t* out, int64_t count);

// The order in which epoch `epoch` visits the `count` images: indices sorted by their Philox
// key (seed, kShuffle, epoch, index), ties broken by the index — the same order a stable radix
// sort of (key, index) pairs gives on the GPU.
std::vector<uint32_t> epoch_permutation(uint64_t seed, uint64_t epoch, uint32_t count);

}  // namespace gan
