// ScenarioContext: device lookup, object graph walk, teardown order.
#include "scenario_context.h"

#include <unistd.h>

#include "step_error.h"
#include "test_cmd.h"

namespace ioconform::agent {

std::optional<uint32_t> ObjectGraph::ioas_behind(uint32_t pt) const {
  for (int depth = 0; depth < 8; ++depth) {
    if (ioas_.count(pt)) return pt;
    auto it = parent_.find(pt);
    if (it == parent_.end()) return std::nullopt;
    pt = it->second;
  }
  return std::nullopt;
}

ScenarioContext::~ScenarioContext() {
  // PASIDs the mock devices still hold first (MockDevices): closing the fd
  // with one attached makes the kernel WARN. PASID_DETACH answers 0 for a
  // stdev that exists, and a destroyed stdev is no longer in the record.
  if (iommufd >= 0)
    for (const auto& [stdev, pasids] : mocks.all())
      for (uint32_t pasid : pasids) test_pasid_detach(iommufd, stdev, pasid);
  // Devices next: closing a bound device fd unbinds it from this iommufd.
  devices.clear();
  if (iommufd >= 0) ::close(iommufd);
}

DeviceSlot& ScenarioContext::device(const std::string& dev) {
  for (auto& d : devices)
    if (d.name == dev) return d;
  throw StepError("no device named '" + dev + "' in setup.devices");
}

}  // namespace ioconform::agent
