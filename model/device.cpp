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

// iommufd_hwpt_pasid_compat(): the checks the group's first attach at `pasid`
// and every replace make (device.c:iommufd_hwpt_pasid_compat). A HWPT without
// IOMMU_HWPT_ALLOC_PASID takes no PASID, and while the group holds any PASID
// its RID may only be in such a HWPT; that includes the RID's own HWPT when a
// PASID attaches.
Decision pasid_compat(const State& s, const Hwpt& hwpt, const Group& group, u32 pasid) {
  if (pasid == 0) {
    if (!hwpt.pasid_compat && !group.pasid_attach.empty()) return fail("attach.rid_hwpt_not_pasid_compat");
    return success();
  }
  if (!hwpt.pasid_compat) return fail("attach.pasid_hwpt_not_pasid_compat");
  if (group.hwpt_id && !s.hwpts.at(group.hwpt_id).pasid_compat) return fail("attach.pasid_rid_not_pasid_compat");
  return success();
}

// iommufd_hwpt_attach_device(): the group's first attach at `pasid` puts the
// group's domain there: the compat checks, then for a PASID
// iommu_attach_device_pasid()'s range check over every device of the IOMMU
// group (iommu.c:iommu_attach_device_pasid), which skips devices with
// max_pasids 0 (edu: no PASID capability, so any PASID passes).
Decision hwpt_attach_device(const State& s, const Hwpt& hwpt, const Device& dev, u32 pasid) {
  const Group& group = s.group_of(dev);
  Decision d = pasid_compat(s, hwpt, group, pasid);
  if (!d.ok() || pasid == 0) return d;
  for (const Device& member : s.devices)
    if (member.group == dev.group && member.max_pasids > 0 && pasid >= member.max_pasids)
      return fail("attach.pasid_beyond_max_pasids");
  // The mock rigs PASID 1024 (IOMMU_TEST_PASID_RESERVED) to fail every second
  // set_dev_pasid (selftest.c:mock_domain_set_dev_pasid_nop): not modelled.
  if (dev.mock && pasid == 1024) throw std::invalid_argument("PASID 1024 on a mock device (the mock's rigged failure) is not modelled");
  return success();
}

// iommufd_device_auto_get_domain(): an IOAS as the target. Reuse an automatic
// HWPT of this IOAS if it takes the device (EINVAL means incompatible: try the
// next, device.c:iommufd_device_auto_get_domain:894, 6.12 :704), else make one
// with flags 0. An attach makes it with immediate_attach (the attach first,
// then the domain joins the IOAS); a replace makes it and joins the IOAS first,
// then replaces. A fresh HWPT that fails dies unused (out_abort), its id free
// again. A fresh automatic HWPT is never pasid_compat, so a PASID never lands
// in one: EINVAL, or EBUSY when the device holds the PASID already.
Decision auto_get_domain(State& s, Device& dev, u32 pasid, u32* pt_id, bool replace) {
  const u32 ioas_id = *pt_id;
  // A copy: a successful replace may destroy the old HWPT, which can be on this list.
  const std::vector<u32> candidates = s.ioas.at(ioas_id).hwpts;
  for (u32 hwpt_id : candidates) {
    if (!s.hwpts.at(hwpt_id).auto_domain) continue;
    Decision d = replace ? device_do_replace(s, dev, pasid, hwpt_id) : hw_pagetable_attach(s, hwpt_id, dev, pasid);
    if (!d.ok() && d.err == EINVAL) continue;
    if (!d.ok()) return d;
    *pt_id = hwpt_id;
    return success();
  }
  u32 hwpt_id = 0;
  Decision d = hwpt_paging_alloc(s, ioas_id, dev, !replace, &hwpt_id, false, pasid);
  if (!d.ok()) return d;
  s.hwpts.at(hwpt_id).auto_domain = true;
  if (replace) {
    // The domain is in the IOAS already (aperture, alignment, fill); only now
    // does iommufd_device_do_replace check the group's reserved regions: the
    // reverse of a first attach's order.
    d = device_do_replace(s, dev, pasid, hwpt_id);
    if (!d.ok()) {
      hwpt_paging_destroy(s, hwpt_id);
      return d;
    }
  }
  *pt_id = hwpt_id;
  return success();
}

// iommufd_group_remove_reserved_iova(): every attached member's reserved
// regions leave IOAS `ioas_id`.
void remove_group_reserved(State& s, const Group& group, u32 ioas_id) {
  for (u32 member : group.attached) s.ioas.at(ioas_id).iopt.remove_reserved_iova({ResvOwner::Device, member});
}

// iommufd_group_do_replace_reserved_iova(): a replace into another IOAS
// enforces the reserved regions of every attached member there, not only the
// replacing device's (device.c:iommufd_group_do_replace_reserved_iova:755-759,
// 6.12 :572-577); all or nothing. Within one IOAS the regions are in place
// already.
Decision reserve_group_in(State& s, const Group& group, u32 old_ioas, u32 new_ioas) {
  if (old_ioas == new_ioas) return success();
  IoPagetable& iopt = s.ioas.at(new_ioas).iopt;
  for (u32 member : group.attached)
    for (const auto& resv : s.platform_of(*s.device_by_idev(member)).device_resv) {
      Decision d = iopt.reserve_iova(resv.start, resv.last, {ResvOwner::Device, member});
      if (!d.ok()) return remove_group_reserved(s, group, new_ioas), d;
    }
  return success();
}

// The rest of iommufd_device_do_replace() for the RID once the regions are in:
// the group's domain switches for every member at once
// (iommufd_hwpt_replace_device -> iommu_replace_group_handle), the members'
// regions leave the old IOAS, and the references all members hold move to the
// new HWPT (device.c:iommufd_device_do_replace:814-830, 6.12 :625-641).
void move_group(State& s, Group& group, u32 new_hwpt_id) {
  const u32 old_hwpt_id = group.hwpt_id;
  Hwpt& old_hwpt = s.hwpts.at(old_hwpt_id);
  Hwpt& new_hwpt = s.hwpts.at(new_hwpt_id);
  if (old_hwpt.ioas_id != new_hwpt.ioas_id) remove_group_reserved(s, group, old_hwpt.ioas_id);
  group.hwpt_id = new_hwpt_id;
  for (u32 member : group.attached) {
    std::erase(old_hwpt.devices, member);
    new_hwpt.devices.push_back(member);
    s.objects.find(old_hwpt_id)->users--;
    s.objects.find(new_hwpt_id)->users++;
    s.device_by_idev(member)->hwpt_id = new_hwpt_id;
  }
}

// iommufd_hw_pagetable_put() on the HWPT a replace left: an automatic domain
// goes once nothing holds it.
void put_replaced(State& s, u32 hwpt_id) {
  if (s.hwpts.at(hwpt_id).auto_domain && s.objects.find(hwpt_id)->users == 0) hwpt_paging_destroy(s, hwpt_id);
}

PasidAttachment* pasid_attachment(Group& group, u32 pasid) {
  auto it = group.pasid_attach.find(pasid);
  return it == group.pasid_attach.end() ? nullptr : &it->second;
}

bool holds(const std::vector<u32>& devices, u32 idev_id) {
  return std::find(devices.begin(), devices.end(), idev_id) != devices.end();
}

// iommufd_device_change_pt(): the target by id, then attach or replace.
Decision change_pt(State& s, Device& dev, u32 pasid, u32* pt_id, bool replace) {
  const Object* pt = s.objects.find(*pt_id);
  if (!pt) return fail("attach.pt_not_found");
  if (pt->type == ObjType::HwptPaging)
    return replace ? device_do_replace(s, dev, pasid, *pt_id) : hw_pagetable_attach(s, *pt_id, dev, pasid);
  if (pt->type != ObjType::Ioas) return fail("attach.pt_wrong_type");
  return auto_get_domain(s, dev, pasid, pt_id, replace);
}

}  // namespace

Decision hw_pagetable_attach(State& s, u32 hwpt_id, Device& dev, u32 pasid) {
  Hwpt& hwpt = s.hwpts.at(hwpt_id);
  Group& group = s.group_of(dev);
  PasidAttachment* attachment = pasid ? pasid_attachment(group, pasid) : nullptr;
  // The device is in the attachment's device_array already: EBUSY, whatever
  // the HWPT, the same one included (device.c:iommufd_hw_pagetable_attach:625).
  // VFIO turns a second RID attach into a replace, so only a PASID attach, or
  // the RID reached as PASID 0, gets here attached.
  const bool held = pasid ? attachment && holds(attachment->devices, dev.idev_id) : dev.hwpt_id != 0;
  if (held) return fail("attach.device_already_attached");
  // The group is in one domain per PASID at a time: a member joins the HWPT the
  // group is attached to or none. Checked before the reserved regions
  // (device.c:iommufd_hw_pagetable_attach:632, 6.12 :480).
  const u32 group_hwpt = pasid ? (attachment ? attachment->hwpt_id : 0) : group.hwpt_id;
  if (group_hwpt && group_hwpt != hwpt_id) return fail("attach.group_in_other_domain");
  IoPagetable& iopt = s.ioas.at(hwpt.ioas_id).iopt;
  // iopt_table_enforce_dev_resv_regions(): the RID only (attach_resv), and each
  // reserved region of this device only; other members add theirs at their own
  // attach. A PASID attach ignores them.
  if (pasid == 0) {
    for (const auto& resv : s.platform_of(dev).device_resv) {
      Decision d = iopt.reserve_iova(resv.start, resv.last, {ResvOwner::Device, dev.idev_id});
      if (!d.ok()) {
        iopt.remove_reserved_iova({ResvOwner::Device, dev.idev_id});
        return d;
      }
    }
  }
  // Only the first member attaches the group to the domain; the others follow
  // that attachment (device.c:iommufd_hw_pagetable_attach:650, 6.12 :498).
  const bool first = pasid ? attachment == nullptr : group.attached.empty();
  if (first) {
    Decision d = hwpt_attach_device(s, hwpt, dev, pasid);
    if (!d.ok()) {
      if (pasid == 0) iopt.remove_reserved_iova({ResvOwner::Device, dev.idev_id});
      return d;
    }
  }
  if (pasid == 0) {
    if (first) group.hwpt_id = hwpt_id;
    group.attached.push_back(dev.idev_id);
    hwpt.devices.push_back(dev.idev_id);
    dev.hwpt_id = hwpt_id;
  } else {
    if (first) attachment = &(group.pasid_attach[pasid] = PasidAttachment{hwpt_id, {}});
    attachment->devices.push_back(dev.idev_id);
  }
  s.objects.find(hwpt_id)->users++;
  s.objects.find(dev.idev_id)->users++;  // iommufd_device_attach: the attachment holds the device too
  return success();
}

void hw_pagetable_detach(State& s, Device& dev, u32 pasid) {
  Group& group = s.group_of(dev);
  u32 hwpt_id = 0;
  if (pasid == 0) {
    hwpt_id = dev.hwpt_id;
    if (!hwpt_id) return;  // nothing attached: iommufd_hw_pagetable_detach returns NULL
    Hwpt& hwpt = s.hwpts.at(hwpt_id);
    std::erase(group.attached, dev.idev_id);
    // Only the last member takes the group out of the domain
    // (device.c:iommufd_hw_pagetable_detach:698, 6.12 :524), into the blocking
    // domain while VFIO owns the group (iommu.c:__iommu_group_set_core_domain:2156,
    // 6.12 :2071); until then the detached member's DMA is still translated by
    // this domain.
    if (group.attached.empty()) group.hwpt_id = 0;
    // This device's reserved regions only (device.c:iommufd_hw_pagetable_detach:704, 6.12 :529).
    s.ioas.at(hwpt.ioas_id).iopt.remove_reserved_iova({ResvOwner::Device, dev.idev_id});
    std::erase(hwpt.devices, dev.idev_id);
    dev.hwpt_id = 0;
  } else {
    PasidAttachment* attachment = pasid_attachment(group, pasid);
    // VFIO detaches only PASIDs it attached, and a mock device is alone in its
    // group, so the device holds the PASID whenever the group does.
    if (!attachment || !holds(attachment->devices, dev.idev_id)) return;
    hwpt_id = attachment->hwpt_id;
    std::erase(attachment->devices, dev.idev_id);
    // The last member's detach sets the PASID to the blocked domain
    // (iommu.c:iommu_detach_device_pasid -> iommu_remove_dev_pasid).
    if (attachment->devices.empty()) group.pasid_attach.erase(pasid);
  }
  s.objects.find(hwpt_id)->users--;
  s.objects.find(dev.idev_id)->users--;
  if (s.hwpts.at(hwpt_id).auto_domain && s.objects.find(hwpt_id)->users == 0) hwpt_paging_destroy(s, hwpt_id);
}

Decision device_do_replace(State& s, Device& dev, u32 pasid, u32 hwpt_id) {
  Group& group = s.group_of(dev);
  PasidAttachment* attachment = pasid ? pasid_attachment(group, pasid) : nullptr;
  // Replace needs an attachment of this device at `pasid`
  // (device.c:iommufd_device_do_replace:789 and :798).
  const bool held = pasid ? attachment && holds(attachment->devices, dev.idev_id) : dev.hwpt_id != 0;
  if (!held) return fail("replace.not_attached");
  const u32 old_hwpt_id = pasid ? attachment->hwpt_id : group.hwpt_id;
  if (hwpt_id == old_hwpt_id) return success();  // a no-op (device.c:iommufd_device_do_replace:803, 6.12 :613)
  const u32 old_ioas = s.hwpts.at(old_hwpt_id).ioas_id, new_ioas = s.hwpts.at(hwpt_id).ioas_id;
  if (pasid == 0) {
    Decision d = reserve_group_in(s, group, old_ioas, new_ioas);
    if (!d.ok()) return d;
  }
  // iommufd_hwpt_replace_device(): the same compat checks as a first attach.
  Decision d = pasid_compat(s, s.hwpts.at(hwpt_id), group, pasid);
  if (!d.ok()) {
    if (pasid == 0 && old_ioas != new_ioas) remove_group_reserved(s, group, new_ioas);
    return d;
  }
  if (dev.mock && pasid == 1024) throw std::invalid_argument("PASID 1024 on a mock device (the mock's rigged failure) is not modelled");
  if (pasid == 0) {
    move_group(s, group, hwpt_id);
  } else {
    // Every member's reference moves to the new HWPT (device.c:iommufd_device_do_replace:823-833).
    attachment->hwpt_id = hwpt_id;
    const int n = static_cast<int>(attachment->devices.size());
    s.objects.find(hwpt_id)->users += n;
    s.objects.find(old_hwpt_id)->users -= n;
  }
  put_replaced(s, old_hwpt_id);
  return success();
}

Decision device_attach(State& s, Device& dev, u32 pasid, u32* pt_id) {
  return change_pt(s, dev, pasid, pt_id, false);
}

Decision device_replace(State& s, Device& dev, u32 pasid, u32* pt_id) {
  return change_pt(s, dev, pasid, pt_id, true);
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
  constexpr u64 kAttachPasid = 1, kMinsz = 12, kPasidEnd = 16;  // offsetofend(pt_id), offsetofend(pasid)
  Device* dev = device_of(s, op);
  if (!dev) throw std::invalid_argument(op.name + ": 'dev' must name a device of the scenario's setup");
  if (!dev->idev_id) return from(fail("vfio_device.not_bound"));
  const u64 argsz = argsz_of(s, op);
  if (argsz < kMinsz) return from(fail("vfio_attach.argsz_too_small"));
  // PASID attach arrived in 6.15; before it any flag is unknown.
  const bool pasid_api = spec::version_satisfies(s.config.version, ">=6.15");
  const u64 flags = op.arg("flags");
  if (flags & ~(pasid_api ? kAttachPasid : 0)) return from(fail("vfio_attach.flags_unknown"));
  u32 pt_id = static_cast<u32>(op.arg("pt_id"));
  Decision d;
  if (flags & kAttachPasid) {
    // vfio-pci has pasid_attach_ioas; the pasid field must be inside argsz.
    if (argsz < kPasidEnd) return from(fail("vfio_attach.argsz_without_pasid"));
    const u32 pasid = static_cast<u32>(op.arg("pasid"));
    // drivers/vfio/iommufd.c:vfio_iommufd_physical_pasid_attach_ioas(): a PASID
    // VFIO attached before is replaced; a new one goes into vdev->pasids first
    // (ida_alloc_range: the ida holds ids up to INT_MAX) and out again if the
    // attach fails. PASID 0 is IOMMU_NO_PASID for iommufd: the RID.
    if (dev->vfio_pasids.count(pasid)) {
      d = device_replace(s, *dev, pasid, &pt_id);
    } else {
      if (pasid > 0x7fffffffu) return from(fail("vfio_attach.pasid_beyond_ida"));
      d = device_attach(s, *dev, pasid, &pt_id);
      if (d.ok()) dev->vfio_pasids.insert(pasid);
    }
  } else {
    // vfio_iommufd_physical_attach_ioas(): attaching an attached device is a
    // replace (iommufd_device_replace). "Attached" is VFIO's own flag: a RID
    // attached as PASID 0 does not set it, so a plain attach then gets EBUSY.
    d = dev->vfio_rid_attached ? device_replace(s, *dev, 0, &pt_id) : device_attach(s, *dev, 0, &pt_id);
    if (d.ok()) dev->vfio_rid_attached = true;
  }
  if (!d.ok()) return from(d);
  StepResult r;
  r.out["pt_id"] = pt_id;
  return r;
}

StepResult vfio_detach(State& s, const Op& op) {
  constexpr u64 kDetachPasid = 1, kMinsz = 8, kPasidEnd = 12;  // offsetofend(flags), offsetofend(pasid)
  Device* dev = device_of(s, op);
  if (!dev) throw std::invalid_argument(op.name + ": 'dev' must name a device of the scenario's setup");
  if (!dev->idev_id) return from(fail("vfio_device.not_bound"));
  const u64 argsz = argsz_of(s, op);
  if (argsz < kMinsz) return from(fail("vfio_detach.argsz_too_small"));
  const bool pasid_api = spec::version_satisfies(s.config.version, ">=6.15");
  const u64 flags = op.arg("flags");
  if (flags & ~(pasid_api ? kDetachPasid : 0)) return from(fail("vfio_detach.flags_unknown"));
  if (flags & kDetachPasid) {
    if (argsz < kPasidEnd) return from(fail("vfio_detach.argsz_without_pasid"));
    // vfio_iommufd_physical_pasid_detach_ioas(): only a PASID VFIO attached;
    // detach never fails.
    const u32 pasid = static_cast<u32>(op.arg("pasid"));
    if (dev->vfio_pasids.erase(pasid)) hw_pagetable_detach(s, *dev, pasid);
  } else if (dev->vfio_rid_attached) {  // detaching an unattached device is a no-op
    hw_pagetable_detach(s, *dev, 0);
    dev->vfio_rid_attached = false;
  }
  return {};
}

}  // namespace ioconform::model
