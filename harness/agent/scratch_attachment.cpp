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

ScratchAttachment::ScratchAttachment(int iommufd, VfioDevice& dev) : iommufd_(iommufd), dev_(dev) {
  iommu_ioas_alloc a{};
  a.size = sizeof(a);
  if (::ioctl(iommufd_, IOMMU_IOAS_ALLOC, &a) != 0)
    throw StepError(std::string("cannot allocate the probe's scratch IOAS: ") + std::strerror(errno));
  ioas_ = a.out_ioas_id;
  allocated_ = true;
  vfio_device_attach_iommufd_pt at{};
  at.argsz = sizeof(at);
  at.pt_id = ioas_;
  if (::ioctl(dev_.fd(), VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) != 0) {
    const int err = errno;
    destroy();
    throw StepError("cannot attach " + dev_.bdf() + " to the probe's scratch IOAS " + std::to_string(ioas_) + ": " +
                    std::strerror(err));
  }
  attached_ = true;
}

ScratchAttachment::~ScratchAttachment() {
  detach();
  destroy();
}

void ScratchAttachment::release() {
  if (int err = detach())
    throw StepError("cannot detach " + dev_.bdf() + " from the probe's scratch IOAS " + std::to_string(ioas_) + ": " +
                    std::strerror(err) + "; the scenario's state is no longer the one it built");
  // EBUSY here would mean the auto-domain HWPT survived the detach and still
  // holds the IOAS: its id would then be missing from the scenario's id space.
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
  d.id = ioas_;
  return ::ioctl(iommufd_, IOMMU_DESTROY, &d) == 0 ? 0 : errno;
}

}  // namespace ioconform::agent
