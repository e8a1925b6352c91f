// The GPU trainer's host code on the recording back end (tests/recorder/recorder.h): every GPU
// model under every GPU flag goes through its real plan, allocate, bind and enqueue code with
// the device calls recorded instead of run, and the record of its steps must pass every check
// of record_checks.h. (planted/ shows the checks catching bugs planted in that code.)
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cuda/gpu_model.h"
#include "model/augment.h"
#include "model/spectral_norm.h"
#include "recorder/record_checks.h"
#include "recorder/recorder.h"
#include "recorder/recording.h"

namespace gan::recorder {
namespace {

// Records the subject's steps under `options` and expects no finding; false (a failure) if the
// trainer threw. The record stays in record() for the caller.
bool record_and_check(const Subject& subject, const GpuTrainerOptions& options) {
  const Recording recording = record_steps(subject, options);
  if (!recording.error.empty()) {
    ADD_FAILURE() << "the trainer threw: " << recording.error << "\n" << describe(check_calls(record()));
    return false;
  }
  const std::vector<Finding> findings = findings_of(subject, options, recording);
  EXPECT_TRUE(findings.empty()) << describe(findings);
  return true;
}

TEST(Recorder, EveryModelUnderEveryFlagPassesEveryCheck) {
  int recorded = 0;
  for (const Subject& subject : subjects()) {
    for (const auto& [flags, options] : flag_sets(subject.spec)) {
      SCOPED_TRACE(subject.name + ", " + flags);
      recorded += record_and_check(subject, options);
    }
  }
  EXPECT_EQ(recorded, 2 * (16 + 1) + 5 * (24 + 1));  // every combination of flags of every model, and --ema
}

// Records every model with `change` made to its spec, with the graph, eagerly, and with the MLP's
// side stream, expecting no finding; `expect` checks each record further. Returns how many were
// recorded.
template <class Change, class Expect>
int record_each_model(const std::string& label, Change change, Expect expect) {
  int recorded = 0;
  for (Subject subject : subjects()) {
    change(subject.spec);
    for (const auto& [flags, options] : flag_sets(subject.spec)) {
      if (flags != "graph" && flags != "eager" && flags != "graph --gpu-branches") continue;
      SCOPED_TRACE(subject.name + ", " + label + ", " + flags);
      if (!record_and_check(subject, options)) continue;
      ++recorded;
      expect(subject.spec);
    }
  }
  return recorded;
}

// How many launches of the kernel `name` the record holds, replays of a graph left out.
int launches(const std::string& name) {
  int count = 0;
  for (const Call& call : record().calls) count += call.name == name && !call.replayed;
  return count;
}

// The hinge loss (--loss hinge) swaps the loss kernel of both steps.
TEST(Recorder, TheHingeLossOnEveryModelPassesEveryCheck) {
  const int recorded = record_each_model(
      "--loss hinge", [](ModelSpec& spec) { spec.loss = AdversarialLoss::kHinge; },
      [](const ModelSpec&) {
        EXPECT_GE(launches("hinge_loss_kernel"), 2);  // D's and G's loss in the first (eager) step at least
        EXPECT_EQ(launches("bce_with_logits_kernel"), 0);
      });
  EXPECT_EQ(recorded, 2 * 3 + 5 * 2);
}

// Spectral norm (--spectral-norm) adds, per weight of D, sigma and W / sigma before each step's
// passes through D and a backward before D's Adam; D's passes read the normalised copy.
TEST(Recorder, SpectralNormOnEveryModelPassesEveryCheck) {
  const int recorded = record_each_model(
      "--spectral-norm", [](ModelSpec& spec) { add_spectral_norm(&spec.discriminator); },
      [](const ModelSpec& spec) {
        const int weights = static_cast<int>(spec.discriminator.spectral_norm.size());
        EXPECT_GE(weights, 2);
        EXPECT_GE(launches("spectral_norm_wtu_kernel"), weights);      // the D step's power iteration
        EXPECT_GE(launches("spectral_norm_u_sigma_kernel"), 2 * weights);  // sigma in both steps
        EXPECT_GE(launches("spectral_norm_scale_kernel"), 2 * weights);
        EXPECT_GE(launches("spectral_norm_backward_kernel"), weights);
      });
  EXPECT_EQ(recorded, 2 * 3 + 5 * 2);
}

// DiffAugment (--augment) adds the three sites' draws to the data stage, transforms of D's images
// in both steps and the G step's backward through them.
TEST(Recorder, DiffAugmentOnEveryModelPassesEveryCheck) {
  const int recorded = record_each_model(
      "--augment color,translation,cutout",
      [](ModelSpec& spec) { ASSERT_EQ(parse_augment_policy("color,translation,cutout", &spec.augment), ""); },
      [](const ModelSpec&) {
        EXPECT_GE(launches("augment_draws_kernel"), 3);  // the first (eager) step's three sites at least
        EXPECT_GE(launches("diff_augment_kernel"), 3);   // real and fake in the D step, fake in the G step
        EXPECT_GE(launches("diff_augment_backward_kernel"), 1);
      });
  EXPECT_EQ(recorded, 2 * 3 + 5 * 2);
}

// A model whose spec asks for DiffAugment refuses to plan when the trainer set none up: its
// passes would read images nothing wrote (the MLP's real batch and fake no longer go into D's
// input) or train without the transforms.
TEST(Recorder, AModelRefusesDiffAugmentTheTrainerDidNotSetUp) {
  for (Subject subject : subjects()) {
    SCOPED_TRACE(subject.name);
    ASSERT_EQ(parse_augment_policy("cutout", &subject.spec.augment), "");
    CublasHandle blas(nullptr, false);
    const std::unique_ptr<GpuGanModel> model = make_gpu_model(subject.spec, GpuModelOptions{}, nullptr, blas);
    DeviceArena arena;
    try {
      model->plan(arena, 8);
      ADD_FAILURE() << "planned without DiffAugment set up";
    } catch (const InternalError& e) {
      EXPECT_NE(std::string(e.what()).find("DiffAugment"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace gan::recorder
