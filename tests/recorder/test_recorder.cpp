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

TEST(Recorder, EveryModelUnderEveryFlagPassesEveryCheck) {
  int recorded = 0;
  for (const Subject& subject : subjects()) {
    for (const auto& [flags, options] : flag_sets(subject.spec)) {
      SCOPED_TRACE(subject.name + ", " + flags);
      const Recording recording = record_steps(subject, options);
      if (!recording.error.empty()) {
        ADD_FAILURE() << "the trainer threw: " << recording.error << "\n" << describe(check_calls(record()));
        continue;
      }
      ++recorded;
      const std::vector<Finding> findings = findings_of(subject, options, recording);
      EXPECT_TRUE(findings.empty()) << describe(findings);
    }
  }
  EXPECT_EQ(recorded, 2 * (16 + 1) + 5 * (24 + 1));  // every combination of flags of every model, and --ema
}

}  // namespace
}  // namespace gan::recorder
