// ScenarioRunner: one scenario, start to end, reported as JSON lines.
//
// Per scenario: check the `kernel` gate and `requires`; open a fresh
// /dev/iommu (object ids restart at 1); allocate the buffers; open the VFIO
// cdev of each scenario device's edu: the n-th device without a group label is
// the n-th solo edu (alone in its IOMMU group), the devices carrying the
// scenario's one group label are the edus sharing an IOMMU group, in order
// (vfio_device.h:place_edus); run the steps in order. Each
// step gives one line
//   {"type":"step","scenario":S,"step":i,"op":OP,"ret":R,"errno":0|"ENAME","out":{..},"us":T}
// (i counts from 0 in `steps`; `us` is the step's wall time in the guest;
// `observations` are kernel log lines a probe saw). `out` bindings are made
// only on success. A malformed step or one the agent cannot drive gives
// {"type":"error",...} and ends the scenario; every scenario ends with
// {"type":"scenario_end"}, a skipped one is preceded by {"type":"scenario_skipped"}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernel_log.h"
#include "result_sink.h"
#include "vfio_device.h"

namespace ioconform::agent {

struct AgentEnvironment {
  std::string kernel_release;
  std::vector<std::string> edu_bdfs;  // the guest's edu devices, in bus order
  EduPlacement edus;                  // the same, by IOMMU group
  bool iommufd_test = false;          // the kernel has IOMMU_TEST_CMD (test_cmd.h:kernel_has_iommufd_test)
  KernelLog* kmsg = nullptr;
};

void run_scenario(const nlohmann::json& scenario, const AgentEnvironment& env, ResultSink& sink);

}  // namespace ioconform::agent
