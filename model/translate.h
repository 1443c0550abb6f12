// The translation oracle: where a device's DMA to an IOVA lands.
//
// translate(device, pasid, iova, access) follows the kernel's chain: the domain
// of the device's IOMMU group (the paging HWPT an attached member of the group
// holds; for a device alone in its group, its own attachment), the IOAS behind
// it, the area covering the IOVA, the pages object, and finally the user memory
// (VA) or memfd offset. It faults when any link is missing or the area lacks the
// access right: IOMMU_READ for the device reading memory (DMA_READ), IOMMU_WRITE
// for it writing (DMA_WRITE).
#pragma once
#include <optional>
#include <string>

#include "model/state.h"

namespace ioconform::model {

enum class Access { Read, Write };

struct Translation {
  bool ok = false;
  std::string buffer;  // where the byte lands
  u64 offset = 0;
  std::string why;     // a fault's cause, for reports
};

Translation translate(const State& s, const std::string& device, std::optional<u32> pasid, u64 iova,
                      Access access);

}  // namespace ioconform::model
