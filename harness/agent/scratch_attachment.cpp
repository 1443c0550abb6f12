// ScratchAttachment: scratch IOAS + VFIO attach, and the exact teardown.
#include "scratch_attachment.h"

#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "step_error.h"

namespace ioconform::agent {

ScratchAttachment::ScratchAttachment(int iommufd, VfioDevice& dev, std::optional<uint32_t> devid)
    : iommufd_(iommufd), dev_(dev) {
  iommu_ioas_alloc a{};
  a.size = sizeof(a);
  if (::ioctl(iommufd_, IOMMU_IOAS_ALLOC, &a) != 0)
    throw StepError(std::string("cannot allocate the probe's scratch IOAS: ") + std::strerror(errno));
  ioas_ = a.out_ioas_id;
  allocated_ = true;
  int err = attach(ioas_);
  if (err == EINVAL && devid) {
    // The device holds a PASID: only a PASID-compatible domain may take its RID.
    iommu_hwpt_alloc h{};
    h.size = sizeof(h);
    h.flags = IOMMU_HWPT_ALLOC_PASID;
    h.dev_id = *devid;
    h.pt_id = ioas_;
    if (::ioctl(iommufd_, IOMMU_HWPT_ALLOC, &h) == 0) {
      hwpt_ = h.out_hwpt_id;
      err = attach(hwpt_);
    }
  }
  if (err) {
    destroy();
    throw StepError("cannot attach " + dev_.bdf() + " to the probe's scratch IOAS " + std::to_string(ioas_) + ": " +
                    std::strerror(err));
  }
  attached_ = true;
}

int ScratchAttachment::attach(uint32_t pt) {
  vfio_device_attach_iommufd_pt at{};
  at.argsz = sizeof(at);
  at.pt_id = pt;
  return ::ioctl(dev_.fd(), VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == 0 ? 0 : errno;
}

ScratchAttachment::~ScratchAttachment() {
  detach();
  destroy();
}

void ScratchAttachment::release() {
  if (int err = detach())
    throw StepError("cannot detach " + dev_.bdf() + " from the probe's scratch IOAS " + std::to_string(ioas_) + ": " +
                    std::strerror(err) + "; the scenario's state is no longer the one it built");
  // EBUSY here would mean the HWPT (automatic, or the PASID-compatible one)
  // survived the detach and still holds the IOAS: its id would then be
  // missing from the scenario's id space.
  if (int err = destroy())
    throw StepError("cannot destroy the probe's scratch IOAS " + std::to_string(ioas_) + ": " + std::strerror(err) +
                    "; the scenario's object ids are no longer the ones it would get");
}

int ScratchAttachment::detach() {
  if (!attached_) return 0;
  attached_ = false;
  vfio_device_detach_iommufd_pt d{};
  d.argsz = sizeof(d);
  return ::ioctl(dev_.fd(), VFIO_DEVICE_DETACH_IOMMUFD_PT, &d) == 0 ? 0 : errno;
}

int ScratchAttachment::destroy() {
  if (!allocated_) return 0;
  allocated_ = false;
  iommu_destroy d{};
  d.size = sizeof(d);
  if (hwpt_) {
    d.id = hwpt_;
    hwpt_ = 0;
    if (::ioctl(iommufd_, IOMMU_DESTROY, &d) != 0) return errno;
  }
  d.id = ioas_;
  return ::ioctl(iommufd_, IOMMU_DESTROY, &d) == 0 ? 0 : errno;
}

}  // namespace ioconform::agent
