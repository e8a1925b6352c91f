#pragma once
// defines: layer_macs, step_flops, PlannedKernel, plan_to_json, plan_from_json, PeakRates,
// nominal_h200_rates, predict_kernel_ms, StepPrediction, predict_step — the GPU step as the list
// of kernels it launches, the work each must do, and a time predicted for each from peak rates
// (issue 16: count first, predict, then measure)
//
// The plan itself is not written here: it is read from the record of a real step on the
// recording back end (tests/recorder/derived_plan.h), so that the step is written once, in the
// trainer's enqueue code. bench_plan writes it as JSON (plan_to_json); bench_step --plan FILE
// reads it (plan_from_json) and prints it beside what the GPU measured. step_flops, counted from
// the model's layers alone, is what the plan's matrix products must add up to (the recorder's
// "plan" check).
//
// The prediction is a roofline per kernel with a fixed cost for each:
//   time = fixed + max(FLOPs / (FP32 rate x utilisation), bytes / memory bandwidth)
// where a GEMM's utilisation is its 64x64 output tiles over the card's SMs (at most 1): a GEMM
// of batch 128 rows with 256 outputs has 8 tiles, and keeps 8 of 132 SMs busy. (The tile edge
// is calibrated, not known: with 128 the plan predicted 0.84 ms for the seed's step at batch 128,
// with 64 0.34 ms, with 32 0.22 ms, and the one measurement we have is 0.34-0.42 ms on an H200,
// ../shared/device-runs/2026-11-29-h200/; bench/RESULTS.md.) Bytes are what the kernel's
// arguments span (each input read once, each output written once). The step's time is then the
// sum of its kernels, or with branches (kernels on side streams) the longest chain of dependent
// kernels, which assumes that kernels running side by side do not slow each other: a bound, not
// a promise.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/model_spec.h"

namespace gan {

// Multiply-adds of each layer's forward pass for one image; a layer's weight gradient and its
// input gradient cost as much again each. MLP: in x out. DCGAN: Cout x Cin x K x K per output
// pixel of a Conv2d, per input pixel of a ConvTranspose2d (BatchNorm and activations, a few
// operations per element, are not counted).
std::vector<double> layer_macs(const ModelSpec& spec, const NetworkSpec& network);

// FLOPs of one step of the seed's step (2 per multiply-add):
//   D step: G forward (B), D forward (2B), D weight gradients (2B), D input gradients for all
//           layers but the first (2B)
//   G step: G forward (B), D forward (B), D input gradients for every layer (B), G weight
//           gradients (B), G input gradients for every layer but the first (B)
double step_flops(const ModelSpec& spec, int64_t batch);

struct PlannedKernel {
  std::string phase;  // the step's NvtxRange it runs in, as bench_step --breakdown names it
  std::string name;   // what it does, with its shape: "GEMM forward T,N m=256 n=128 k=100"
  double flops = 0;   // 2 per multiply-add (GEMMs); element-wise work is not counted
  double bytes = 0;   // what its arguments span: each input read once, each output written once
  int64_t tiles = 0;  // GEMMs: output tiles of 64x64, the parallelism it offers (0: not a GEMM)
  int lane = 0;       // 0: the trainer's stream; 1, 2, ...: side streams, in order of first use
  std::vector<size_t> after;  // indices of the kernels it waits for (all earlier in the plan)
};

// The plan as JSON (a list of kernels, each with the fields above; "kernel" is the name) and
// back; plan_from_json throws InputError naming `where` and the kernel on a malformed one.
nlohmann::json plan_to_json(const std::vector<PlannedKernel>& plan);
std::vector<PlannedKernel> plan_from_json(const nlohmann::json& kernels, const std::string& where);

struct PeakRates {
  double fp32_flops_per_s = 0;  // what cuBLAS's SGEMM reaches on a large square product
  double bytes_per_s = 0;       // device-to-device copy: bytes read plus bytes written per second
  double kernel_us = 0;         // the fixed cost of one kernel in a graph, one after another
  int sms = 0;                  // streaming multiprocessors
  bool measured = false;        // false: nominal numbers (nominal_h200_rates), not this card's
};

// The H200's datasheet numbers (FP32 67 TFLOP/s without tensor cores, HBM3e 4.8 TB/s, 132 SMs)
// and 2.5 us per kernel: what a plan uses when no GPU measured better. Nominal, labelled so.
PeakRates nominal_h200_rates();

double predict_kernel_ms(const PlannedKernel& kernel, const PeakRates& rates);

struct StepPrediction {
  double serial_ms = 0;    // every kernel one after another
  double critical_ms = 0;  // the longest chain of dependent kernels (equal to serial_ms without branches)
  double flops = 0, bytes = 0;
  int64_t kernels = 0;
};

StepPrediction predict_step(const std::vector<PlannedKernel>& plan, const PeakRates& rates);

}  // namespace gan
