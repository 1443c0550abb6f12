// The CONFIG_IOMMUFD_TEST mock-device ops; see selftest.h.
#include "model/selftest.h"

#include <optional>
#include <stdexcept>

#include "model/device.h"
#include "spec/version.h"

namespace ioconform::model {

namespace {

constexpr u64 kMockFlagNoDirty = 1 << 0, kMockFlagHugeIova = 1 << 1, kMockFlagPasid = 1 << 2;
constexpr u32 kMockPasidWidth = 20;  // MOCK_PASID_WIDTH (selftest.c)

bool pasid_ops_exist(const State& s) { return spec::version_satisfies(s.config.version, ">=6.15"); }

// iommufd_test_get_selftest_obj(): `id` must name a selftest object, which
// here is always a mock device (TYPE_IDEV).
Device* stdev_of(State& s, const Op& op, Decision* d) {
  const u32 id = static_cast<u32>(op.arg("id"));
  *d = s.objects.get(id, ObjType::Selftest, "test.stdev_not_found");
  return d->ok() ? s.device_by_stdev(id) : nullptr;
}

// iommufd_device_attach() or _replace() of the stdev's device at `pasid` to
// `pt_id`, which answers the HWPT attached.
StepResult change_attachment(State& s, const Op& op, u32 pasid, bool replace) {
  Decision d;
  Device* dev = stdev_of(s, op, &d);
  if (!dev) return from(d);
  u32 pt_id = static_cast<u32>(op.arg("pt_id"));
  d = replace ? device_replace(s, *dev, pasid, &pt_id) : device_attach(s, *dev, pasid, &pt_id);
  if (!d.ok()) return from(d);
  StepResult r;
  r.out["pt_id"] = pt_id;
  return r;
}

}  // namespace

StepResult test_mock_domain(State& s, const Op& op) {
  const bool with_flags = op.name == "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS";
  const u64 dev_flags = with_flags ? op.arg("dev_flags") : 0;
  // iommufd_test_mock_domain(): the selftest object first.
  const u32 stdev_id = s.objects.alloc(ObjType::Selftest);
  // mock_dev_create(): the flags this kernel's mock knows. 6.12 has NO_DIRTY
  // and HUGE_IOVA; 7.2 NO_DIRTY and PASID (HUGE_IOVA went with the generic page
  // table, PASID came in 6.15). Checked only at those two versions.
  const bool v72 = spec::version_satisfies(s.config.version, ">=7.2");
  const u64 valid = kMockFlagNoDirty | (pasid_ops_exist(s) ? kMockFlagPasid : 0) | (v72 ? 0 : kMockFlagHugeIova);
  if (dev_flags & ~valid) {
    s.objects.erase(stdev_id);  // iommufd_object_abort
    return from(fail("test.mock_dev_flags_unknown"));
  }
  if (dev_flags & kMockFlagHugeIova) {
    s.objects.erase(stdev_id);
    throw std::invalid_argument(op.name + ": MOCK_FLAGS_DEVICE_HUGE_IOVA (huge mock pages) is not modelled");
  }
  // Measured on 6.12.95 in our guest: every MOCK_DOMAIN fails EINVAL. Before
  // the mock registered as an IOMMU of its own (7.2: iommu_mock_device_add), a
  // device without a fwspec got the ops of the one fwnode-less IOMMU there,
  // VT-d (iommu.c:__iommu_probe_device), which finds no DMAR unit for it; the
  // mock then has no IOMMU and iommufd_device_bind() refuses it for cache
  // coherency. Pinned only at 6.12 and 7.2 (gate: the PASID series, 6.15).
  if (!pasid_ops_exist(s)) {
    s.objects.erase(stdev_id);
    return from(fail("test.mock_device_without_iommu"));
  }
  // The mock device, alone in a new IOMMU group, bound: iommufd_device_bind().
  size_t mocks = 0;
  for (const auto& d : s.devices) mocks += d.mock;
  s.groups.push_back(Group{"", 0, {}, {}});
  Device dev;
  dev.name = "mock" + std::to_string(mocks);
  dev.group = s.groups.size() - 1;
  dev.mock = true;
  dev.stdev_id = stdev_id;
  // "pasid-num-bits" is 0 (max_pasids 1: only PASID 0) or MOCK_PASID_WIDTH.
  dev.max_pasids = (dev_flags & kMockFlagPasid) ? (u32{1} << kMockPasidWidth) : 1;
  dev.idev_id = s.objects.alloc(ObjType::Device);
  s.objects.find(dev.idev_id)->users = 1;  // held by the selftest object until it is destroyed
  s.devices.push_back(dev);
  Device& added = s.devices.back();
  u32 pt_id = static_cast<u32>(op.arg("id"));
  Decision d = device_attach(s, added, 0, &pt_id);
  if (!d.ok()) {  // out_unbind, out_mdev, out_sobj: nothing remains
    s.objects.erase(added.idev_id);
    s.objects.erase(stdev_id);
    s.devices.pop_back();
    s.groups.pop_back();
    return from(d);
  }
  StepResult r;
  r.out["out_stdev_id"] = stdev_id;
  r.out["out_hwpt_id"] = pt_id;
  r.out["out_idev_id"] = added.idev_id;
  return r;
}

StepResult test_mock_domain_replace(State& s, const Op& op) { return change_attachment(s, op, 0, true); }

StepResult test_pasid_attach(State& s, const Op& op) {
  if (!pasid_ops_exist(s)) return from(fail("test.op_unknown"));
  return change_attachment(s, op, static_cast<u32>(op.arg("pasid")), false);
}

StepResult test_pasid_replace(State& s, const Op& op) {
  if (!pasid_ops_exist(s)) return from(fail("test.op_unknown"));
  return change_attachment(s, op, static_cast<u32>(op.arg("pasid")), true);
}

StepResult test_pasid_detach(State& s, const Op& op) {
  if (!pasid_ops_exist(s)) return from(fail("test.op_unknown"));
  Decision d;
  Device* dev = stdev_of(s, op, &d);
  if (!dev) return from(d);
  hw_pagetable_detach(s, *dev, static_cast<u32>(op.arg("pasid")));  // iommufd_device_detach: never fails
  return {};
}

StepResult test_pasid_check_hwpt(State& s, const Op& op) {
  if (!pasid_ops_exist(s)) return from(fail("test.op_unknown"));
  Decision d;
  Device* dev = stdev_of(s, op, &d);
  if (!dev) return from(d);
  // iommu_attach_handle_get(group, pasid): the HWPT whose domain the IOMMU core
  // has at that PASID, the very lookup translate() makes.
  const u32 attached = s.pasid_domain(*dev, static_cast<u32>(op.arg("pasid")));
  const u32 hwpt_id = static_cast<u32>(op.arg("hwpt_id"));
  if (!hwpt_id) return from(attached ? fail("test.pasid_check_attached") : success());
  // iommufd_get_hwpt(): any object, then a HWPT type.
  const Object* obj = s.objects.find(hwpt_id);
  if (!obj) return from(fail("test.pasid_check_hwpt_not_found"));
  if (obj->type != ObjType::HwptPaging) return from(fail("test.pasid_check_not_hwpt"));
  return from(attached == hwpt_id ? success() : fail("test.pasid_check_other_domain"));
}

StepResult test_md_check_map(State& s, const Op& op) {
  // iommufd_test_md_check_pa(): everything in mock pages (1 << __ffs(pgsize_bitmap)),
  // checked after the HWPT lookup in 7.2 and before it in 6.12 (a constant
  // then); the two versions are the only points pinned, the gate is ours.
  const u64 page = Platform::mock().pgsize_min;
  u64 iova = op.arg("iova"), length = op.arg("length"), uptr = op.arg("uptr"), end = 0;
  const bool misaligned = iova % page || length % page || uptr % page || add_overflows(uptr, length, &end);
  if (misaligned && !spec::version_satisfies(s.config.version, ">=6.15")) return from(fail("test.md_check_misaligned"));
  // get_md_pagetable(): a paging HWPT whose domain the mock IOMMU made.
  const u32 hwpt_id = static_cast<u32>(op.arg("id"));
  Decision d = s.objects.get(hwpt_id, ObjType::HwptPaging, "test.md_hwpt_not_found");
  if (!d.ok()) return from(d);
  const Hwpt& hwpt = s.hwpts.at(hwpt_id);
  if (!hwpt.mock_domain) return from(fail("test.md_not_mock_domain"));
  if (misaligned) return from(fail("test.md_check_misaligned"));
  for (; length; length -= page, iova += page, uptr += page) {
    // get_user_pages_fast() of the user page first: an unbacked VA fails there.
    const auto user = s.memory.at_va(uptr);
    if (!user) return from(fail("test.md_check_uptr_unbacked"));
    // iova_to_phys() of the domain, which holds exactly the IOAS's areas (the
    // model has no stale translation): the area's byte, any access right.
    const Ioas& ioas = s.ioas.at(hwpt.ioas_id);
    const Area* area = ioas.iopt.area_at(iova);
    if (!area) return from(fail("test.md_check_mismatch"));
    const Pages& pages = s.pages.at(area->pages);
    const u64 byte = pages.base + area->start_byte + (iova - area->iova);
    std::optional<BufferByte> mapped;
    if (pages.file) {
      const Buffer* b = s.memory.by_fd(pages.fd);
      if (b && byte < b->length()) mapped = BufferByte{b, byte};
    } else {
      mapped = s.memory.at_va(byte);
    }
    if (!mapped || mapped->buffer != user->buffer || mapped->offset != user->offset)
      return from(fail("test.md_check_mismatch"));
  }
  return {};
}

void selftest_destroy(State& s, u32 stdev_id) {
  Device& dev = *s.device_by_stdev(stdev_id);
  // iommufd_selftest_destroy() detaches only the RID. With a PASID still
  // attached the device keeps a reference and iommufd_device_unbind() WARNs
  // (iommufd_object_destroy_user): a kernel splat, not modelled.
  if (!s.group_of(dev).pasid_attach.empty())
    throw std::invalid_argument("IOMMU_DESTROY of a mock device with a PASID attached (kernel WARN) is not modelled");
  hw_pagetable_detach(s, dev, 0);
  s.objects.erase(dev.idev_id);
  s.objects.erase(stdev_id);
  // The device is gone; its entry stays (groups are indexed) but owns nothing.
  dev.idev_id = 0;
  dev.stdev_id = 0;
}

}  // namespace ioconform::model
