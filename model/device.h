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
#pragma once
#include "model/op.h"
#include "model/state.h"

namespace ioconform::model {

StepResult vfio_bind(State& s, const Op& op);
StepResult vfio_attach(State& s, const Op& op);
StepResult vfio_detach(State& s, const Op& op);

// iommufd_hw_pagetable_attach() for a device not attached yet: reserved regions,
// then the HWPT's users reference.
Decision hw_pagetable_attach(State& s, u32 hwpt_id, Device& dev);
// iommufd_hw_pagetable_detach() + iommufd_hw_pagetable_put(): an auto domain
// goes with its last device.
void hw_pagetable_detach(State& s, Device& dev);

}  // namespace ioconform::model
