#include "check/label_checks.h"

#include <algorithm>
#include <random>

#include "check/check_inputs.h"
#include "check/kernel_checks.h"
#include "cpu/ops.h"
#include "cuda/blas.h"
#include "cuda/resources.h"
#include "labels.cuh"
#include "model/random_streams.h"
#include "util/error.h"

namespace gan {

namespace {

std::vector<int32_t> random_labels(int64_t count, int64_t classes, std::mt19937_64& rng) {
  std::vector<int32_t> labels(static_cast<size_t>(count));
  for (int32_t& label : labels) label = static_cast<int32_t>(rng() % static_cast<uint64_t>(classes));
  return labels;
}

void count_mismatches(KernelCheck& check, const std::vector<int32_t>& got, const std::vector<int32_t>& want) {
  for (size_t i = 0; i < want.size(); ++i) check.error += got.at(i) != want[i] ? 1 : 0;
  check.max_abs = check.error;
}

}  // namespace

KernelCheck check_label_draws(int64_t images, int64_t batch, int64_t classes, uint64_t seed) {
  if (batch > images) throw InputError("check_label_draws: batch " + std::to_string(batch) + " > images " + std::to_string(images));
  KernelCheck check = start_check("labels: gather + Philox draws",
                                  shape_text({{"N", images}, {"B", batch}, {"classes", classes}}), 0, "mismatches");
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> labels(static_cast<size_t>(images));
  for (uint8_t& label : labels) label = static_cast<uint8_t>(rng() % static_cast<uint64_t>(classes));
  const std::vector<uint32_t> order = epoch_permutation(seed, 2, static_cast<uint32_t>(images));
  const uint64_t offset = rng() % static_cast<uint64_t>(images - batch + 1);
  const uint64_t step = 1 + rng() % 100000;
  std::vector<int32_t> want(static_cast<size_t>(2 * batch));
  for (int64_t i = 0; i < batch; ++i) want[i] = labels[order[offset + i]];
  fill_classes(seed, RandomPurpose::kLabelDiscriminator, step, classes, want.data() + batch, batch);

  CudaStream stream;
  DeviceBuffer<uint8_t> d_labels(labels);
  DeviceBuffer<uint32_t> d_order(order);
  DeviceBuffer<uint64_t> d_offset(std::vector<uint64_t>{offset}), d_step(std::vector<uint64_t>{step});
  DeviceBuffer<int32_t> d_out(want.size());
  d_out.poison();
  launch_gather_labels(d_labels.get(), d_order.get(), d_offset.get(), batch, d_out.get(), stream.get());
  launch_draw_classes(d_out.get() + batch, batch, seed, RandomPurpose::kLabelDiscriminator, d_step.get(),
                      static_cast<int32_t>(classes), stream.get());
  stream.synchronize();
  count_mismatches(check, d_out.download(), want);
  return finish_check(check);
}

KernelCheck check_concat_label_embedding(int64_t rows, int64_t width, int64_t dim, int64_t classes, int64_t column,
                                         uint64_t seed) {
  KernelCheck check = start_check("labels: concatenate the table's row",
                                  shape_text({{"rows", rows}, {"width", width}, {"dim", dim}, {"column", column}}), 0,
                                  "ulp");
  std::mt19937_64 rng(seed);
  const std::vector<float> x = uniform_values(static_cast<size_t>(rows * width), -1, 1, rng);
  const std::vector<float> table = uniform_values(static_cast<size_t>(classes * dim), -2, 2, rng);
  const std::vector<int32_t> labels = random_labels(rows, classes, rng);
  std::vector<float> want(static_cast<size_t>(rows * (width + dim)));
  concat_label_embedding(x.data(), width, table.data(), dim, labels.data(), column, rows, want.data());

  CudaStream stream;
  DeviceBuffer<float> d_x(x), d_table(table), d_out(want.size());
  DeviceBuffer<int32_t> d_labels(labels);
  d_out.poison();
  launch_concat_label_embedding(d_x.get(), width, d_table.get(), dim, d_labels.get(), column, rows, d_out.get(),
                                stream.get());
  stream.synchronize();
  compare_ulps(check, d_out.download(), want);
  return finish_check(check);
}

KernelCheck check_label_table_grad(int64_t rows, int64_t in, int64_t out, int64_t column, int64_t dim,
                                   int64_t classes, uint64_t seed) {
  KernelCheck check = start_check("labels: table gradient (class sums + GEMM)",
                                  shape_text({{"rows", rows}, {"in", in}, {"out", out}, {"classes", classes}}),
                                  kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  const std::vector<float> dZ = uniform_values(static_cast<size_t>(rows * out), -1, 1, rng);
  const std::vector<float> W = uniform_values(static_cast<size_t>(out * in), -0.1f, 0.1f, rng);
  const std::vector<int32_t> labels = random_labels(rows, classes, rng);
  const std::vector<double> dZ64 = widen(dZ), W64 = widen(W);
  std::vector<double> sums64(static_cast<size_t>(classes * out)), want(static_cast<size_t>(classes * dim));
  label_embedding_backward<double>(dZ64.data(), W64.data(), in, out, column, dim, labels.data(), rows, classes,
                                   sums64.data(), want.data());

  CudaStream stream;
  CublasHandle blas(stream.get(), false);
  DeviceBuffer<float> d_dZ(dZ), d_W(W), d_sums(sums64.size()), d_table(want.size());
  DeviceBuffer<int32_t> d_labels(labels);
  d_sums.poison();
  d_table.poison();
  launch_label_class_sums(d_dZ.get(), d_labels.get(), rows, out, classes, d_sums.get(), stream.get());
  gemm_label_table_grad(blas, d_sums.get(), d_W.get(), d_table.get(), classes, in, out, column, dim);
  stream.synchronize();
  compare_relative(check, d_sums.download(), sums64);
  compare_relative(check, d_table.download(), want);
  return finish_check(check);
}

KernelCheck check_gemm_input_grad_columns(int64_t B, int64_t in, int64_t out, int64_t columns, uint64_t seed) {
  KernelCheck check = start_check("cuBLAS input grad, first columns fp32",
                                  shape_text({{"B", B}, {"in", in}, {"out", out}, {"columns", columns}}), kFp32Bound,
                                  "rel");
  std::mt19937_64 rng(seed);
  const std::vector<float> dZ = uniform_values(static_cast<size_t>(B * out), -1, 1, rng);
  const std::vector<float> W = uniform_values(static_cast<size_t>(out * in), -0.1f, 0.1f, rng);
  const std::vector<double> dZ64 = widen(dZ), W64 = widen(W);
  std::vector<double> whole(static_cast<size_t>(B * in)), want;
  gemm_naive<double>(false, false, B, in, out, dZ64.data(), W64.data(), whole.data());
  for (int64_t r = 0; r < B; ++r) want.insert(want.end(), whole.begin() + r * in, whole.begin() + r * in + columns);

  CudaStream stream;
  CublasHandle blas(stream.get(), false);
  DeviceBuffer<float> d_dZ(dZ), d_W(W), d_dX(want.size());
  d_dX.poison();
  gemm_input_grad(blas, d_dZ.get(), d_W.get(), d_dX.get(), B, in, out, columns);
  stream.synchronize();
  compare_relative(check, d_dX.download(), want);
  return finish_check(check);
}

KernelCheck check_label_projection(int64_t rows, int64_t width, int64_t classes, uint64_t seed) {
  KernelCheck check = start_check("labels: projection term, forward + backward",
                                  shape_text({{"rows", rows}, {"width", width}, {"classes", classes}}), kFp32Bound,
                                  "rel");
  std::mt19937_64 rng(seed);
  const std::vector<float> features = uniform_values(static_cast<size_t>(rows * width), -1, 1, rng);
  const std::vector<float> table = uniform_values(static_cast<size_t>(classes * width), -0.1f, 0.1f, rng);
  const std::vector<float> logits = uniform_values(static_cast<size_t>(rows), -2, 2, rng);
  const std::vector<float> d_logits = uniform_values(static_cast<size_t>(rows), -1, 1, rng);
  const std::vector<float> d_features = uniform_values(static_cast<size_t>(rows * width), -1, 1, rng);
  const std::vector<int32_t> labels = random_labels(rows, classes, rng);
  const std::vector<double> features64 = widen(features), table64 = widen(table), d_logits64 = widen(d_logits);
  std::vector<double> want_logits = widen(logits), want_features = widen(d_features);
  std::vector<double> want_table(static_cast<size_t>(classes * width));
  label_projection_forward<double>(features64.data(), table64.data(), labels.data(), rows, width, want_logits.data());
  label_projection_backward<double>(features64.data(), table64.data(), labels.data(), d_logits64.data(), rows, width,
                                    classes, want_features.data(), want_table.data());

  CudaStream stream;
  DeviceBuffer<float> d_features_in(features), d_table_in(table), d_logits_io(logits), d_dlogits(d_logits);
  DeviceBuffer<float> d_dfeatures(d_features), d_dtable(want_table.size());
  DeviceBuffer<int32_t> d_labels(labels);
  d_dtable.poison();
  launch_label_projection_forward(d_features_in.get(), d_table_in.get(), d_labels.get(), rows, width, d_logits_io.get(),
                                  stream.get());
  launch_label_projection_backward(d_features_in.get(), d_table_in.get(), d_labels.get(), d_dlogits.get(), rows, width,
                                   classes, d_dfeatures.get(), d_dtable.get(), stream.get());
  stream.synchronize();
  compare_relative(check, d_logits_io.download(), want_logits);
  compare_relative(check, d_dfeatures.download(), want_features);
  compare_relative(check, d_dtable.download(), want_table);
  return finish_check(check);
}

std::vector<KernelCheck> dcgan_label_checks(const ModelSpec& spec, int64_t batch, int64_t classes, uint64_t seed) {
  const int64_t latent = spec.latent_dim, projected = spec.dcgan.c0 * 49;
  return {
      check_concat_label_embedding(batch, latent, classes, classes, 0, seed + 1),                // G: cat(emb, z)
      check_label_table_grad(batch, classes + latent, projected, 0, classes, classes, seed + 2),  // G's table
      check_label_projection(batch, projected, classes, seed + 3),                               // D's projection
  };
}

std::vector<KernelCheck> label_path_checks(const ModelSpec& spec, int64_t batch, int64_t classes, uint64_t seed) {
  const int64_t pixels = spec.image_size(), latent = spec.latent_dim;
  const int64_t g_out = spec.generator.layers.front().out, d_out = spec.discriminator.layers.front().out;
  return {
      check_label_draws(std::max<int64_t>(10000, batch), batch, classes, seed + 1),
      check_concat_label_embedding(batch, latent, classes, classes, 0, seed + 2),           // G: cat(emb, z)
      check_concat_label_embedding(batch, pixels, classes, classes, pixels, seed + 3),      // D: cat(image, emb)
      check_label_table_grad(batch, classes + latent, g_out, 0, classes, classes, seed + 4),  // G's table
      check_label_table_grad(2 * batch, pixels + classes, d_out, pixels, classes, classes, seed + 5),  // D's
      check_gemm_input_grad_columns(batch, pixels + classes, d_out, pixels, seed + 6),  // the G step through D
      check_label_projection(2 * batch, spec.discriminator.layers.back().in, classes, seed + 7),  // D's projection
  };
}

}  // namespace gan
