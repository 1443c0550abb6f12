// VFIO cdev bind/attach/detach; see device.h. Check order: device_cdev.c first
// (argsz, flags), then drivers/vfio/iommufd.c, then iommufd/device.c.
#include "model/device.h"

#include <algorithm>
#include <stdexcept>

#include "model/hw_pagetable.h"
#include "spec/catalogue.h"

namespace ioconform::model {

namespace {

Device* device_of(State& s, const Op& op) {
  if (!op.args.contains("dev") || !op.args.at("dev").is_string()) return nullptr;
  return s.device_by_name(op.args.at("dev").get<std::string>());
}

// The struct size the caller offers: `argsz`, defaulting to this kernel's struct.
u64 argsz_of(const State& s, const Op& op) {
  const auto* io = spec::Catalogue::get().ioctl(op.name);
  const u64 size = io ? io->size_for(s.config.version) : 0;
  return op.arg("argsz", size + (op.has("__trailing") ? 8 : 0));
}

// Attaching `dev` (not attached yet) to whatever `pt_id` names
// (iommufd_device_change_pt with iommufd_device_do_attach).
Decision change_pt(State& s, Device& dev, u32* pt_id) {
  const Object* pt = s.objects.find(*pt_id);
  if (!pt) return fail("attach.pt_not_found");
  if (pt->type == ObjType::HwptPaging) return hw_pagetable_attach(s, *pt_id, dev);
  if (pt->type != ObjType::Ioas) return fail("attach.pt_wrong_type");
  // iommufd_device_auto_get_domain(): reuse an automatic domain of this IOAS if
  // it takes the device (EINVAL means incompatible: try the next), else make one.
  Ioas& ioas = s.ioas.at(*pt_id);
  for (u32 hwpt_id : ioas.hwpts) {
    if (!s.hwpts.at(hwpt_id).auto_domain) continue;
    Decision d = hw_pagetable_attach(s, hwpt_id, dev);
    if (!d.ok() && d.err == EINVAL) continue;
    if (!d.ok()) return d;
    *pt_id = hwpt_id;
    return success();
  }
  u32 hwpt_id = 0;
  Decision d = hwpt_paging_alloc(s, *pt_id, &dev, &hwpt_id);
  if (!d.ok()) return d;
  s.hwpts.at(hwpt_id).auto_domain = true;
  *pt_id = hwpt_id;
  return success();
}

}  // namespace

Decision hw_pagetable_attach(State& s, u32 hwpt_id, Device& dev) {
  Hwpt& hwpt = s.hwpts.at(hwpt_id);
  IoPagetable& iopt = s.ioas.at(hwpt.ioas_id).iopt;
  // iopt_table_enforce_dev_resv_regions(): each reserved region of the device.
  for (const auto& resv : s.config.platform.device_resv) {
    Decision d = iopt.reserve_iova(resv.start, resv.last, {ResvOwner::Device, dev.idev_id});
    if (!d.ok()) {
      iopt.remove_reserved_iova({ResvOwner::Device, dev.idev_id});
      return d;
    }
  }
  hwpt.devices.push_back(dev.idev_id);
  s.objects.find(hwpt_id)->users++;
  s.objects.find(dev.idev_id)->users++;  // the attachment holds the device too
  dev.hwpt_id = hwpt_id;
  return success();
}

void hw_pagetable_detach(State& s, Device& dev) {
  const u32 hwpt_id = dev.hwpt_id;
  Hwpt& hwpt = s.hwpts.at(hwpt_id);
  s.ioas.at(hwpt.ioas_id).iopt.remove_reserved_iova({ResvOwner::Device, dev.idev_id});
  std::erase(hwpt.devices, dev.idev_id);
  s.objects.find(hwpt_id)->users--;
  s.objects.find(dev.idev_id)->users--;
  dev.hwpt_id = 0;
  if (hwpt.auto_domain && s.objects.find(hwpt_id)->users == 0) hwpt_paging_destroy(s, hwpt_id);
}

StepResult vfio_bind(State& s, const Op& op) {
  constexpr u64 kBindFlagToken = 1, kMinsz = 16;  // offsetofend(out_devid)
  Device* dev = device_of(s, op);
  if (!dev) throw std::invalid_argument(op.name + ": 'dev' must name a device of the scenario's setup");
  const u64 argsz = argsz_of(s, op);
  if (argsz < kMinsz) return from(fail("vfio_bind.argsz_too_small"));
  // Since 6.17 bind reads the struct with copy_struct_from_user(); before, bytes
  // past out_devid were ignored.
  const bool copy_struct = spec::version_satisfies(s.config.version, ">=6.17");
  if (copy_struct && argsz > spec::Catalogue::get().ioctl(op.name)->size && op.arg("__trailing"))
    return from(fail("vfio_bind.trailing_nonzero"));
  // Before 6.17 bind had no flags at all: BIND_FLAG_TOKEN is unknown there too.
  const u64 valid_flags = copy_struct ? kBindFlagToken : 0;
  if (op.arg("flags") & ~valid_flags) return from(fail("vfio_bind.flags_unknown"));
  if (dev->idev_id) return from(fail("vfio_bind.already_bound"));
  // vfio_df_check_token(): vfio-pci matches tokens; the scenario offers none, so
  // token_uuid_ptr is NULL and reading the uuid faults.
  if (op.arg("flags") & kBindFlagToken) return from(fail("vfio_bind.token_uuid_unreadable"));
  dev->idev_id = s.objects.alloc(ObjType::Device);
  s.objects.find(dev->idev_id)->users = 1;  // held by VFIO until unbind (iommufd_device_bind)
  StepResult r;
  r.out["out_devid"] = dev->idev_id;
  return r;
}

StepResult vfio_attach(State& s, const Op& op) {
  constexpr u64 kAttachPasid = 1, kMinsz = 12;  // offsetofend(pt_id)
  Device* dev = device_of(s, op);
  if (!dev) throw std::invalid_argument(op.name + ": 'dev' must name a device of the scenario's setup");
  if (!dev->idev_id) return from(fail("vfio_device.not_bound"));
  if (argsz_of(s, op) < kMinsz) return from(fail("vfio_attach.argsz_too_small"));
  // PASID attach arrived in 6.15; before it any flag is unknown.
  const bool pasid_api = spec::version_satisfies(s.config.version, ">=6.15");
  if (op.arg("flags") & ~(pasid_api ? kAttachPasid : 0)) return from(fail("vfio_attach.flags_unknown"));
  if (op.arg("flags") & kAttachPasid) throw std::invalid_argument("PASID attach is not modelled yet");
  u32 pt_id = static_cast<u32>(op.arg("pt_id"));
  Decision d;
  if (!dev->hwpt_id) {
    d = change_pt(s, *dev, &pt_id);
  } else {
    // iommufd_device_replace(): attach to the new target first, then drop the old
    // attachment (an auto domain left without devices is destroyed).
    const u32 old_hwpt = dev->hwpt_id;
    const Object* pt = s.objects.find(pt_id);
    const Hwpt& current = s.hwpts.at(old_hwpt);
    if (pt && pt->type == ObjType::HwptPaging && pt_id == old_hwpt) {
      d = success();
    } else if (pt && pt->type == ObjType::Ioas && current.ioas_id == pt_id && current.auto_domain) {
      // iommufd_device_auto_get_domain() finds the device's own automatic HWPT and
      // iommufd_device_do_replace() returns early for old_hwpt == hwpt: a no-op.
      pt_id = old_hwpt;
      d = success();
    } else {
      Device probe = *dev;  // attach the same device id to the new target
      probe.hwpt_id = 0;
      // The old attachment's reserved regions stay while the new one is made;
      // they live in the old IOAS, so only a same-IOAS replace could collide, and
      // there the regions are the same ones: drop them first, restore on failure.
      Hwpt& old = s.hwpts.at(old_hwpt);
      IoPagetable& old_iopt = s.ioas.at(old.ioas_id).iopt;
      old_iopt.remove_reserved_iova({ResvOwner::Device, dev->idev_id});
      d = change_pt(s, probe, &pt_id);
      if (!d.ok()) {
        for (const auto& resv : s.config.platform.device_resv)
          (void)old_iopt.reserve_iova(resv.start, resv.last, {ResvOwner::Device, dev->idev_id});
      } else {
        // Move the device from the old HWPT to the new one.
        std::erase(old.devices, dev->idev_id);
        s.objects.find(old_hwpt)->users--;
        s.objects.find(dev->idev_id)->users--;
        dev->hwpt_id = probe.hwpt_id;
        if (old.auto_domain && s.objects.find(old_hwpt)->users == 0) hwpt_paging_destroy(s, old_hwpt);
      }
    }
  }
  if (!d.ok()) return from(d);
  StepResult r;
  r.out["pt_id"] = pt_id;
  return r;
}

StepResult vfio_detach(State& s, const Op& op) {
  constexpr u64 kDetachPasid = 1, kMinsz = 8;  // offsetofend(flags)
  Device* dev = device_of(s, op);
  if (!dev) throw std::invalid_argument(op.name + ": 'dev' must name a device of the scenario's setup");
  if (!dev->idev_id) return from(fail("vfio_device.not_bound"));
  if (argsz_of(s, op) < kMinsz) return from(fail("vfio_detach.argsz_too_small"));
  const bool pasid_api = spec::version_satisfies(s.config.version, ">=6.15");
  if (op.arg("flags") & ~(pasid_api ? kDetachPasid : 0)) return from(fail("vfio_detach.flags_unknown"));
  if (op.arg("flags") & kDetachPasid) throw std::invalid_argument("PASID detach is not modelled yet");
  if (dev->hwpt_id) hw_pagetable_detach(s, *dev);  // detaching an unattached device is a no-op
  return {};
}

}  // namespace ioconform::model
