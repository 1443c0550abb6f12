// Replaying scenarios on the model; see replay.h.
#include "conformance/replay.h"

#include "conformance/resolve.h"
#include "spec/catalogue.h"

namespace ioconform::conformance {

std::string errno_text(int err) { return err ? spec::errno_name(err) : "0"; }

nlohmann::json to_json(const StepAnswer& a) {
  nlohmann::json j = {{"step", a.step}, {"op", a.op}};
  j["errno"] = a.err ? nlohmann::json(spec::errno_name(a.err)) : nlohmann::json(0);
  if (!a.rule.empty()) j["rule"] = a.rule;
  j["out"] = a.out;
  if (a.partial_effect) j["partial_effect"] = true;
  return j;
}

namespace {
// Whether `got` matches `want`, where `want` may spell integers as scenario
// strings ("0x7fffffffff", "U64_MAX") at any depth of lists and objects.
bool matches(const nlohmann::json& got, const nlohmann::json& want) {
  if (got.is_number() && (want.is_string() || want.is_number())) {
    try {
      return got.get<std::uint64_t>() == parse_u64(want, "expect");
    } catch (const ScenarioError&) {
      return false;
    }
  }
  if (got.is_array() && want.is_array()) {
    if (got.size() != want.size()) return false;
    for (size_t i = 0; i < got.size(); i++)
      if (!matches(got[i], want[i])) return false;
    return true;
  }
  if (got.is_object() && want.is_object()) {
    if (got.size() != want.size()) return false;
    for (auto& [k, v] : want.items())
      if (!got.contains(k) || !matches(got[k], v)) return false;
    return true;
  }
  return got == want;
}
}  // namespace

std::vector<std::string> check_expectation(const Step& step, const StepAnswer& a) {
  std::vector<std::string> failures;
  if (!step.expect) return failures;
  const auto& e = *step.expect;
  const std::string where = "step " + std::to_string(a.step) + " (" + step.op + ")";
  if (e.contains("errno")) {
    int want = e["errno"].is_string() ? spec::errno_from_name(e["errno"].get<std::string>()) : 0;
    if (want != a.err) failures.push_back(where + ": errno " + errno_text(a.err) + ", expected " + errno_text(want));
  }
  if (e.contains("rule") && e["rule"].get<std::string>() != a.rule)
    failures.push_back(where + ": decided by rule '" + a.rule + "', expected '" + e["rule"].get<std::string>() + "'");
  if (e.contains("out")) {
    for (auto& [field, want] : e["out"].items()) {
      if (!a.out.contains(field)) {
        failures.push_back(where + ": no output '" + field + "', expected " + want.dump());
        continue;
      }
      const nlohmann::json& got = a.out[field];
      if (!matches(got, want)) failures.push_back(where + ": out." + field + " = " + got.dump() + ", expected " + want.dump());
    }
  }
  return failures;
}

ScenarioReplay replay_on_model(const Scenario& s, const model::ModelConfig& config) {
  ScenarioReplay r;
  r.scenario = s.name;
  if (!spec::version_satisfies(config.version, s.kernel)) {
    r.skipped = true;
    r.skip_reason = "kernel " + config.version.str() + " outside the scenario's gate '" + s.kernel + "'";
    return r;
  }
  model::Model m(config);
  BufferAddresses addresses;
  try {
    for (const auto& b : s.buffers) m.add_buffer(b.name, b.pages, b.kind == "memfd", b.align);
    for (const auto& d : s.devices) m.add_device(d.name, d.group);
  } catch (const std::exception& e) {
    r.error = s.source + ": setup: " + e.what();
    return r;
  }
  addresses.va = [&](const std::string& name) {
    const auto* b = m.state().memory.by_name(name);
    if (!b) throw ScenarioError("no buffer '" + name + "' in the setup");
    return b->va;
  };
  addresses.fd = [&](const std::string& name) {
    const auto* b = m.state().memory.by_name(name);
    if (!b) throw ScenarioError("no buffer '" + name + "' in the setup");
    return b->fd;
  };
  Bindings bindings;
  for (size_t i = 0; i < s.steps.size(); i++) {
    const Step& step = s.steps[i];
    try {
      model::Op op{step.op, resolve_args(step, bindings, addresses, s.source + ": step " + std::to_string(i))};
      model::StepResult res = m.apply(op);
      StepAnswer a{i, step.op, res.err, res.rule, res.out, res.partial_effect};
      if (!res.err) bind_outputs(step, res.out, bindings);
      for (auto& f : check_expectation(step, a)) r.expectation_failures.push_back(f);
      r.steps.push_back(std::move(a));
    } catch (const std::exception& e) {
      r.error = e.what();
      break;
    }
  }
  return r;
}

nlohmann::json to_json(const ScenarioReplay& r) {
  nlohmann::json j = {{"scenario", r.scenario}};
  if (r.skipped) {
    j["skipped"] = r.skip_reason;
    return j;
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& a : r.steps) steps.push_back(to_json(a));
  j["steps"] = steps;
  if (!r.error.empty()) j["error"] = r.error;
  j["expectations_met"] = r.expectation_failures.empty() && r.error.empty();
  if (!r.expectation_failures.empty()) j["expectation_failures"] = r.expectation_failures;
  return j;
}

}  // namespace ioconform::conformance
