#pragma once
// defines: ConvShape, halving_shape — a convolution's geometry, shared by the CPU references
// (cpu/image_ops.h) and the cuDNN layers (cuda/cudnn_layers.h)
#include <cstdint>

namespace gan {

// One convolution's geometry. For Conv2d, (height, width) is the input's and out_height() the
// output's; ConvTranspose2d uses the same numbers with input and output swapped (its input is
// the Conv2d's output), which is what makes it Conv2d's adjoint.
struct ConvShape {
  int64_t batch = 1, in_channels = 1, out_channels = 1;
  int64_t height = 1, width = 1;  // of the Conv2d input / the ConvTranspose2d output
  int64_t kernel = 1, stride = 1, padding = 0;

  int64_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  int64_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
};

// The ConvShape of a stride-2, padding-1, 4x4 layer between 2n x 2n and n x n maps: for a
// Conv2d from `in` channels at `size` x `size`; for a ConvTranspose2d to `out` channels at
// `size` x `size` (see cpu/image_ops.h).
inline ConvShape halving_shape(int64_t batch, int64_t in, int64_t out, int64_t size) {
  return ConvShape{batch, in, out, size, size, /*kernel=*/4, /*stride=*/2, /*padding=*/1};
}

}  // namespace gan
