// ScratchWindow: transient non-fixed map of one agent page into an IOAS.
#include "scratch_window.h"

#include <linux/iommufd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "step_error.h"

namespace ioconform::agent {

ScratchWindow::ScratchWindow(int iommufd, uint32_t ioas_id, uint64_t avoid_iova, uint64_t avoid_len)
    : iommufd_(iommufd), ioas_id_(ioas_id) {
  void* p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw StepError("cannot allocate the probe scratch page");
  page_ = static_cast<uint8_t*>(p);
  std::memset(page_, 0, kSize);
  // An allocation that overlaps the probed range is kept mapped while we ask
  // again, so the next answer must be elsewhere; then it is given back.
  std::vector<uint64_t> rejected;
  for (int tries = 0; tries < 4 && !iova_; ++tries) {
    auto got = map_once();
    if (!got) break;
    uint64_t last = *got + kSize - 1;
    uint64_t avoid_last = avoid_iova + (avoid_len ? avoid_len - 1 : 0);
    bool overlaps = *got <= avoid_last && avoid_iova <= last;
    if (overlaps)
      rejected.push_back(*got);
    else
      iova_ = got;
  }
  for (uint64_t r : rejected) unmap(r);
}

ScratchWindow::~ScratchWindow() {
  if (iova_) unmap(*iova_);
  ::munmap(page_, kSize);
}

std::optional<uint64_t> ScratchWindow::map_once() {
  iommu_ioas_map m{};
  m.size = sizeof(m);
  m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
  m.ioas_id = ioas_id_;
  m.user_va = reinterpret_cast<uint64_t>(page_);
  m.length = kSize;
  if (::ioctl(iommufd_, IOMMU_IOAS_MAP, &m) != 0) {
    error_ = errno;
    return std::nullopt;
  }
  return m.iova;
}

void ScratchWindow::unmap(uint64_t iova) {
  iommu_ioas_unmap u{};
  u.size = sizeof(u);
  u.ioas_id = ioas_id_;
  u.iova = iova;
  u.length = kSize;
  ::ioctl(iommufd_, IOMMU_IOAS_UNMAP, &u);
}

}  // namespace ioconform::agent
