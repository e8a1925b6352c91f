#pragma once
// defines: launch_gather_normalize, epoch_permutation_workspace_bytes, launch_epoch_permutation
//
// The data side of the step, on a device-resident dataset: the per-epoch shuffle and the
// gather of a batch.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace gan {

// out[i, p] = (images[order[*device_offset + i], p] / 255 - mean) / std for i < count, p < pixels,
// in torchvision's order of operations (ToTensor, then Normalize): the same floats as the CPU's
// gather_normalize. The offset into the order is read from device memory, so a captured graph
// gathers the next batch on every replay.
// images: [N, pixels] uint8; order: [N]; out: [count, pixels].
void launch_gather_normalize(const uint8_t* images, int64_t pixels, const uint32_t* order,
                             const uint64_t* device_offset, int64_t count, float mean, float std, float* out,
                             cudaStream_t stream);

// Bytes of scratch launch_epoch_permutation needs for `count` images (ask once, allocate before
// capture).
size_t epoch_permutation_workspace_bytes(uint32_t count);

// order[0 .. count) = the permutation of epoch `epoch`: indices sorted by their Philox key
// (seed, shuffle, epoch), ties by index — CUB's radix sort is stable — exactly the CPU's
// epoch_permutation.
void launch_epoch_permutation(uint64_t seed, uint64_t epoch, uint32_t count, uint32_t* order, void* workspace,
                              size_t workspace_bytes, cudaStream_t stream);

}  // namespace gan
