// ScratchWindow: a page of agent memory, briefly visible to a device.
//
// edu's buffer is reachable only by DMA, so reading back what a DMA_READ probe
// fetched (and loading the token a DMA_WRITE probe writes) needs a page the
// device can reach through its own IOMMU domain. The window maps one agent page
// into the IOAS behind the HWPT the device's group is attached to (or, for a
// device whose group is attached to nothing, the IOAS of a ScratchAttachment) with a non-fixed
// IOMMU_IOAS_MAP (the kernel picks a free IOVA inside the allowed ranges) and
// unmaps exactly that area when it goes out of scope, so the scenario's IOAS is
// as it was before the probe. The page is never a scenario buffer, and its IOVA
// is kept clear of the probed range so the probe cannot land in it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ioconform::agent {

class ScratchWindow {
 public:
  // Map the page into `ioas_id`, avoiding [avoid_iova, avoid_iova + avoid_len).
  // `ok()` is false (with `error()` set to the errno) if the kernel refused.
  ScratchWindow(int iommufd, uint32_t ioas_id, uint64_t avoid_iova, uint64_t avoid_len);
  ~ScratchWindow();
  ScratchWindow(const ScratchWindow&) = delete;
  ScratchWindow& operator=(const ScratchWindow&) = delete;

  bool ok() const { return iova_.has_value(); }
  int error() const { return error_; }
  uint64_t iova() const { return *iova_; }
  std::span<uint8_t> bytes() { return {page_, kSize}; }

  static constexpr uint64_t kSize = 4096;

 private:
  std::optional<uint64_t> map_once();
  void unmap(uint64_t iova);

  int iommufd_;
  uint32_t ioas_id_;
  uint8_t* page_ = nullptr;
  std::optional<uint64_t> iova_;
  int error_ = 0;
};

}  // namespace ioconform::agent
