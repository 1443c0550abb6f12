// User memory of the process issuing the ioctls: the scenario's named buffers.
//
// A buffer's VA matters to the kernel (iopt_alloc_iova keeps the VA's alignment
// in the IOVA it picks), so the model places each buffer at a VA with exactly the
// scenario's alignment: align * (2k + 1), a multiple of `align` and not of
// 2 * align. memfd buffers also have a file descriptor number for
// IOMMU_IOAS_MAP_FILE; the model uses its own numbers, the agent real fds.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "model/types.h"

namespace ioconform::model {

struct Buffer {
  std::string name;
  u64 va = 0;
  u64 pages = 0;
  bool memfd = false;
  int fd = -1;  // memfd only
  u64 align = kPageSize;
  u64 length() const { return pages * kPageSize; }
};

struct BufferByte {  // where a VA (or a file offset) lands
  const Buffer* buffer;
  u64 offset;
};

class UserMemory {
 public:
  // Adds a buffer; `align` must be a power of two >= kPageSize.
  const Buffer& add(const std::string& name, u64 pages, bool memfd, u64 align);
  const Buffer* by_name(const std::string& name) const;
  const Buffer* by_fd(int fd) const;
  std::optional<BufferByte> at_va(u64 va) const;
  const std::vector<Buffer>& buffers() const { return buffers_; }

 private:
  std::vector<Buffer> buffers_;
  u64 next_k_ = 1;  // buffers never overlap: each takes the next free odd multiple
};

}  // namespace ioconform::model
