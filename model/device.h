// VFIO devices driven through their cdev (/dev/vfio/devices/vfioN) and bound to
// iommufd (drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c,
// drivers/iommu/iommufd/device.c).
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

// iommufd_hw_pagetable_attach() for a device not attached yet: the group check,
// reserved regions, then the group's domain (first member only) and the HWPT's
// users reference.
Decision hw_pagetable_attach(State& s, u32 hwpt_id, Device& dev);
// iommufd_hw_pagetable_detach() + iommufd_hw_pagetable_put(): the group leaves
// the domain with its last attached member; an auto domain goes with its last
// device.
void hw_pagetable_detach(State& s, Device& dev);

}  // namespace ioconform::model
