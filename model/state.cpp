// State helpers; see state.h.
#include "model/state.h"

#include <set>

namespace ioconform::model {

Device* State::device_by_name(const std::string& name) {
  for (auto& d : devices)
    if (d.name == name) return &d;
  return nullptr;
}

Device* State::device_by_idev(u32 idev_id) {
  for (auto& d : devices)
    if (idev_id && d.idev_id == idev_id) return &d;
  return nullptr;
}

Device* State::device_by_stdev(u32 stdev_id) {
  for (auto& d : devices)
    if (stdev_id && d.stdev_id == stdev_id) return &d;
  return nullptr;
}

const Platform& State::platform_of(const Device& dev) const {
  static const Platform mock = Platform::mock();
  return dev.mock ? mock : config.platform;
}

u32 State::pasid_domain(const Device& dev, u32 pasid) const {
  const Group& group = group_of(dev);
  if (pasid == 0) return group.hwpt_id;
  auto it = group.pasid_attach.find(pasid);
  return it == group.pasid_attach.end() ? 0 : it->second.hwpt_id;
}

u64 State::pinned_pages() const {
  // A pages object pins the union of the page indexes its areas in domain-backed
  // IOASes cover (iopt_area_fill_domains pins once per pages, shared by areas).
  std::map<u32, std::set<u64>> pinned;
  for (const auto& [id, io] : ioas) {
    if (!io.iopt.has_domains()) continue;
    for (const auto& [start, a] : io.iopt.areas()) {
      u64 first = a.start_byte / kPageSize, last = (a.start_byte + a.length() - 1) / kPageSize;
      for (u64 i = first; i <= last; i++) pinned[a.pages].insert(i);
    }
  }
  u64 n = 0;
  for (const auto& [p, idx] : pinned) n += idx.size();
  return n;
}

}  // namespace ioconform::model
