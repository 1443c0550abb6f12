// Paging HWPTs; see hw_pagetable.h.
#include "model/hw_pagetable.h"

#include <algorithm>
#include <stdexcept>

#include "model/device.h"
#include "model/ioas.h"
#include "spec/version.h"

namespace ioconform::model {

namespace {

// Whether iopt_fill_domain() can pin every area of the IOAS (lazily mapped
// areas were never pinned: a VA nobody backs fails only now, with EFAULT).
const char* fill_fails_rule(const State& s, const Ioas& ioas) {
  for (const auto& [start, a] : ioas.iopt.areas()) {
    const Pages& p = s.pages.at(a.pages);
    if (p.file) {
      const Buffer* b = s.memory.by_fd(p.fd);
      if (!b || p.base + a.start_byte + a.length() > b->length()) return "attach.fill_domain_file_beyond_eof";
    } else if (!user_range_pinnable(s, p.base + a.start_byte, a.length())) {
      return "attach.fill_domain_pin_failed";
    }
  }
  return nullptr;
}

}  // namespace

Decision hwpt_paging_alloc(State& s, u32 ioas_id, Device& dev, bool immediate_attach, u32* hwpt_id,
                           bool pasid_compat, u32 pasid) {
  const u32 id = s.objects.alloc(ObjType::HwptPaging);
  s.hwpts[id] = Hwpt{ioas_id, false, {}, pasid_compat, dev.mock};
  Ioas& ioas = s.ioas.at(ioas_id);
  s.objects.find(ioas_id)->users++;  // refcount_inc(&ioas->obj.users)
  ioas.hwpts.push_back(id);
  auto abort = [&] {  // iommufd_object_abort_and_destroy(): the id is free again
    std::erase(ioas.hwpts, id);
    s.objects.find(ioas_id)->users--;
    s.hwpts.erase(id);
    s.objects.erase(id);
  };
  if (immediate_attach) {
    Decision d = hw_pagetable_attach(s, id, dev, pasid);
    if (!d.ok()) return abort(), d;
  }
  // The domain is the device's IOMMU's: its page sizes and aperture.
  Decision d = ioas.iopt.table_add_domain(s.platform_of(dev), id, fill_fails_rule(s, ioas));
  if (!d.ok()) {
    if (immediate_attach) hw_pagetable_detach(s, dev, pasid);
    if (s.hwpts.count(id)) abort();
    return d;
  }
  *hwpt_id = id;
  return success();
}

void hwpt_paging_destroy(State& s, u32 hwpt_id) {
  Hwpt& hwpt = s.hwpts.at(hwpt_id);
  Ioas& ioas = s.ioas.at(hwpt.ioas_id);
  ioas.iopt.table_remove_domain(hwpt_id);
  std::erase(ioas.hwpts, hwpt_id);
  s.objects.find(hwpt.ioas_id)->users--;
  s.hwpts.erase(hwpt_id);
  s.objects.erase(hwpt_id);
}

StepResult hwpt_alloc(State& s, const Op& op) {
  constexpr u64 kDirtyTracking = 2, kFaultIdValid = 4, kPasid = 8;
  const u64 flags = op.arg("flags"), data_type = op.arg("data_type"), data_len = op.arg("data_len");
  if (op.arg("__reserved")) return from(fail("hwpt_alloc.reserved_nonzero"));
  if ((data_type == 0 && data_len) || (data_type != 0 && !data_len)) return from(fail("hwpt_alloc.data_len_mismatch"));
  Decision d = s.objects.get(static_cast<u32>(op.arg("dev_id")), ObjType::Device, "object.device_not_found");
  if (!d.ok()) return from(d);
  Device& dev = *s.device_by_idev(static_cast<u32>(op.arg("dev_id")));
  const u32 pt_id = static_cast<u32>(op.arg("pt_id"));
  const Object* pt = s.objects.find(pt_id);
  if (!pt) return from(fail("hwpt_alloc.pt_not_found"));
  if (pt->type == ObjType::HwptPaging) return from(fail("hwpt_alloc.nested_unsupported"));
  if (pt->type != ObjType::Ioas) return from(fail("hwpt_alloc.pt_wrong_type"));
  // iommufd_hwpt_paging_alloc() flag checks. IOMMU_HWPT_ALLOC_PASID came with
  // PASID attach in 6.15; before it the flag is unknown.
  const u64 valid = 1 | kDirtyTracking | kFaultIdValid |
                    (spec::version_satisfies(s.config.version, ">=6.15") ? kPasid : 0);
  if (flags & ~valid) return from(fail("hwpt_alloc.flags_unknown"));
  if ((flags & kDirtyTracking) && !dev.mock) return from(fail("hwpt_alloc.dirty_tracking_unsupported"));
  // NEST_PARENT, FAULT_ID_VALID and the mock's dirty tracking depend on VT-d
  // scalable mode, fault objects and the mock's dirty ops: not modelled yet, and
  // a guessed errno would be worse than none. PASID only marks the HWPT
  // (hwpt->pasid_compat); both VT-d's second stage (the only one in QEMU's legacy
  // mode, intel/iommu.c:intel_iommu_domain_alloc_second_stage) and the mock
  // (selftest.c:mock_domain_alloc_paging_flags) accept it.
  if (flags & ~kPasid)
    throw std::invalid_argument("IOMMU_HWPT_ALLOC: flags " + std::to_string(flags) + " are not modelled yet");
  u32 id = 0;
  d = hwpt_paging_alloc(s, pt_id, dev, false, &id, flags & kPasid);
  if (!d.ok()) return from(d);
  StepResult r;
  r.out["out_hwpt_id"] = id;
  return r;
}

}  // namespace ioconform::model
