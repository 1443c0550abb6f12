// ScratchAttachment: a throwaway DMA path for a bound device that has none.
//
// edu's buffer is reachable only by DMA. A probe on a device that is bound but
// attached to nothing (never attached, or after VFIO_DEVICE_DETACH_IOMMUFD_PT:
// the group sits in the blocking domain) cannot load a DMA_WRITE token into
// edu or read back what a DMA_READ probe fetched. For those agent-side
// transfers only, this object allocates a scratch IOAS and attaches the device
// to it (the kernel makes an auto-domain HWPT), and release() detaches the
// device and destroys the IOAS, which leaves the scenario's state as it was:
//   - the device is detached again, exactly as the scenario left it, and the
//     auto-domain HWPT is gone (detaching its last device destroys it:
//     drivers/iommu/iommufd/device.c:iommufd_hw_pagetable_detach() calls
//     iommufd_hw_pagetable_put(), which destroys an auto_domain HWPT);
//   - object ids are the lowest free id from 1 (iommufd_object_alloc() uses
//     xa_alloc() on an ALLOC1 xarray), so the scratch IOAS and HWPT take ids
//     the scenario has not used yet, and freeing both gives them back: the
//     next object the scenario makes gets the id the model predicts.
// The probe DMA itself never runs while the scratch attachment exists. Only a
// device whose IOMMU group has no attachment at all may use it: attaching the
// device itself would replace (and detaching would then drop) an attachment
// the scenario made, and attaching it while a group sibling holds the group in
// a HWPT fails EINVAL (drivers/iommu/iommufd/device.c:iommufd_hw_pagetable_attach:632);
// such a device DMAs through its group's HWPT anyway (scenario_context.h:
// DeviceGroup). With the group blocked, the scratch attach moves the whole
// group to the scratch domain and the detach puts it back to blocking, which
// the siblings, attached to nothing, cannot tell.
// A device holding a PASID (VFIO_DEVICE_ATTACH_IOMMUFD_PT flags PASID) while
// its RID is detached cannot take the IOAS's automatic HWPT: it is not
// PASID-compatible, so the RID attach fails EINVAL
// (drivers/iommu/iommufd/device.c:iommufd_hwpt_pasid_compat:450-456). Then,
// given the device's iommufd id, the scratch path allocates a HWPT with
// IOMMU_HWPT_ALLOC_PASID on the scratch IOAS and attaches to that instead;
// release() destroys it too, so the scenario's ids are again untouched.
#pragma once

#include <cstdint>
#include <optional>

#include "vfio_device.h"

namespace ioconform::agent {

class ScratchAttachment {
 public:
  // Allocate the scratch IOAS and attach `dev` to it; throws StepError (with
  // nothing left behind) if the kernel refuses.
  // `devid`: the device's iommufd id (VFIO_DEVICE_BIND_IOMMUFD out_devid),
  // for the PASID-compatible fallback.
  ScratchAttachment(int iommufd, VfioDevice& dev, std::optional<uint32_t> devid);
  // Best effort teardown when release() was not reached (a StepError is on its
  // way out and stops the scenario anyway).
  ~ScratchAttachment();
  ScratchAttachment(const ScratchAttachment&) = delete;
  ScratchAttachment& operator=(const ScratchAttachment&) = delete;

  uint32_t ioas() const { return ioas_; }

  // Detach the device and destroy the scratch IOAS. Throws StepError if the
  // kernel refuses either: the scenario's state would then differ from the
  // one its later steps are predicted on.
  void release();

 private:
  int attach(uint32_t pt);  // 0 or errno
  int detach();             // 0 or errno
  int destroy();            // 0 or errno

  int iommufd_;
  VfioDevice& dev_;
  uint32_t ioas_ = 0;
  uint32_t hwpt_ = 0;  // the PASID-compatible HWPT, when the fallback made one
  bool attached_ = false;
  bool allocated_ = false;
};

}  // namespace ioconform::agent
