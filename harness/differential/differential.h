// The differential run: every scenario on the real kernel (in the guest) and on
// the model, compared step by step.
//
// Verdict per step: agree, errno_mismatch, output_mismatch, indeterminate (the
// guest never answered it: crash, timeout, lost guest — counted neither as pass
// nor fail), agent_error (the agent could not execute it). DMA probes are
// compared on result/buffer/offset: the agent measures where the data went, the
// model answers from translate(). A mismatch keeps both answers, the scenario
// and the kernel log lines around it, and the campaign goes on.
//
// All scenarios share one guest. Its edus follow the scenarios' devices
// (harness/vm/edu_topology.h): as many solo edus as the most any scenario
// uses without a group label, and the grouped pair (two edus behind a PCI
// bridge, one IOMMU group) only when a scenario uses a label. A scenario asking
// for more than that pair (a second label, a third member) is a ScenarioError
// before anything boots; a guest whose pair did not end up in one group is
// reported as guest status topology_mismatch.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "conformance/scenario.h"
#include "kernel_cache.h"

namespace ioconform::harness {

struct CampaignOptions {
  std::filesystem::path agent;     // ioconform-agent
  std::filesystem::path work_dir;  // QEMU logs and the initramfs
  unsigned timeout_seconds = 900;
};

// Runs `scenarios` on `kernel` and on the model; returns the campaign report
// (reports/campaign_report.h shape, mode "kernel").
nlohmann::json run_differential(const std::vector<conformance::Scenario>& scenarios, const KernelBuild& kernel,
                                const CampaignOptions& options);

// Compares one step: the model's answer and the agent's result line.
nlohmann::json compare_step(const nlohmann::json& model_answer, const nlohmann::json& kernel_line);

}  // namespace ioconform::harness
