// The differential run; see differential.h.
#include "differential.h"

#include <iostream>
#include <map>

#include "conformance/replay.h"
#include "edu_topology.h"
#include "qemu_runner.h"
#include "reports/campaign_report.h"
#include "spec/catalogue.h"

namespace ioconform::harness {

namespace {

bool is_probe(const std::string& op) { return op == "DMA_READ" || op == "DMA_WRITE"; }

// The outputs the model predicts, compared on the kernel's line. For probes the
// model's offset is compared only when the kernel reached a buffer.
std::vector<std::string> output_differences(const nlohmann::json& model_out, const nlohmann::json& kernel_out) {
  std::vector<std::string> diffs;
  for (auto& [field, want] : model_out.items()) {
    if (!kernel_out.contains(field)) {
      diffs.push_back(field + ": kernel gave none, model " + want.dump());
      continue;
    }
    if (kernel_out[field] != want) diffs.push_back(field + ": kernel " + kernel_out[field].dump() + ", model " + want.dump());
  }
  return diffs;
}

}  // namespace

nlohmann::json compare_step(const nlohmann::json& model_answer, const nlohmann::json& kernel_line) {
  nlohmann::json v = {{"step", model_answer["step"]}, {"op", model_answer["op"]}, {"model", model_answer}};
  if (kernel_line.is_null()) {
    v["verdict"] = "indeterminate";
    return v;
  }
  v["kernel"] = kernel_line;
  if (kernel_line.value("type", "") == "error") {
    v["verdict"] = "agent_error";
    return v;
  }
  const auto& kerr = kernel_line["errno"];
  const auto& merr = model_answer["errno"];
  if (kerr != merr) {
    v["verdict"] = "errno_mismatch";
    return v;
  }
  // Outputs count on success, and for EMSGSIZE (IOVA_RANGES writes its header back).
  if (merr == 0 || merr == "EMSGSIZE") {
    auto diffs = output_differences(model_answer["out"], kernel_line.value("out", nlohmann::json::object()));
    if (!diffs.empty()) {
      v["verdict"] = "output_mismatch";
      v["differences"] = diffs;
      return v;
    }
  }
  v["verdict"] = "agree";
  return v;
}

nlohmann::json run_differential(const std::vector<conformance::Scenario>& scenarios, const KernelBuild& kernel,
                                const CampaignOptions& options) {
  auto version = spec::parse_version(kernel.release.empty() ? "7.2" : kernel.release);
  model::ModelConfig config;
  if (version) config.version = *version;

  // A scenario asking for device groups the platform cannot give is refused
  // before anything boots, whatever its kernel gate: it cannot run anywhere.
  std::vector<vm::DeviceNeeds> needs;  // per scenario, in order
  for (const auto& s : scenarios) {
    try {
      needs.push_back(vm::device_needs(conformance::to_json(s)));
    } catch (const std::invalid_argument& e) {
      throw conformance::ScenarioError(s.source + ": " + e.what());
    }
  }

  // One guest boot for the whole campaign: boots cost seconds, steps milliseconds.
  // The guest gets as many solo edus as the hungriest scenario, and the grouped
  // pair only when a scenario uses a group label, so a campaign without groups
  // boots the machine it always did.
  nlohmann::json doc = {{"scenarios", nlohmann::json::array()}};
  vm::EduTopology topology;
  std::vector<const conformance::Scenario*> runnable;
  nlohmann::json report_scenarios = nlohmann::json::array();
  for (std::size_t i = 0; i < scenarios.size(); i++) {
    const auto& s = scenarios[i];
    if (!spec::version_satisfies(config.version, s.kernel)) {
      report_scenarios.push_back({{"scenario", s.name}, {"skipped", "outside kernel gate " + s.kernel}});
      continue;
    }
    runnable.push_back(&s);
    doc["scenarios"].push_back(conformance::to_json(s));
    vm::add_needs(topology, needs[i]);
  }
  vm::GuestConfig g;
  g.kernel = kernel.bzimage;
  g.agent = options.agent;
  g.scenarios = doc;
  g.edu_devices = topology.solo_edus;
  g.grouped_edu_pair = topology.grouped_pair;
  g.timeout = std::chrono::seconds(options.timeout_seconds);
  g.work_dir = options.work_dir;
  std::cerr << "ioconform: booting " << kernel.bzimage.string() << " with " << runnable.size() << " scenarios, "
            << topology.solo_edus << " edu devices"
            << (topology.grouped_pair ? " and 2 sharing an IOMMU group behind a PCI bridge" : "") << "\n";
  vm::GuestRun run = vm::run_in_guest(g);
  std::cerr << "ioconform: guest " << vm::to_string(run.status) << " after " << run.seconds << " s, "
            << run.results.size() << " result lines"
            << (run.status == vm::GuestStatus::completed ? "" : ": " + run.detail) << "\n";

  // Kernel result lines by scenario and step.
  std::map<std::string, std::map<size_t, nlohmann::json>> kernel_steps;
  std::map<std::string, std::string> kernel_skips;
  std::map<std::string, std::string> scenario_errors;  // agent errors before any step (setup, device placement)
  // An object even when the guest never got as far as the agent (value() throws on null).
  nlohmann::json agent_start = nlohmann::json::object();
  for (const auto& line : run.results) {
    const std::string type = line.value("type", "");
    if (type == "agent_start") agent_start = line;
    if ((type == "step" || type == "error") && line.contains("scenario") && line["scenario"].is_string() &&
        line.contains("step") && line["step"].is_number())
      kernel_steps[line["scenario"]][line["step"].get<size_t>()] = line;
    if (type == "scenario_skipped") kernel_skips[line.value("scenario", "")] = line.value("reason", "");
    if (type == "error" && line.contains("scenario") && line["scenario"].is_string() && line.contains("step") &&
        line["step"].is_null())
      scenario_errors[line["scenario"]] = line.value("message", "");
  }

  // Steps during which the kernel WARNed: a kernel bug whatever the verdict.
  nlohmann::json kernel_warnings = nlohmann::json::array();
  for (const auto& [scenario, by_step] : kernel_steps)
    for (const auto& [step, line] : by_step)
      if (line.contains("kernel_warnings"))
        kernel_warnings.push_back({{"scenario", scenario}, {"step", step}, {"op", line.value("op", "")},
                                   {"lines", line["kernel_warnings"]}});

  size_t steps = 0, agree = 0, mismatch = 0, indeterminate = 0, agent_errors = 0, probes = 0, probes_agree = 0;
  nlohmann::json mismatches = nlohmann::json::array();
  for (const auto* s : runnable) {
    auto replay = conformance::replay_on_model(*s, config);
    nlohmann::json sj = {{"scenario", s->name}, {"source", s->source}};
    if (kernel_skips.count(s->name)) {
      sj["skipped"] = "agent: " + kernel_skips[s->name];
      report_scenarios.push_back(sj);
      continue;
    }
    if (!replay.error.empty()) sj["model_error"] = replay.error;
    // Its steps stay indeterminate (the kernel never answered them); this says why.
    if (scenario_errors.count(s->name)) sj["agent_error"] = scenario_errors[s->name];
    nlohmann::json step_verdicts = nlohmann::json::array();
    for (const auto& answer : replay.steps) {
      const auto& ks = kernel_steps[s->name];
      auto it = ks.find(answer.step);
      nlohmann::json v = compare_step(conformance::to_json(answer), it == ks.end() ? nlohmann::json() : it->second);
      const std::string verdict = v["verdict"];
      steps++;
      if (verdict == "agree") agree++;
      if (verdict == "indeterminate") indeterminate++;
      if (verdict == "agent_error") agent_errors++;
      if (verdict == "errno_mismatch" || verdict == "output_mismatch") {
        mismatch++;
        mismatches.push_back({{"scenario", s->name}, {"source", s->source}, {"step", answer.step}, {"verdict", verdict},
                              {"model", v["model"]}, {"kernel", v["kernel"]}, {"differences", v.value("differences", nlohmann::json::array())}});
      }
      if (is_probe(answer.op) && verdict != "indeterminate" && verdict != "agent_error") {
        probes++;
        if (verdict == "agree") probes_agree++;
      }
      step_verdicts.push_back(v);
    }
    sj["steps"] = step_verdicts;
    report_scenarios.push_back(sj);
  }
  const bool crashed = run.status == vm::GuestStatus::kernel_crash;
  nlohmann::json report = {
      {"schema_version", reports::kReportSchemaVersion},
      {"mode", "kernel"},
      {"kernel",
       {{"version", kernel.release}, {"config_sha", kernel.config_sha}, {"bzimage", kernel.bzimage.string()},
        {"uname", agent_start.value("kernel", nlohmann::json())}}},
      {"guest",
       {{"status", vm::to_string(run.status)}, {"detail", run.detail}, {"seconds", run.seconds},
        {"result_lines", run.results.size()}, {"unparsable_lines", run.unparsable_lines},
        {"console_log", (options.work_dir / "console.log").string()},
        {"edu_iommu_groups", run.edu_iommu_groups}}},
      {"summary",
       {{"scenarios", runnable.size()}, {"steps", steps}, {"agree", agree}, {"mismatch", mismatch},
        {"indeterminate", indeterminate}, {"agent_errors", agent_errors}, {"dma_probes", probes},
        {"dma_agree", probes_agree}, {"crashes", crashed ? 1 : 0}, {"kernel_warnings", kernel_warnings.size()}}},
      {"rules", reports::rule_coverage(report_scenarios, config.version)},
      {"op_outcomes", reports::op_outcomes(report_scenarios)},
      {"mismatches", mismatches},
      {"kernel_warnings", kernel_warnings},
      {"scenarios", report_scenarios}};
  return report;
}

}  // namespace ioconform::harness
