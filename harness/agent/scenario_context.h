// ScenarioContext: everything one scenario's steps act on.
//
// One fresh /dev/iommu file descriptor per scenario (so object ids start again
// at 1), the scenario's buffers and devices, the `$name` bindings made by
// successful steps, and the agent's own record of the object graph the
// scenario built. The object graph is bookkeeping for the probes only: to read
// back what edu received, a probe needs the IOAS behind the device's attached
// HWPT (device -> HWPT -> IOAS). It never decides a step's result.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edu_device.h"
#include "kernel_log.h"
#include "user_buffers.h"
#include "vfio_device.h"

namespace ioconform::agent {

struct DeviceSlot {
  std::string name;
  std::unique_ptr<VfioDevice> vfio;
  std::unique_ptr<EduDevice> edu;
  bool bound = false;                  // VFIO_DEVICE_BIND_IOMMUFD succeeded
  std::optional<uint32_t> attached;    // pt_id the kernel reported for the last attach
};

class ObjectGraph {
 public:
  void ioas_allocated(uint32_t id) { ioas_.insert_or_assign(id, true); }
  // `child` (a HWPT) was made from `parent` (an IOAS or a parent HWPT).
  void hwpt_allocated(uint32_t child, uint32_t parent) { parent_.insert_or_assign(child, parent); }
  void destroyed(uint32_t id) {
    ioas_.erase(id);
    parent_.erase(id);
  }
  // The IOAS whose mappings `pt` translates with, if the agent saw it made.
  std::optional<uint32_t> ioas_behind(uint32_t pt) const;

 private:
  std::map<uint32_t, bool> ioas_;
  std::map<uint32_t, uint32_t> parent_;
};

struct ScenarioContext {
  std::string name;
  int iommufd = -1;
  UserBuffers buffers;
  std::vector<DeviceSlot> devices;
  std::map<std::string, nlohmann::json> bindings;
  ObjectGraph objects;
  KernelLog* kmsg = nullptr;

  ScenarioContext() = default;
  ~ScenarioContext();
  ScenarioContext(const ScenarioContext&) = delete;
  ScenarioContext& operator=(const ScenarioContext&) = delete;

  DeviceSlot& device(const std::string& name);
};

}  // namespace ioconform::agent
