// defines: gather_labels_kernel, draw_classes_kernel, concat_label_embedding_kernel,
// label_class_sums_kernel, label_projection_features_grad_kernel,
// label_projection_table_grad_kernel (one thread per output element each),
// label_projection_forward_kernel (one block per row)
#include "cuda_check.cuh"
#include "labels.cuh"

namespace gan {

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t count) { return static_cast<unsigned>((count + kThreads - 1) / kThreads); }

}  // namespace

__global__ void gather_labels_kernel(const uint8_t* __restrict__ labels, const uint32_t* __restrict__ order,
                                     const uint64_t* __restrict__ device_offset, int64_t count,
                                     int32_t* __restrict__ out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  out[i] = labels[order[*device_offset + static_cast<uint64_t>(i)]];
}

void launch_gather_labels(const uint8_t* labels, const uint32_t* order, const uint64_t* device_offset, int64_t count,
                          int32_t* out, cudaStream_t stream) {
  if (count <= 0) return;
  gather_labels_kernel<<<blocks_for(count), kThreads, 0, stream>>>(labels, order, device_offset, count, out);
  GAN_CHECK_LAUNCH("gather_labels_kernel");
}

__global__ void draw_classes_kernel(int32_t* __restrict__ out, int64_t count, uint64_t seed, uint32_t purpose,
                                    const uint64_t* __restrict__ device_step, uint32_t classes) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const uint32_t bits = random_bits(seed, static_cast<RandomPurpose>(purpose), *device_step, static_cast<uint64_t>(i));
  out[i] = random_class(bits, classes);
}

void launch_draw_classes(int32_t* out, int64_t count, uint64_t seed, RandomPurpose purpose,
                         const uint64_t* device_step, int32_t classes, cudaStream_t stream) {
  if (count <= 0) return;
  draw_classes_kernel<<<blocks_for(count), kThreads, 0, stream>>>(out, count, seed, static_cast<uint32_t>(purpose),
                                                                 device_step, static_cast<uint32_t>(classes));
  GAN_CHECK_LAUNCH("draw_classes_kernel");
}

// One thread per element of out [rows, width + dim].
__global__ void concat_label_embedding_kernel(const float* __restrict__ x, int64_t width,
                                              const float* __restrict__ table, int64_t dim,
                                              const int32_t* __restrict__ labels, int64_t column, int64_t rows,
                                              float* __restrict__ out) {
  const int64_t out_width = width + dim;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * out_width) return;
  const int64_t r = i / out_width, j = i % out_width;
  float value;
  if (j < column) {
    value = x[r * width + j];
  } else if (j < column + dim) {
    value = table[static_cast<int64_t>(labels[r]) * dim + (j - column)];
  } else {
    value = x[r * width + (j - dim)];
  }
  out[i] = value;
}

void launch_concat_label_embedding(const float* x, int64_t width, const float* table, int64_t dim,
                                   const int32_t* labels, int64_t column, int64_t rows, float* out,
                                   cudaStream_t stream) {
  const int64_t count = rows * (width + dim);
  if (count <= 0) return;
  concat_label_embedding_kernel<<<blocks_for(count), kThreads, 0, stream>>>(x, width, table, dim, labels, column, rows,
                                                                           out);
  GAN_CHECK_LAUNCH("concat_label_embedding_kernel");
}

// One thread per element of class_sums [classes, out]; neighbouring threads read neighbouring
// columns of each dZ row, so the loads of a warp coalesce.
__global__ void label_class_sums_kernel(const float* __restrict__ dZ, const int32_t* __restrict__ labels,
                                        int64_t rows, int64_t out, int64_t classes,
                                        float* __restrict__ class_sums) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= classes * out) return;
  const int64_t c = i / out, o = i % out;
  float sum = 0.0f;
  for (int64_t r = 0; r < rows; ++r) {
    if (labels[r] == c) sum += dZ[r * out + o];
  }
  class_sums[i] = sum;
}

void launch_label_class_sums(const float* dZ, const int32_t* labels, int64_t rows, int64_t out, int64_t classes,
                             float* class_sums, cudaStream_t stream) {
  const int64_t count = classes * out;
  if (count <= 0) return;
  label_class_sums_kernel<<<blocks_for(count), kThreads, 0, stream>>>(dZ, labels, rows, out, classes, class_sums);
  GAN_CHECK_LAUNCH("label_class_sums_kernel");
}

// One block of kThreads per row r: each thread sums a strided share of the row's products, then
// a fixed tree halves the partial sums (kThreads is a power of two).
__global__ void label_projection_forward_kernel(const float* __restrict__ features, const float* __restrict__ table,
                                                const int32_t* __restrict__ labels, int64_t width,
                                                float* __restrict__ logits) {
  __shared__ float partial[kThreads];
  const int64_t r = blockIdx.x;
  const float* row = features + r * width;
  const float* embedding = table + static_cast<int64_t>(labels[r]) * width;
  float sum = 0.0f;
  for (int64_t j = threadIdx.x; j < width; j += kThreads) sum += row[j] * embedding[j];
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) logits[r] += partial[0];
}

void launch_label_projection_forward(const float* features, const float* table, const int32_t* labels, int64_t rows,
                                     int64_t width, float* logits, cudaStream_t stream) {
  if (rows <= 0 || width <= 0) return;
  label_projection_forward_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(features, table, labels, width,
                                                                                        logits);
  GAN_CHECK_LAUNCH("label_projection_forward_kernel");
}

// One thread per element of d_features [rows, width].
__global__ void label_projection_features_grad_kernel(const float* __restrict__ table,
                                                      const int32_t* __restrict__ labels,
                                                      const float* __restrict__ d_logits, int64_t rows, int64_t width,
                                                      float* __restrict__ d_features) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * width) return;
  const int64_t r = i / width, j = i % width;
  d_features[i] += d_logits[r] * table[static_cast<int64_t>(labels[r]) * width + j];
}

// One thread per element of d_table [classes, width]; a warp reads neighbouring columns of each
// features row, so its loads coalesce.
__global__ void label_projection_table_grad_kernel(const float* __restrict__ features,
                                                   const int32_t* __restrict__ labels,
                                                   const float* __restrict__ d_logits, int64_t rows, int64_t width,
                                                   int64_t classes, float* __restrict__ d_table) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= classes * width) return;
  const int64_t c = i / width, j = i % width;
  float sum = 0.0f;
  for (int64_t r = 0; r < rows; ++r) {
    if (labels[r] == c) sum += d_logits[r] * features[r * width + j];
  }
  d_table[i] = sum;
}

void launch_label_projection_backward(const float* features, const float* table, const int32_t* labels,
                                      const float* d_logits, int64_t rows, int64_t width, int64_t classes,
                                      float* d_features, float* d_table, cudaStream_t stream) {
  if (d_features && rows * width > 0) {
    label_projection_features_grad_kernel<<<blocks_for(rows * width), kThreads, 0, stream>>>(table, labels, d_logits,
                                                                                             rows, width, d_features);
    GAN_CHECK_LAUNCH("label_projection_features_grad_kernel");
  }
  if (d_table && classes * width > 0) {
    label_projection_table_grad_kernel<<<blocks_for(classes * width), kThreads, 0, stream>>>(
        features, labels, d_logits, rows, width, classes, d_table);
    GAN_CHECK_LAUNCH("label_projection_table_grad_kernel");
  }
}

}  // namespace gan
