// The GPU trainer's host code on the recording back end (tests/recorder/recorder.h): every GPU
// model under every GPU flag goes through its real plan, allocate, bind and enqueue code with
// the device calls recorded instead of run, and the record of its steps must pass every check
// of record_checks.h. (planted/ shows the checks catching bugs planted in that code.)
#include <gtest/gtest.h>

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

// The hinge loss (--loss hinge) swaps the loss kernel of both steps: every model, with the graph,
// eagerly, and with the MLP's side stream.
TEST(Recorder, TheHingeLossOnEveryModelPassesEveryCheck) {
  int recorded = 0;
  for (Subject subject : subjects()) {
    subject.spec.loss = AdversarialLoss::kHinge;
    for (const auto& [flags, options] : flag_sets(subject.spec)) {
      if (flags != "graph" && flags != "eager" && flags != "graph --gpu-branches") continue;
      SCOPED_TRACE(subject.name + ", --loss hinge, " + flags);
      if (!record_and_check(subject, options)) continue;
      ++recorded;
      int hinge_launches = 0, bce_launches = 0;
      for (const Call& call : record().calls) {
        hinge_launches += call.name == "hinge_loss_kernel" && !call.replayed;
        bce_launches += call.name == "bce_with_logits_kernel";
      }
      EXPECT_GE(hinge_launches, 2);  // D's and G's loss in the first (eager) step at least
      EXPECT_EQ(bce_launches, 0);
    }
  }
  EXPECT_EQ(recorded, 2 * 3 + 5 * 2);
}

}  // namespace
}  // namespace gan::recorder
