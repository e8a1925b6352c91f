// defines: gather_labels_kernel, draw_classes_kernel, concat_label_embedding_kernel,
// label_class_sums_kernel (one thread per output element each)
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

}  // namespace gan
