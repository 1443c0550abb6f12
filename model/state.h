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
#include <set>
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
  std::vector<u32> devices;  // idev ids attached by their RID (PASID attachments: Group::pasid_attach)
  // IOMMU_HWPT_ALLOC_PASID (hwpt->pasid_compat, hw_pagetable.c:iommufd_hwpt_paging_alloc):
  // only such a HWPT takes a PASID attach, and while a group holds PASIDs its RID
  // may only move to one (device.c:iommufd_hwpt_pasid_compat). Automatic HWPTs
  // are allocated with flags 0, so never.
  bool pasid_compat = false;
  bool mock_domain = false;  // allocated by the mock IOMMU (for a mock device), not VT-d
};

// One PASID's attachment in a group (struct iommufd_attach): the HWPT and the
// members attached at that PASID, each holding a reference on the HWPT.
struct PasidAttachment {
  u32 hwpt_id = 0;
  std::vector<u32> devices;  // idev ids
};

// An IOMMU group as one iommufd sees it (struct iommufd_group,
// drivers/iommu/iommufd/device.c:iommufd_get_group). The group, not the device,
// sits in a domain: the first member's attach puts it there, later members only
// join, and the domain changes again only with a replace or the last member's
// detach. 7.2 keeps this in igroup->pasid_attach[IOMMU_NO_PASID]
// (struct iommufd_attach: hwpt + device_array), 6.12 in igroup->hwpt +
// igroup->device_list; the logic is the same.
//
// The kernel keys the table by PASID with IOMMU_NO_PASID (0) for the RID. Here
// the RID entry is `hwpt_id` + `attached` and the other PASIDs are
// `pasid_attach`; a PASID-tagged DMA goes through its own entry only and is
// blocked without one (never through the RID's domain, see translate.h).
struct Group {
  std::string label;          // the scenario's group label; empty: a device alone in its group
  u32 hwpt_id = 0;            // the HWPT whose domain the group is in; 0: the blocking domain
  std::vector<u32> attached;  // idev ids of the attached members, in attach order
  std::map<u32, PasidAttachment> pasid_attach;  // PASID (never 0) -> attachment
};

// A device bound to iommufd: a VFIO device the scenario names (an edu device
// behind VT-d), or a CONFIG_IOMMUFD_TEST mock device that
// IOMMU_TEST_OP_MOCK_DOMAIN creates (selftest.c:mock_dev_create; each in an
// IOMMU group of its own, behind the mock IOMMU, see Platform::mock()).
struct Device {
  std::string name;
  size_t group = 0;    // index into State::groups
  u32 idev_id = 0;     // iommufd device object id once bound, else 0
  u32 hwpt_id = 0;     // the HWPT this device's RID is attached through (its group's), else 0
  bool mock = false;
  u32 stdev_id = 0;    // mock: the selftest object that owns it; 0 once destroyed
  // dev->iommu->max_pasids (iommu.c:dev_iommu_get_max_pasids): 0 for a PCI
  // device without the PASID capability (edu), for which
  // iommu_attach_device_pasid skips the range check; a mock device has
  // "pasid-num-bits" 0 (max 1) or, with MOCK_FLAGS_DEVICE_PASID, 20.
  u32 max_pasids = 0;
  // VFIO's own bookkeeping (drivers/vfio/iommufd.c): whether it attached the
  // RID (vdev->iommufd_attached) and the PASIDs it attached (vdev->pasids).
  // VFIO_DEVICE_ATTACH_PASID with pasid 0 is the RID for iommufd but lands in
  // `vfio_pasids`, not in `vfio_rid_attached`.
  bool vfio_rid_attached = false;
  std::set<u32> vfio_pasids;
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
  Device* device_by_stdev(u32 stdev_id);
  // The domain platform of a device: the emulated VT-d, or the mock IOMMU.
  const Platform& platform_of(const Device& dev) const;
  // The HWPT whose domain translates `dev`'s DMA tagged with `pasid` (0: no
  // PASID, the RID), as the IOMMU core looks it up (group->pasid_array); 0 for
  // the blocking domain.
  u32 pasid_domain(const Device& dev, u32 pasid) const;
  Group& group_of(const Device& dev) { return groups.at(dev.group); }
  const Group& group_of(const Device& dev) const { return groups.at(dev.group); }
  // Pages pinned now: pages of every pages object referenced by an area of an
  // IOAS with at least one domain (each pages object pins its own copy).
  u64 pinned_pages() const;
};

}  // namespace ioconform::model
