#pragma once
// defines: check_label_draws, check_concat_label_embedding, check_label_table_grad,
// check_gemm_input_grad_columns, check_label_projection, label_path_checks,
// dcgan_label_checks — the conditional GAN's label kernels against
// their CPU references (kernels/labels.cuh; model_spec.h: LabelEmbedding)
//
// As every check of check/kernel_checks.h: fresh random inputs, outputs poisoned first, NaN never
// passes. The gathers, draws and concatenations must reproduce the CPU exactly; the table's
// gradient (class sums and one GEMM) is held to the FP32 bound against double.
#include <cstdint>
#include <vector>

#include "check/check_compare.h"
#include "model/model_spec.h"

namespace gan {

// The real batch's labels gathered through an epoch's order, and the fake labels drawn from
// Philox, against the CPU's (mismatches).
KernelCheck check_label_draws(int64_t images, int64_t batch, int64_t classes, uint64_t seed);

// out [rows, width + dim] = x with the label's table row at `column`, against the CPU (ulp: 0).
KernelCheck check_concat_label_embedding(int64_t rows, int64_t width, int64_t dim, int64_t classes, int64_t column,
                                         uint64_t seed);

// The table's gradient [classes, dim] from dZ [rows, out], W [out, in] and the rows' labels:
// launch_label_class_sums then gemm_label_table_grad, against label_embedding_backward in double.
KernelCheck check_label_table_grad(int64_t rows, int64_t in, int64_t out, int64_t column, int64_t dim,
                                   int64_t classes, uint64_t seed);

// gemm_input_grad's first `columns` only (the conditional D's image gradient), against the
// whole input gradient's first columns in double.
KernelCheck check_gemm_input_grad_columns(int64_t B, int64_t in, int64_t out, int64_t columns, uint64_t seed);

// The conditional DCGAN's projection term: its forward into logits [rows] (which hold values
// already) and both halves of its backward, against label_projection_forward / _backward in
// double.
KernelCheck check_label_projection(int64_t rows, int64_t width, int64_t classes, uint64_t seed);

// Every label check at the shapes of the MLP `spec` (its widths with `classes` classes of
// cgan.py's width, conditional or not; D's projection term over its last layer's input): what
// `gan check` runs.
std::vector<KernelCheck> label_path_checks(const ModelSpec& spec, int64_t batch, int64_t classes, uint64_t seed);

// The conditional DCGAN's label checks at the shapes of the DCGAN `spec` with `classes` classes:
// G's concatenation and table gradient at its projection layer, D's projection term.
std::vector<KernelCheck> dcgan_label_checks(const ModelSpec& spec, int64_t batch, int64_t classes, uint64_t seed);

}  // namespace gan
