#pragma once
// defines: recorder::DerivedPlan, recorder::plan_from_record, recorder::derive_step_plan,
// recorder::check_plan — the GPU step's plan (model/step_plan.h) read from its record, so that the
// step is written once (in the trainer's enqueue code) and its plan follows
//
// From the record of one step:
//   kernels   every call the step's work consists of (our kernels, cuBLAS and cuDNN calls), in
//             the order the device receives them; copies, fills and the epoch's permutation
//             are left out (kind_of_call);
//   phase     the innermost NVTX range open at the call (what bench_step --breakdown times);
//   lane      its stream, numbered in order of first use (0: the trainer's own stream);
//   after     the kernel before it on its stream, and the last kernel of each stream whose event
//             it waits for (events recorded after a wait carry that wait on);
//   bytes     the extents its contract or its library call's shapes give, reads and writes (a
//             read-write twice), without a library's workspace;
//   flops     and tiles from the matrix products' shapes (Call::flops, gemm_rows, gemm_cols).
#include <cstdint>
#include <vector>

#include "cuda/gpu_trainer.h"
#include "model/model_spec.h"
#include "model/step_plan.h"
#include "recorder/record_checks.h"
#include "recorder/recorder.h"

namespace gan::recorder {

struct DerivedPlan {
  std::vector<PlannedKernel> kernels;
  std::vector<size_t> calls;  // each kernel's index in Record::calls
};

// The plan of the record's step `step` (calls marked by Record::begin_step).
DerivedPlan plan_from_record(const Record& record, int step);

// The plan of one step of `spec` at `batch` under `options` (max_batch is set to batch): a
// trainer on the recording back end runs two steps on images of the model's shape, and the
// second (a graph replay where options.graph) is read. Leaves that record in record().
DerivedPlan derive_step_plan(const ModelSpec& spec, GpuTrainerOptions options, int64_t batch);

// What the plan of each recorded step must satisfy ("plan" findings): every kernel runs inside a
// named phase, and the matrix products of an unconditional model do the step's arithmetic exactly
// once (step_flops, counted from the model's layers, not from the record). A conditional model
// is not held to step_flops: the GPU trains its label tables through per-class sums, products
// whose size follows the classes and not the batch, and skips the label columns of D's input
// gradient; counting those again outside the record would write the step twice. `batches`
// holds each step's batch.
std::vector<Finding> check_plan(const Record& record, const ModelSpec& spec, const std::vector<int64_t>& batches);

}  // namespace gan::recorder
