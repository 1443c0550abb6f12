// Every scenario of conformance/scenarios replays on the model and meets its
// expectations, and every reachable spec rule is the expected decision of at
// least one scenario step: each rule has a test that fails if the model decides
// otherwise.
#include <gtest/gtest.h>

#include <set>

#include "conformance/replay.h"
#include "spec/catalogue.h"

using namespace ioconform;

namespace {
const std::string kScenarios = std::string(IOCONFORM_SOURCE_DIR) + "/conformance/scenarios";
}

TEST(Scenarios, EveryScenarioMeetsItsExpectationsOnTheModel) {
  auto scenarios = conformance::load_scenarios(kScenarios);
  ASSERT_FALSE(scenarios.empty());
  for (const char* version : {"7.2", "6.12"}) {
    model::ModelConfig config;
    config.version = *spec::parse_version(version);
    for (const auto& s : scenarios) {
      auto r = conformance::replay_on_model(s, config);
      EXPECT_TRUE(r.error.empty()) << version << " " << s.name << ": " << r.error;
      for (const auto& f : r.expectation_failures) ADD_FAILURE() << version << " " << s.name << ": " << f;
    }
  }
}

TEST(Scenarios, EveryReachableRuleIsTheExpectedOutcomeOfSomeStep) {
  std::set<std::string> expected;
  for (const auto& s : conformance::load_scenarios(kScenarios))
    for (const auto& st : s.steps)
      if (st.expect && st.expect->contains("rule")) expected.insert((*st.expect)["rule"].get<std::string>());
  for (const auto& r : spec::Catalogue::get().rules()) {
    if (r.reachable && spec::version_satisfies({7, 2, 0}, r.versions)) {
      EXPECT_TRUE(expected.count(r.id)) << "rule " << r.id << " has no scenario step expecting it";
    }
  }
}

TEST(Scenarios, EveryModelledOpHasASuccessfulStep) {
  std::set<std::string> succeeded;
  for (const auto& s : conformance::load_scenarios(kScenarios)) {
    auto r = conformance::replay_on_model(s);
    for (const auto& a : r.steps)
      if (!a.err) succeeded.insert(a.op);
  }
  for (const auto& io : spec::Catalogue::get().ioctls()) EXPECT_TRUE(succeeded.count(io.name)) << io.name;
}
