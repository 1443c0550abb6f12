// ScenarioContext: everything one scenario's steps act on.
//
// One fresh /dev/iommu file descriptor per scenario (so object ids start again
// at 1), the scenario's buffers and devices, the `$name` bindings made by
// successful steps, and the agent's own record of the object graph the
// scenario built. The object graph and the device groups' attachments are
// bookkeeping for the probes only: to read back what edu received, a probe
// needs the IOAS behind the HWPT its device's group is attached to
// (device -> group -> HWPT -> IOAS). They never decide a step's result.
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

// The IOMMU group of one or more scenario devices, as the kernel attaches it.
// The group, not the device, sits in a domain (drivers/iommu/iommufd/device.c):
//   - the first member's attach attaches the whole group, later members only
//     join it, and only to the same HWPT (iommufd_hw_pagetable_attach:632,643);
//   - a member's replace moves the whole group, attached siblings included
//     (iommufd_device_do_replace:814,823);
//   - a member's detach leaves the group in its domain until the last attached
//     member detaches (iommufd_hw_pagetable_detach:698-699), then the group is
//     blocked (iommu.c:__iommu_group_set_core_domain:2155-2158).
// So a member's DMA goes through `hwpt` whether or not the member itself is
// attached. A device without a group label is the only member of its own.
// PASID attachments are not tracked: they do not change the group's domain.
struct DeviceGroup {
  std::optional<uint32_t> hwpt;  // the group's HWPT while a member is attached
  unsigned attached_members = 0;
};

struct DeviceSlot {
  std::string name;
  std::unique_ptr<VfioDevice> vfio;
  std::unique_ptr<EduDevice> edu;
  std::shared_ptr<DeviceGroup> group;  // shared by the devices with one label
  bool bound = false;                  // VFIO_DEVICE_BIND_IOMMUFD succeeded
  // The device itself is attached (vfio's iommufd_attached): its next attach is
  // a replace, and its detach lets go of the group's domain.
  bool attached = false;
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
