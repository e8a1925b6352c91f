// One planted bug (planted/*.txt, applied to a copy of one GPU host file by plant_bug) and the
// check that must catch it: the subject's steps under the named flags are recorded with the
// mutated file linked in place of the real one, and the named check must report findings.
// GAN_PLANTED_SUBJECT, GAN_PLANTED_FLAGS and GAN_PLANTED_CHECK come from CMakeLists.txt.
#include <gtest/gtest.h>

#include <algorithm>

#include "recorder/record_checks.h"
#include "recorder/recorder.h"
#include "recorder/recording.h"

namespace gan::recorder {
namespace {

TEST(Planted, TheBugIsCaughtByItsCheck) {
  const Subject s = subject(GAN_PLANTED_SUBJECT);
  const auto sets = flag_sets(s.spec);
  const auto found = std::find_if(sets.begin(), sets.end(), [](const auto& set) { return set.first == GAN_PLANTED_FLAGS; });
  ASSERT_NE(found, sets.end()) << "no flag set named '" << GAN_PLANTED_FLAGS << "'";
  const Recording recording = record_steps(s, found->second);
  const std::vector<Finding> findings = findings_of(s, found->second, recording);
  const auto caught = std::count_if(findings.begin(), findings.end(),
                                    [](const Finding& f) { return f.check == GAN_PLANTED_CHECK; });
  EXPECT_GT(caught, 0) << "the '" << GAN_PLANTED_CHECK << "' check missed the planted bug"
                       << (recording.error.empty() ? "" : "; the trainer threw: " + recording.error) << "\n"
                       << describe(findings);
  std::cout << caught << " finding(s) of the '" << GAN_PLANTED_CHECK << "' check, " << findings.size()
            << " in all; the first: " << (findings.empty() ? "none" : findings.front().message) << "\n";
}

}  // namespace
}  // namespace gan::recorder
