// The translation oracle; see translate.h.
#include "model/translate.h"

namespace ioconform::model {

Translation translate(const State& s, const std::string& device, std::optional<u32> pasid, u64 iova,
                      Access access) {
  Translation t;
  const Device* dev = nullptr;
  for (const auto& d : s.devices)
    if (d.name == device) dev = &d;
  if (!dev) return t.why = "no such device", t;
  // The domain belongs to the IOMMU group: a device translates through the HWPT
  // its group is in, whether it attached itself, joined a sibling's attachment,
  // was carried along by a sibling's replace, or detached while a sibling stays
  // (device.c:iommufd_hw_pagetable_detach leaves the group's domain alone then).
  // A group with no attached member sits in the kernel's blocking domain (VFIO
  // claimed DMA ownership of the group at bind time, before that the default
  // domain is not reachable from userspace buffers either).
  //
  // A PASID-tagged DMA goes through the group's attachment at that PASID and
  // nothing else: without one the PASID is in the blocked domain
  // (iommu.c:iommu_detach_device_pasid -> iommu_remove_dev_pasid; the uAPI:
  // "otherwise attaching a PASID will blocked", include/uapi/linux/iommufd.h at
  // IOMMU_HWPT_ALLOC_PASID). It never falls back to the RID's domain.
  const u32 pasid_value = pasid.value_or(0);
  const u32 hwpt_id = s.pasid_domain(*dev, pasid_value);
  const Group& group = s.group_of(*dev);
  if (!hwpt_id) {
    if (pasid_value) return t.why = "no domain attached for this PASID", t;
    return t.why = group.label.empty() ? "device not attached" : "no device of its IOMMU group is attached", t;
  }
  const Hwpt& hwpt = s.hwpts.at(hwpt_id);
  const Ioas& ioas = s.ioas.at(hwpt.ioas_id);
  const Area* area = ioas.iopt.area_at(iova);
  if (!area) return t.why = "no area maps this IOVA", t;
  int granted = area->prot;
  if (s.config.platform.write_implies_read && (granted & kProtWrite)) granted |= kProtRead;
  const int need = access == Access::Read ? kProtRead : kProtWrite;
  if (!(granted & need)) return t.why = access == Access::Read ? "area not readable" : "area not writeable", t;
  const Pages& pages = s.pages.at(area->pages);
  const u64 byte = pages.base + area->start_byte + (iova - area->iova);
  if (pages.file) {
    const Buffer* b = s.memory.by_fd(pages.fd);
    if (!b || byte >= b->length()) return t.why = "file offset beyond the memfd", t;
    t.ok = true, t.buffer = b->name, t.offset = byte;
    return t;
  }
  auto at = s.memory.at_va(byte);
  if (!at) return t.why = "VA not backed by a buffer", t;
  t.ok = true, t.buffer = at->buffer->name, t.offset = at->offset;
  return t;
}

}  // namespace ioconform::model
