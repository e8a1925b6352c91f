// The convolutional GAN's model spec and CPU forward passes (issue 10): the state_dict of
// tools/dcgan_model.py tensor for tensor, PyTorch's init rules, and the forward passes in
// training mode (running statistics included) replayed by PyTorch itself.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>

#include "cpu/dcgan.h"
#include "cpu/cpu_trainer.h"
#include "train/schedule.h"
#include "util/error.h"
#include "io/safetensors.h"
#include "test_util.h"

namespace gan {
namespace {

int64_t real_count(const std::vector<TensorSlot>& slots) {
  int64_t n = 0;
  for (const TensorSlot& s : slots) n += static_cast<int64_t>(s.size);
  return n;
}

TEST(Dcgan, SpecIsTheStateDictOfThePyTorchModel) {
  const ModelSpec spec = make_dcgan_spec(100, 128, 64, 0.2f);
  std::vector<std::string> names;
  for (const TensorSlot& s : spec.generator.tensors) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"project.weight", "project.bias", "net.0.weight", "net.0.bias",
                                              "net.2.weight", "net.2.bias", "net.3.weight", "net.3.bias",
                                              "net.5.weight", "net.5.bias"}));
  EXPECT_EQ(spec.generator.tensor("net.2.weight").shape, (std::vector<int64_t>{128, 64, 4, 4}));
  EXPECT_EQ(spec.discriminator.tensor("net.6.weight").shape, (std::vector<int64_t>{1, 6272}));
  EXPECT_EQ(spec.discriminator.buffer("net.3.running_var").shape, (std::vector<int64_t>{128}));
  // The parameter counts tools/dcgan_model.py --check prints.
  EXPECT_EQ(real_count(spec.generator.tensors), 766017);
  EXPECT_EQ(real_count(spec.discriminator.tensors), 138817);
  for (const NetworkSpec* n : {&spec.generator, &spec.discriminator})
    for (const TensorSlot& s : n->tensors) EXPECT_EQ(s.offset % kTensorAlignment, 0u) << s.name;
}

TEST(Dcgan, InitFollowsPyTorchsRules) {
  const ModelSpec spec = make_dcgan_spec(100, 128, 64, 0.2f);
  const NetworkSpec& g = spec.generator;
  std::vector<float> params(g.parameter_count), buffers(g.buffer_count);
  init_dcgan_network(g, 0, 7, params.data(), buffers.data());
  auto all_within = [&](const char* name, double bound) {
    const TensorSlot& s = g.tensor(name);
    double largest = 0;
    for (size_t e = 0; e < s.size; ++e) largest = std::max(largest, std::fabs(double(params[s.offset + e])));
    return largest <= bound && largest > 0.9 * bound;  // drawn from the whole range
  };
  EXPECT_TRUE(all_within("project.weight", 1 / std::sqrt(100.0)));
  EXPECT_TRUE(all_within("net.2.weight", 1 / std::sqrt(64.0 * 16)));  // ConvTranspose2d: fan_in = Cout*K*K
  EXPECT_TRUE(all_within("net.5.weight", 1 / std::sqrt(16.0)));
  EXPECT_EQ(params[g.tensor("net.0.weight").offset], 1.0f);
  EXPECT_EQ(params[g.tensor("net.0.bias").offset + 5], 0.0f);
  EXPECT_EQ(buffers[g.buffer("net.3.running_var").offset + 3], 1.0f);
  EXPECT_EQ(buffers[g.buffer("net.3.running_mean").offset], 0.0f);
}

TEST(Dcgan, ForwardPassesMatchThePyTorchModelInTrainingMode) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs Debian's python3-torch (tools/setup.sh --tests)";
  }
  const ModelSpec spec = make_dcgan_spec(100, 128, 64, 0.2f);
  const int64_t B = 5;
  std::vector<float> gp(spec.generator.parameter_count), gb(spec.generator.buffer_count);
  std::vector<float> dp(spec.discriminator.parameter_count), db(spec.discriminator.buffer_count);
  init_dcgan_network(spec.generator, 0, 11, gp.data(), gb.data());
  init_dcgan_network(spec.discriminator, 1, 11, dp.data(), db.data());
  // Non-trivial BatchNorm affine parameters, so that a mix-up of gamma and beta shows.
  for (const char* name : {"net.0.weight", "net.0.bias", "net.3.weight", "net.3.bias"}) {
    const TensorSlot& s = spec.generator.tensor(name);
    const std::vector<float> r = testing::random_vector<float>(s.size, s.offset, 0.5, 1.5);
    std::copy(r.begin(), r.end(), gp.begin() + static_cast<std::ptrdiff_t>(s.offset));
  }
  const std::vector<float> z = testing::random_vector<float>(static_cast<size_t>(B * 100), 1);
  const std::vector<float> real = testing::random_vector<float>(static_cast<size_t>(B * 784), 2);

  std::vector<TensorView> views;
  std::vector<std::vector<float>> keep;  // storage for the views (reserved: its elements must not move)
  keep.reserve(2);
  auto add = [&](const std::string& name, const std::vector<int64_t>& shape, const float* data) {
    views.push_back({name, shape, data});
  };
  for (const auto& [network, params, buffers] :
       {std::make_tuple(&spec.generator, &gp, &gb), std::make_tuple(&spec.discriminator, &dp, &db)}) {
    for (const TensorSlot& s : network->tensors) add(network->name + "." + s.name, s.shape, params->data() + s.offset);
    keep.push_back(*buffers);  // the initial buffers, before the passes update them
    for (const TensorSlot& s : network->buffers) add(network->name + "." + s.name, s.shape, keep.back().data() + s.offset);
  }
  add("z", {B, 100}, z.data());
  add("real", {B, 1, 28, 28}, real.data());

  DcganGeneratorPass<float> g_pass;
  DcganDiscriminatorPass<float> d_pass;
  dcgan_generator_forward(spec, gp.data(), gb.data(), z.data(), B, &g_pass);
  dcgan_discriminator_forward(spec, dp.data(), db.data(), real.data(), B, &d_pass);
  add("ours.image", {B, 1, 28, 28}, g_pass.image.data());
  add("ours.logits", {B, 1}, d_pass.logits.data());
  for (const auto& [network, buffers] : {std::make_pair(&spec.generator, &gb), std::make_pair(&spec.discriminator, &db)}) {
    for (const TensorSlot& s : network->buffers) add("ours." + network->name + "." + s.name, s.shape, buffers->data() + s.offset);
  }
  testing::ScratchDir dir;
  const std::string path = dir.path("dcgan.safetensors");
  write_safetensors(path, views, {});
  const std::string command = "cd " + std::string(GAN_SOURCE_DIR) + " && /usr/bin/python3 tools/dcgan_parity.py " + path;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

// The two losses of the step, in double, on a small model (C0 = 4, C1 = 3, latent 5, batch 3),
// with every parameter's gradient checked against central finite differences: the composition
// of the layers' backward passes is the derivative of the composition of their forwards.
struct SmallDcgan {
  ModelSpec spec = make_dcgan_spec(5, 4, 3, 0.2f);
  int64_t B = 3;
  std::vector<double> g, d, z, real;
  SmallDcgan() {
    std::vector<float> gp(spec.generator.parameter_count), gb(spec.generator.buffer_count);
    std::vector<float> dp(spec.discriminator.parameter_count), db(spec.discriminator.buffer_count);
    init_dcgan_network(spec.generator, 0, 3, gp.data(), gb.data());
    init_dcgan_network(spec.discriminator, 1, 3, dp.data(), db.data());
    g.assign(gp.begin(), gp.end());
    d.assign(dp.begin(), dp.end());
    // BatchNorm's affine parameters away from 1 and 0, so their gradients are exercised.
    for (NetworkSpec* n : {&spec.generator, &spec.discriminator})
      for (const TensorSlot& s : n->tensors)
        if (s.fan_in == 0) {
          std::vector<double>& values = n == &spec.generator ? g : d;
          const auto r = testing::random_vector<double>(s.size, s.offset + 100, 0.5, 1.5);
          std::copy(r.begin(), r.end(), values.begin() + static_cast<std::ptrdiff_t>(s.offset));
        }
    z = testing::random_vector<double>(static_cast<size_t>(B * 5), 4);
    real = testing::random_vector<double>(static_cast<size_t>(B * 784), 5);
  }
  // The D step's loss: BCE(D(real), 1) + BCE(D(fake), 0), in two passes; with its gradient.
  double d_loss(const std::vector<double>& fake, std::vector<double>* grads) const {
    double loss = 0;
    std::vector<double> total(d.size(), 0.0), part(d.size());
    for (int half = 0; half < 2; ++half) {
      DcganDiscriminatorPass<double> pass;
      dcgan_discriminator_forward(spec, d.data(), static_cast<double*>(nullptr), half == 0 ? real.data() : fake.data(), B,
                                  &pass);
      std::vector<double> dlogit(static_cast<size_t>(B));
      const BceStats stats = half == 0 ? bce_with_logits(pass.logits.data(), B, 0, dlogit.data())
                                       : bce_with_logits(pass.logits.data(), 0, B, dlogit.data());
      loss += stats.loss_real + stats.loss_fake;
      if (grads) {
        dcgan_discriminator_backward(spec, d.data(), pass, dlogit.data(), part.data(), static_cast<double*>(nullptr));
        for (size_t i = 0; i < total.size(); ++i) total[i] += part[i];
      }
    }
    if (grads) *grads = total;
    return loss;
  }
  // The G step's loss: BCE(D(G(z)), 1); with the gradient of G's parameters.
  double g_loss(std::vector<double>* grads) const {
    DcganGeneratorPass<double> g_pass;
    dcgan_generator_forward(spec, g.data(), static_cast<double*>(nullptr), z.data(), B, &g_pass);
    DcganDiscriminatorPass<double> d_pass;
    dcgan_discriminator_forward(spec, d.data(), static_cast<double*>(nullptr), g_pass.image.data(), B, &d_pass);
    std::vector<double> dlogit(static_cast<size_t>(B));
    const BceStats stats = bce_with_logits(d_pass.logits.data(), B, 0, dlogit.data());
    if (grads) {
      std::vector<double> d_image(g_pass.image.size());
      dcgan_discriminator_backward(spec, d.data(), d_pass, dlogit.data(), static_cast<double*>(nullptr), d_image.data());
      grads->assign(g.size(), 0.0);
      dcgan_generator_backward(spec, g.data(), z.data(), g_pass, d_image.data(), grads->data());
    }
    return stats.loss_real;
  }
};

// Finite differences over the slots' real (non-padding) entries, at testing::probe_indices.
double gradient_error(std::vector<double>& values, const std::vector<double>& analytic, const std::vector<TensorSlot>& slots,
                      const std::function<double()>& loss) {
  return testing::finite_difference_error(values, analytic, testing::probe_indices(slots), loss);
}

TEST(Dcgan, DiscriminatorStepGradientsMatchFiniteDifferences) {
  SmallDcgan m;
  const std::vector<double> fake = testing::random_vector<double>(m.real.size(), 6);
  std::vector<double> grads;
  m.d_loss(fake, &grads);
  EXPECT_LT(gradient_error(m.d, grads, m.spec.discriminator.tensors, [&] { return m.d_loss(fake, nullptr); }), 1e-6);
}

TEST(Dcgan, GeneratorStepGradientsMatchFiniteDifferences) {
  SmallDcgan m;
  std::vector<double> grads;
  m.g_loss(&grads);
  EXPECT_LT(gradient_error(m.g, grads, m.spec.generator.tensors, [&] { return m.g_loss(nullptr); }), 1e-6);
}

TEST(Dcgan, TrainerIsDeterministicAndResumesExactly) {
  const ModelSpec spec = make_dcgan_spec(6, 6, 4, 0.2f);
  const Dataset data = testing::synthetic_dataset(40, 28, 28, 3);
  const Schedule schedule{data.count, 8, false, 3, 0};
  CpuTrainerOptions options;
  options.seed = 21;
  options.adam.beta1 = 0.5;
  CpuTrainer whole(spec, data, options), first(spec, data, options);
  for (uint64_t step = 1; step <= 6; ++step) whole.train_step(schedule.position(step));  // crosses an epoch
  for (uint64_t step = 1; step <= 3; ++step) first.train_step(schedule.position(step));
  CpuTrainer resumed(spec, data, options);
  resumed.load_state(first.state());
  for (uint64_t step = 4; step <= 6; ++step) resumed.train_step(schedule.position(step));
  const TrainerState a = whole.state(), b = resumed.state();
  EXPECT_EQ(a.generator.params, b.generator.params);
  EXPECT_EQ(a.generator.buffers, b.generator.buffers);
  EXPECT_EQ(a.discriminator.exp_avg_sq, b.discriminator.exp_avg_sq);
  EXPECT_EQ(a.discriminator.buffers, b.discriminator.buffers);
  EXPECT_EQ(a.generator.adam_step, 6);
  // The running statistics moved away from their initial 0 and 1: BatchNorm trained.
  const TensorSlot& mean = spec.discriminator.buffer("net.3.running_mean");
  EXPECT_NE(a.discriminator.buffers[mean.offset], 0.0f);
  const StepStats stats = whole.last_stats();
  EXPECT_TRUE(std::isfinite(stats.d_loss) && std::isfinite(stats.g_loss));
  EXPECT_GT(stats.d_real, 0.0);
  EXPECT_LT(stats.d_real, 1.0);
}

TEST(Dcgan, TrainerRefusesWhatItCannotTrain) {
  const ModelSpec spec = make_dcgan_spec(6, 6, 4, 0.2f);
  const Dataset small_images = testing::synthetic_dataset(10, 7, 7, 1);
  EXPECT_THROW(CpuTrainer(spec, small_images, CpuTrainerOptions{}), Error);
  const Dataset data = testing::synthetic_dataset(9, 28, 28, 1);
  CpuTrainer trainer(spec, data, CpuTrainerOptions{});
  const Schedule schedule{data.count, 8, false, 1, 0};
  try {
    trainer.train_step(schedule.position(2));  // the last batch holds 1 image
    FAIL() << "a batch of one image was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--drop-last"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gan
