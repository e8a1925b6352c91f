#pragma once
// defines: conv2d_forward_gemm, conv2d_backward_gemm, conv_transpose2d_forward_gemm,
// conv_transpose2d_backward_gemm — the convolutions of cpu/image_ops.h again, as im2col/col2im
// around OpenBLAS GEMMs (what cuDNN's GEMM algorithms do), for speed: same arguments, same
// layouts and the same results up to summation order. The plain loops stay the references these
// are tested against (tests/test_image_ops.cpp), and the double-precision path of the models.
//
// One GEMM serves a group of images (their columns side by side), as many as fit a fixed
// scratch budget; max_images > 0 caps the group (the tests use it to cover partial groups).
#include <cstdint>

#include "cpu/image_ops.h"

namespace gan {

void conv2d_forward_gemm(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                         int64_t max_images = 0);
void conv2d_backward_gemm(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                          float* dbias, int64_t max_images = 0);
void conv_transpose2d_forward_gemm(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                                   int64_t max_images = 0);
void conv_transpose2d_backward_gemm(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx,
                                    float* dw, float* dbias, int64_t max_images = 0);

}  // namespace gan
