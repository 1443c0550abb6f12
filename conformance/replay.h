// Replaying a scenario on the model: per step, the model's answer and whether it
// meets the step's `expect`. The same StepAnswer shape comes back from the guest
// agent, so the differential check compares like with like.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "conformance/scenario.h"
#include "model/model.h"

namespace ioconform::conformance {

struct StepAnswer {
  size_t step = 0;
  std::string op;
  int err = 0;  // 0 or errno
  std::string rule;
  nlohmann::json out = nlohmann::json::object();
  bool partial_effect = false;
};
nlohmann::json to_json(const StepAnswer& a);
std::string errno_text(int err);  // "0" or the name

struct ScenarioReplay {
  std::string scenario;
  bool skipped = false;   // outside its kernel gate
  std::string skip_reason;
  std::string error;      // a scenario error stopped the replay (the message)
  std::vector<StepAnswer> steps;
  std::vector<std::string> expectation_failures;  // "step 3: errno ENOENT, expected 0"
};

// Checks one answer against the step's expect; returns the failures (empty: met).
std::vector<std::string> check_expectation(const Step& step, const StepAnswer& a);

ScenarioReplay replay_on_model(const Scenario& s, const model::ModelConfig& config = {});
nlohmann::json to_json(const ScenarioReplay& r);

}  // namespace ioconform::conformance
