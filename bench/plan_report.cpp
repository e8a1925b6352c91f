#include "plan_report.h"

#include <cstdio>
#include <cstdlib>

namespace gan {

TrainConfig bench_config(const BenchChoices& c) {
  return resolve_config("", {{"batch", std::to_string(c.batch)}, {"model", c.model},
                             {"channels", std::to_string(c.channels)}, {"tf32", c.tf32 ? "true" : "false"},
                             {"gpu_forward", c.forward}, {"gpu_batchnorm", c.batch_norm},
                             {"gpu_branches", c.branches ? "true" : "false"}, {"gpu_conv_algos", c.conv_algos},
                             {"dcgan_channels", c.dcgan_channels}, {"cpu_gemm", c.cpu_gemm}});
}

bool read_bench_choice(const std::string& flag, const std::string& value, BenchChoices* c) {
  const bool yes = value == "1" || value == "true";
  if (flag == "--model") c->model = value;
  else if (flag == "--batch") c->batch = std::atoll(value.c_str());
  else if (flag == "--forward") c->forward = value;
  else if (flag == "--branches") c->branches = yes;
  else if (flag == "--batchnorm") c->batch_norm = value;
  else if (flag == "--conv-algos") c->conv_algos = value;
  else if (flag == "--dcgan-channels") c->dcgan_channels = value;
  else if (flag == "--cpu-gemm") c->cpu_gemm = value;
  else if (flag == "--tf32") c->tf32 = yes;
  else if (flag == "--image-size") c->image_size = std::atoll(value.c_str());
  else if (flag == "--channels") c->channels = std::atoll(value.c_str());
  else return false;
  return true;
}

nlohmann::json print_plan(const std::vector<PlannedKernel>& plan, const PeakRates& rates, const std::string& title) {
  const StepPrediction total = predict_step(plan, rates);
  std::printf("plan: %s; rates %s: SGEMM %.1f TFLOP/s, copy %.2f TB/s, %.2f us per kernel, %d SMs\n", title.c_str(),
              rates.measured ? "measured on this GPU" : "NOMINAL (H200 datasheet)", rates.fp32_flops_per_s / 1e12,
              rates.bytes_per_s / 1e12, rates.kernel_us, rates.sms);
  std::printf("%4s %4s  %-50s %-46s %9s %9s %9s\n", "#", "lane", "phase", "kernel", "MFLOP", "KB", "pred us");
  nlohmann::json kernels = plan_to_json(plan);
  nlohmann::json phases = nlohmann::json::object();
  for (size_t i = 0; i < plan.size(); ++i) {
    const PlannedKernel& k = plan[i];
    const double us = predict_kernel_ms(k, rates) * 1e3;
    std::printf("%4zu %4d  %-50s %-46s %9.2f %9.1f %9.2f\n", i, k.lane, k.phase.c_str(), k.name.c_str(), k.flops / 1e6,
                k.bytes / 1e3, us);
    kernels[i]["predicted_us"] = us;
    phases[k.phase] = phases.value(k.phase, 0.0) + us / 1e3;
  }
  std::printf("plan: %lld kernels, %.3f GFLOP, %.2f MB; predicted %.4f ms serial, %.4f ms along the longest chain\n",
              static_cast<long long>(total.kernels), total.flops / 1e9, total.bytes / 1e6, total.serial_ms,
              total.critical_ms);
  return {{"title", title},
          {"rates", {{"measured", rates.measured}, {"fp32_flops_per_s", rates.fp32_flops_per_s},
                     {"bytes_per_s", rates.bytes_per_s}, {"kernel_us", rates.kernel_us}, {"sms", rates.sms}}},
          {"kernels", kernels}, {"predicted_ms_by_phase", phases}, {"predicted_serial_ms", total.serial_ms},
          {"predicted_critical_ms", total.critical_ms}, {"kernel_count", total.kernels}};
}

}  // namespace gan
