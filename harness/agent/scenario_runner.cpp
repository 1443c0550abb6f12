// run_scenario: gate, setup, steps, result lines.
#include "scenario_runner.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <chrono>

#include "kernel_gate.h"
#include "ops.h"
#include "scenario_context.h"
#include "step_error.h"

namespace ioconform::agent {
namespace {

nlohmann::json errno_name(int err) {
  if (err == 0) return 0;
  const char* n = ::strerrorname_np(err);
  return n ? nlohmann::json(n) : nlohmann::json("E" + std::to_string(err));
}

// Why the scenario cannot run here, or "" if it can.
std::string skip_reason(const nlohmann::json& sc, const AgentEnvironment& env) {
  if (sc.contains("kernel") && !kernel_in_gate(sc.at("kernel").get<std::string>(), env.kernel_release))
    return "kernel " + env.kernel_release + " is outside the gate " + sc.at("kernel").get<std::string>();
  if (sc.contains("requires")) {
    for (const auto& r : sc.at("requires")) {
      const std::string cap = r.get<std::string>();
      if (cap == "edu" && env.edu_bdfs.empty()) return "requires edu: the guest has no edu device";
      if (cap == "iommufd_test") return "requires iommufd_test: the agent does not implement IOMMU_TEST_CMD";
      if (cap != "edu") return "requires unknown capability '" + cap + "'";
    }
  }
  size_t want = sc.contains("setup") && sc.at("setup").contains("devices") ? sc.at("setup").at("devices").size() : 0;
  if (want > env.edu_bdfs.size())
    return "needs " + std::to_string(want) + " edu devices, the guest has " + std::to_string(env.edu_bdfs.size());
  return "";
}

void setup(ScenarioContext& ctx, const nlohmann::json& sc, const AgentEnvironment& env) {
  ctx.iommufd = ::open("/dev/iommu", O_RDWR | O_CLOEXEC);
  if (ctx.iommufd < 0) throw StepError(std::string("opening /dev/iommu: ") + ::strerror(errno));
  const nlohmann::json empty = nlohmann::json::array();
  const nlohmann::json& st = sc.contains("setup") ? sc.at("setup") : nlohmann::json::object();
  ctx.buffers.allocate(st.contains("buffers") ? st.at("buffers") : empty);
  const nlohmann::json& devs = st.contains("devices") ? st.at("devices") : empty;
  for (size_t i = 0; i < devs.size(); ++i) {
    const std::string kind = devs[i].value("kind", std::string("edu"));
    if (kind != "edu") throw StepError("device kind '" + kind + "' is not supported (only edu)");
    DeviceSlot slot;
    slot.name = devs[i].at("name").get<std::string>();
    slot.vfio = std::make_unique<VfioDevice>(env.edu_bdfs[i]);
    ctx.devices.push_back(std::move(slot));
  }
}

void bind_outputs(ScenarioContext& ctx, const nlohmann::json& step, const nlohmann::json& out) {
  if (!step.contains("out")) return;
  for (auto it = step.at("out").begin(); it != step.at("out").end(); ++it) {
    const std::string name = it.value().get<std::string>();
    if (name.empty() || name[0] != '$') throw StepError("out: binding names start with '$'");
    if (!out.contains(it.key())) throw StepError("out: this op has no output '" + it.key() + "'");
    ctx.bindings[name.substr(1)] = out.at(it.key());
  }
}

}  // namespace

void run_scenario(const nlohmann::json& sc, const AgentEnvironment& env, ResultSink& sink) {
  const std::string name = sc.value("name", std::string("<unnamed>"));
  long index = -1;
  try {
    std::string reason = skip_reason(sc, env);
    if (!reason.empty()) {
      sink.emit({{"type", "scenario_skipped"}, {"scenario", name}, {"reason", reason}});
      sink.emit({{"type", "scenario_end"}, {"scenario", name}});
      return;
    }
    ScenarioContext ctx;
    ctx.name = name;
    ctx.kmsg = env.kmsg;
    setup(ctx, sc, env);
    const nlohmann::json& steps = sc.at("steps");
    for (const auto& step : steps) {
      ++index;
      const std::string op = step.at("op").get<std::string>();
      OpHandler handler = find_op(op);
      if (!handler) throw StepError("unknown op '" + op + "'");
      for (auto it = step.begin(); it != step.end(); ++it)
        if (it.key() != "op" && it.key() != "args" && it.key() != "out" && it.key() != "expect")
          throw StepError("unknown step key '" + it.key() + "'");
      const nlohmann::json args = step.contains("args") ? step.at("args") : nlohmann::json::object();
      StepArgs sa(args, ctx);
      auto t0 = std::chrono::steady_clock::now();
      StepOutcome r = handler(ctx, sa);
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
      nlohmann::json line = {{"type", "step"}, {"scenario", name}, {"step", index}, {"op", op},
                             {"ret", r.ret}, {"errno", errno_name(r.err)}};
      if (!r.out.empty()) line["out"] = r.out;
      if (!r.observations.is_null()) line["observations"] = r.observations;
      line["us"] = us;
      sink.emit(line);
      if (r.err == 0) bind_outputs(ctx, step, r.out);
    }
  } catch (const StepError& e) {
    sink.emit({{"type", "error"}, {"scenario", name}, {"step", index < 0 ? nlohmann::json(nullptr) : nlohmann::json(index)},
               {"message", e.what()}});
  } catch (const nlohmann::json::exception& e) {
    sink.emit({{"type", "error"}, {"scenario", name}, {"step", index < 0 ? nlohmann::json(nullptr) : nlohmann::json(index)},
               {"message", std::string("malformed scenario: ") + e.what()}});
  }
  sink.emit({{"type", "scenario_end"}, {"scenario", name}});
}

}  // namespace ioconform::agent
