// The whole model state of one /dev/iommu file descriptor and the devices the
// scenario may bind to it.
//
// Mirrors the kernel's objects: the object table (ids), IOASes with their
// io_pagetable, paging HWPTs (each one iommu_domain), iommufd devices (bound VFIO
// devices), their IOMMU groups, the pages objects behind areas, and the
// process's user memory.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "model/io_pagetable.h"
#include "model/memory.h"
#include "model/objects.h"
#include "model/pages.h"
#include "model/platform.h"
#include "spec/version.h"

namespace ioconform::model {

struct Ioas {
  IoPagetable iopt;
  std::vector<u32> hwpts;  // paging HWPTs on this IOAS (ioas->hwpt_list)
};

struct Hwpt {
  u32 ioas_id = 0;
  bool auto_domain = false;  // created by attach to an IOAS; dies with its last device
  std::vector<u32> devices;  // idev ids attached
};

// An IOMMU group as one iommufd sees it (struct iommufd_group,
// drivers/iommu/iommufd/device.c:iommufd_get_group). The group, not the device,
// sits in a domain: the first member's attach puts it there, later members only
// join, and the domain changes again only with a replace or the last member's
// detach. 7.2 keeps this in igroup->pasid_attach[IOMMU_NO_PASID]
// (struct iommufd_attach: hwpt + device_array), 6.12 in igroup->hwpt +
// igroup->device_list; the logic is the same.
struct Group {
  std::string label;          // the scenario's group label; empty: a device alone in its group
  u32 hwpt_id = 0;            // the HWPT whose domain the group is in; 0: the blocking domain
  std::vector<u32> attached;  // idev ids of the attached members, in attach order
};

// A VFIO device the scenario names (an edu device behind VT-d).
struct Device {
  std::string name;
  size_t group = 0;    // index into State::groups
  u32 idev_id = 0;     // iommufd device object id once bound, else 0
  u32 hwpt_id = 0;     // the HWPT this device is attached through (its group's), else 0
};

struct ModelConfig {
  spec::KernelVersion version{7, 2, 0};
  Platform platform = Platform::intel_vtd();
  bool cap_sys_resource = true;  // the agent runs as root in the guest
};

struct State {
  ModelConfig config;
  ObjectTable objects;
  std::map<u32, Ioas> ioas;
  std::map<u32, Hwpt> hwpts;
  std::vector<Device> devices;
  std::vector<Group> groups;
  PagesTable pages;
  UserMemory memory;
  bool account_mm = false;  // IOMMU_OPTION_RLIMIT_MODE

  Device* device_by_name(const std::string& name);
  Device* device_by_idev(u32 idev_id);
  Group& group_of(const Device& dev) { return groups.at(dev.group); }
  const Group& group_of(const Device& dev) const { return groups.at(dev.group); }
  // Pages pinned now: pages of every pages object referenced by an area of an
  // IOAS with at least one domain (each pages object pins its own copy).
  u64 pinned_pages() const;
};

}  // namespace ioconform::model
