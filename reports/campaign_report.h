// The campaign report (reports/latest.json), schema-versioned.
//
// One report shape for model-only and kernel campaigns: which kernel, what ran,
// per scenario the steps with both answers, the verdicts, rule coverage, and
// every mismatch with what is needed to reproduce it. Counts are measured from
// the run, never filled in.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace ioconform::reports {

constexpr int kReportSchemaVersion = 1;

// Rule coverage from the rule ids the model decided by, over a run's step answers.
nlohmann::json rule_coverage(const nlohmann::json& scenarios_json);

// Writes `report` to `path` atomically (write to a temp file, then rename), so a
// crash never leaves a half-written report over the previous good one.
void write_report(const std::string& path, const nlohmann::json& report);

}  // namespace ioconform::reports
