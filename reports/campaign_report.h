// The campaign report (reports/latest.json), schema-versioned.
//
// One report shape for model-only and kernel campaigns: which kernel, what ran,
// per scenario the steps with both answers, the verdicts, rule coverage, and
// every mismatch with what is needed to reproduce it. Counts are measured from
// the run, never filled in.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "spec/version.h"

namespace ioconform::reports {

constexpr int kReportSchemaVersion = 1;

// Rule coverage from the rule ids the model decided by, over a run's step
// answers, for kernel `version`: a rule whose version gate excludes it is not
// in that kernel, so it is neither reachable nor "not reached" (its why names
// the gate). `reachable_hit` over `reachable` is the figure a campaign is
// judged by.
nlohmann::json rule_coverage(const nlohmann::json& scenarios_json, const spec::KernelVersion& version);

// Op × outcome coverage: per ioctl (or probe) the scenarios ran, how often
// each outcome came back (0 or an errno name): the kernel's answer in a kernel
// run, the model's in a model-only run. Steps with no answer are not counted.
nlohmann::json op_outcomes(const nlohmann::json& scenarios_json);

// Writes `report` to `path` atomically (write to a temp file, then rename), so a
// crash never leaves a half-written report over the previous good one.
void write_report(const std::string& path, const nlohmann::json& report);

}  // namespace ioconform::reports
