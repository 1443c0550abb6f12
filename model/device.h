// VFIO devices driven through their cdev (/dev/vfio/devices/vfioN) and bound to
// iommufd (drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c,
// drivers/iommu/iommufd/device.c), and the iommufd device attach API they and
// the mock devices (model/selftest.h) share.
//
// PASID (6.15+): VFIO_DEVICE_ATTACH_PASID attaches one PASID of the device to a
// HWPT made with IOMMU_HWPT_ALLOC_PASID (an IOAS never works: its automatic
// HWPT is not PASID-compatible), and while any PASID is attached the group's
// RID may only be in such a HWPT. A PASID attach ignores reserved regions. The
// attachment is per group and PASID, like the RID's. A PASID VFIO attached
// before is replaced, not refused.
//
// Bind makes an iommufd device object (id from the same table) that the VFIO
// driver holds until unbind, so IOMMU_DESTROY on it is always EBUSY. Attach takes
// an IOAS (the kernel finds or creates an automatic HWPT and returns its id in
// pt_id) or a paging HWPT; attaching again replaces. Attaching reserves the
// device's reserved regions (the x86 MSI window) in the IOAS: EADDRINUSE if an
// area or an allowed range is there. Detach of an unattached device succeeds.
//
// The IOMMU group, not the device, sits in a domain (see Group in state.h):
// - a member attaching while another member holds the group in a different HWPT
//   fails EINVAL, whatever it names (attach.group_in_other_domain);
// - a later member joining the group's HWPT only adds its reserved regions and
//   a reference;
// - a member's detach leaves the group in the domain while another member stays
//   attached, so the detached member's DMA is still translated there; the last
//   member's detach puts the group in the blocking domain;
// - a replace moves the whole group, every attached member included.
#pragma once
#include "model/op.h"
#include "model/state.h"

namespace ioconform::model {

StepResult vfio_bind(State& s, const Op& op);
StepResult vfio_attach(State& s, const Op& op);
StepResult vfio_detach(State& s, const Op& op);

// The iommufd core's device API (drivers/iommu/iommufd/device.c), which VFIO
// and the CONFIG_IOMMUFD_TEST mock both call. `pasid` 0 is IOMMU_NO_PASID: the
// RID.
//
// iommufd_device_attach(): `pt_id` is an IOAS (an automatic HWPT is found or
// made; its id is written back) or a paging HWPT.
Decision device_attach(State& s, Device& dev, u32 pasid, u32* pt_id);
// iommufd_device_replace(): the same targets, for an attached device/PASID;
// fails with no change.
Decision device_replace(State& s, Device& dev, u32 pasid, u32* pt_id);
// iommufd_device_do_replace() onto an existing HWPT.
Decision device_do_replace(State& s, Device& dev, u32 pasid, u32 hwpt_id);

// iommufd_hw_pagetable_attach(): the device's attach at `pasid` (EBUSY when it
// holds it already), the group check, reserved regions (RID only), the group's
// domain (first member only: compat and PASID-range checks) and the HWPT's
// users reference.
Decision hw_pagetable_attach(State& s, u32 hwpt_id, Device& dev, u32 pasid = 0);
// iommufd_device_detach(): the group leaves the domain at `pasid` with its last
// attached member; an auto domain goes with its last device. Never fails; a
// no-op when nothing is attached there.
void hw_pagetable_detach(State& s, Device& dev, u32 pasid = 0);

}  // namespace ioconform::model
