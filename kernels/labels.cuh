#pragma once
// defines: launch_gather_labels, launch_draw_classes, launch_concat_label_embedding,
// launch_label_class_sums, launch_label_projection_forward, launch_label_projection_backward
//
// The conditional GAN's label path on the device (model_spec.h: LabelEmbedding), each the twin of
// a CPU reference: the real batch's labels, the fake labels' draws, the label's row of a table
// concatenated to a layer's input, and the first half of the table's gradient; and the
// conditional DCGAN's projection term (model_spec.h: LabelProjection) with its gradients.
#include <cuda_runtime.h>

#include <cstdint>

#include "philox.cuh"

namespace gan {

// out[i] = labels[order[*device_offset + i]] for i < count: the real batch's classes, gathered
// like its images (launch_gather_normalize). labels: [N] uint8; order: [N]; out: [count].
void launch_gather_labels(const uint8_t* labels, const uint32_t* order, const uint64_t* device_offset, int64_t count,
                          int32_t* out, cudaStream_t stream);

// out[i] = random_class(word i of the stream (seed, purpose, *device_step), classes) for
// i < count: the CPU's fill_classes. The step is read from device memory, as the noise's is.
void launch_draw_classes(int32_t* out, int64_t count, uint64_t seed, RandomPurpose purpose,
                         const uint64_t* device_step, int32_t classes, cudaStream_t stream);

// out[r, :] = x[r, 0:column) | table[labels[r], 0:dim) | x[r, column:width): the CPU's
// concat_label_embedding. x: [rows, width]; table: [classes, dim]; out: [rows, width + dim].
void launch_concat_label_embedding(const float* x, int64_t width, const float* table, int64_t dim,
                                   const int32_t* labels, int64_t column, int64_t rows, float* out,
                                   cudaStream_t stream);

// class_sums[c, o] = the sum over rows r with labels[r] == c of dZ[r, o], added in row order by
// one thread per (c, o) (no atomics: the same bits on every run), as the CPU's
// label_embedding_backward adds them. dZ: [rows, out]; class_sums: [classes, out].
void launch_label_class_sums(const float* dZ, const int32_t* labels, int64_t rows, int64_t out, int64_t classes,
                             float* class_sums, cudaStream_t stream);

// logits[r] += <table[labels[r], :], features[r, :]>: the projection discriminator's label term
// (the CPU's label_projection_forward). One block per row sums its products in a fixed tree
// (the same bits on every run). features: [rows, width]; table: [classes, width]; logits: [rows].
void launch_label_projection_forward(const float* features, const float* table, const int32_t* labels, int64_t rows,
                                     int64_t width, float* logits, cudaStream_t stream);

// Its backward (the CPU's label_projection_backward), each part skipped when its output is null:
// d_features[r, j] += d_logits[r] * table[labels[r], j] (one thread per element), and
// d_table[c, j] = the sum in row order over the rows of class c of d_logits[r] * features[r, j]
// (overwritten; one thread per (c, j), no atomics). d_table must not alias table.
void launch_label_projection_backward(const float* features, const float* table, const int32_t* labels,
                                      const float* d_logits, int64_t rows, int64_t width, int64_t classes,
                                      float* d_features, float* d_table, cudaStream_t stream);

}  // namespace gan
