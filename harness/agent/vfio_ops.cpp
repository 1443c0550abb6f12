// VFIO device-cdev ioctls (<linux/vfio.h>) that join a device to iommufd.
//
// They are issued on the device's cdev fd, not on /dev/iommu; `dev` names the
// scenario device and `iommufd` defaults to the scenario's /dev/iommu fd. The
// handlers also keep the agent's record of what the device's group is attached
// to (scenario_context.h:DeviceGroup), which only the DMA probes use (to find
// an IOAS to read edu's buffer back through). An attach of an IOAS reports the
// auto-created HWPT in pt_id (drivers/vfio/device_cdev.c:vfio_df_ioctl_attach_pt()
// copies pt_id back), which for a device joining its attached group is the
// group's HWPT.
#include <linux/vfio.h>

#include "ops.h"
#include "step_error.h"

namespace ioconform::agent {
namespace {

const NameTable kBindFlags = {{"TOKEN", VFIO_DEVICE_BIND_FLAG_TOKEN}};
const NameTable kAttachFlags = {{"PASID", VFIO_DEVICE_ATTACH_PASID}};
const NameTable kDetachFlags = {{"PASID", VFIO_DEVICE_DETACH_PASID}};

StepOutcome outcome(const RawCall& c) { return StepOutcome{c.ret, c.err, nlohmann::json::object(), nullptr}; }

}  // namespace

StepOutcome op_vfio_bind_iommufd(ScenarioContext& ctx, StepArgs& a) {
  DeviceSlot& dev = a.device("dev");
  vfio_device_bind_iommufd s{};
  s.flags = static_cast<uint32_t>(a.named("flags", kBindFlags));
  s.iommufd = a.s32("iommufd", ctx.iommufd);
  s.token_uuid_ptr = a.u64("token_uuid_ptr");
  auto r = outcome(issue(dev.vfio->fd(), VFIO_DEVICE_BIND_IOMMUFD, s, a, "argsz"));
  if (r.err == 0) {
    r.out["out_devid"] = s.out_devid;
    dev.bound = true;
    dev.devid = s.out_devid;
  }
  return r;
}

StepOutcome op_vfio_attach_pt(ScenarioContext& ctx, StepArgs& a) {
  DeviceSlot& dev = a.device("dev");
  vfio_device_attach_iommufd_pt s{};
  s.flags = static_cast<uint32_t>(a.named("flags", kAttachFlags));
  s.pt_id = a.u32("pt_id");
  s.pasid = a.u32("pasid");
  const uint32_t asked = s.pt_id;
  auto r = outcome(issue(dev.vfio->fd(), VFIO_DEVICE_ATTACH_IOMMUFD_PT, s, a, "argsz"));
  if (r.err == 0) {
    r.out["pt_id"] = s.pt_id;
    if (s.pt_id != asked) ctx.objects.hwpt_allocated(s.pt_id, asked);  // auto domain of an IOAS
    if (!(s.flags & VFIO_DEVICE_ATTACH_PASID)) {
      // A first attach joins the group (to its HWPT, or making it the group's);
      // a replace moves the whole group (drivers/vfio/iommufd.c:
      // vfio_iommufd_physical_attach_ioas:160-165 picks replace for an attached device).
      if (!dev.attached) ++dev.group->attached_members;
      dev.attached = true;
      dev.group->hwpt = s.pt_id;
    } else if (s.pasid == 0) {
      // The RID under another name (DeviceSlot::rid_via_pasid0); attaching it
      // again is a replace (vfio_iommufd_physical_pasid_attach_ioas:194-195).
      if (!dev.rid_via_pasid0) ++dev.group->attached_members;
      dev.rid_via_pasid0 = true;
      dev.group->hwpt = s.pt_id;
    }
  }
  return r;
}

StepOutcome op_vfio_detach_pt(ScenarioContext&, StepArgs& a) {
  DeviceSlot& dev = a.device("dev");
  vfio_device_detach_iommufd_pt s{};
  s.flags = static_cast<uint32_t>(a.named("flags", kDetachFlags));
  s.pasid = a.u32("pasid");
  auto r = outcome(issue(dev.vfio->fd(), VFIO_DEVICE_DETACH_IOMMUFD_PT, s, a, "argsz"));
  // Detaching a device that is not attached is a no-op returning 0
  // (drivers/vfio/iommufd.c:vfio_iommufd_physical_detach_ioas:177).
  if (r.err == 0 && !(s.flags & VFIO_DEVICE_DETACH_PASID) && dev.attached) {
    dev.attached = false;
    if (--dev.group->attached_members == 0) dev.group->hwpt.reset();
  }
  if (r.err == 0 && (s.flags & VFIO_DEVICE_DETACH_PASID) && s.pasid == 0 && dev.rid_via_pasid0) {
    dev.rid_via_pasid0 = false;
    if (--dev.group->attached_members == 0) dev.group->hwpt.reset();
  }
  return r;
}

}  // namespace ioconform::agent
