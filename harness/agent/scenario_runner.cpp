// run_scenario: gate, setup, steps, result lines.
#include "scenario_runner.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <chrono>

#include "edu_topology.h"
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

// What the scenario's devices ask of the guest; a request the platform can
// never give (two labels, three devices in a group) is a malformed scenario.
vm::DeviceNeeds device_needs_of(const nlohmann::json& sc) {
  try {
    return vm::device_needs(sc);
  } catch (const std::invalid_argument& e) {
    throw StepError(std::string("setup.devices: ") + e.what());
  }
}

std::string placement_text(const AgentEnvironment& env) {
  std::string text;
  for (const auto& [bdf, group] : env.edus.iommu_group) text += (text.empty() ? "" : ", ") + bdf + " in group " + group;
  return text.empty() ? "no edu at all" : text;
}

// Why the scenario cannot run here, or "" if it can.
std::string skip_reason(const nlohmann::json& sc, const AgentEnvironment& env) {
  if (sc.contains("kernel") && !kernel_in_gate(sc.at("kernel").get<std::string>(), env.kernel_release))
    return "kernel " + env.kernel_release + " is outside the gate " + sc.at("kernel").get<std::string>();
  if (sc.contains("requires")) {
    for (const auto& r : sc.at("requires")) {
      const std::string cap = r.get<std::string>();
      if (cap == "edu" && env.edu_bdfs.empty()) return "requires edu: the guest has no edu device";
      // A kernel built without CONFIG_IOMMUFD_TEST has no IOMMU_TEST_CMD at all
      // (ENOTTY): the scenario's platform is missing, as without an edu. One
      // that has it but not an op (6.12 and the PASID ops: EOPNOTSUPP) runs,
      // and that errno is the measured answer.
      if (cap == "iommufd_test" && !env.iommufd_test)
        return "requires iommufd_test: this kernel has no IOMMU_TEST_CMD (CONFIG_IOMMUFD_TEST is off)";
      if (cap != "edu" && cap != "iommufd_test") return "requires unknown capability '" + cap + "'";
    }
  }
  const vm::DeviceNeeds needs = device_needs_of(sc);
  if (needs.solo > env.edus.solo.size())
    return "needs " + std::to_string(needs.solo) + " edu devices each alone in its IOMMU group, the guest has " +
           std::to_string(env.edus.solo.size());
  return "";
}

// Opens the VFIO cdev of each scenario device's edu: unlabelled devices take
// the solo edus in order, the labelled ones the edus of the shared group, and
// devices with one label share one DeviceGroup record.
void open_devices(ScenarioContext& ctx, const nlohmann::json& devs, const vm::DeviceNeeds& needs,
                  const AgentEnvironment& env) {
  // Unlike a missing solo edu (a skip, as a guest may simply be smaller), a
  // label the guest cannot honour means the runner was not asked for the
  // grouped pair, or the pair did not end up in one group: the scenario would
  // run on a platform other than the one it describes.
  if (needs.grouped > env.edus.grouped.size())
    throw StepError("group '" + needs.group_label + "' needs " + std::to_string(needs.grouped) +
                    " edu devices sharing one IOMMU group, and no two of the guest's edus share one (" +
                    placement_text(env) + "); the QEMU runner adds such a pair with GuestConfig::grouped_edu_pair");
  size_t next_solo = 0, next_grouped = 0;
  std::shared_ptr<DeviceGroup> labelled_group;
  for (const auto& d : devs) {
    const std::string kind = d.value("kind", std::string("edu"));
    if (kind != "edu") throw StepError("device kind '" + kind + "' is not supported (only edu)");
    DeviceSlot slot;
    slot.name = d.at("name").get<std::string>();
    if (d.contains("group")) {
      slot.vfio = std::make_unique<VfioDevice>(env.edus.grouped[next_grouped++]);
      if (!labelled_group) labelled_group = std::make_shared<DeviceGroup>();
      slot.group = labelled_group;
    } else {
      slot.vfio = std::make_unique<VfioDevice>(env.edus.solo[next_solo++]);
      slot.group = std::make_shared<DeviceGroup>();
    }
    ctx.devices.push_back(std::move(slot));
  }
}

void setup(ScenarioContext& ctx, const nlohmann::json& sc, const AgentEnvironment& env) {
  ctx.iommufd = ::open("/dev/iommu", O_RDWR | O_CLOEXEC);
  if (ctx.iommufd < 0) throw StepError(std::string("opening /dev/iommu: ") + ::strerror(errno));
  const nlohmann::json empty = nlohmann::json::array();
  const nlohmann::json& st = sc.contains("setup") ? sc.at("setup") : nlohmann::json::object();
  ctx.buffers.allocate(st.contains("buffers") ? st.at("buffers") : empty);
  open_devices(ctx, st.contains("devices") ? st.at("devices") : empty, device_needs_of(sc), env);
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
      // A kernel WARN during the step is a kernel bug report of its own,
      // whatever the errno (a probe reads the log itself while it runs).
      if (ctx.kmsg) {
        auto warnings = ctx.kmsg->take_new("WARNING:");
        if (!warnings.empty()) line["kernel_warnings"] = warnings;
      }
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
