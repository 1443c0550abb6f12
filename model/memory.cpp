// Placing scenario buffers at VAs of the exact requested alignment; see memory.h.
#include "model/memory.h"

#include <stdexcept>

namespace ioconform::model {

namespace {
// User VAs start here, well inside x86-64's lower half, like an mmap() hint.
constexpr u64 kVaBase = u64{1} << 40;
}

const Buffer& UserMemory::add(const std::string& name, u64 pages, bool memfd, u64 align) {
  if (!is_pow2(align) || align < kPageSize) throw std::invalid_argument("buffer " + name + ": align must be a power of two >= 4096");
  if (pages == 0) throw std::invalid_argument("buffer " + name + ": pages must be > 0");
  if (by_name(name)) throw std::invalid_argument("buffer " + name + " defined twice");
  // The lowest odd multiple of `align` above kVaBase and above every earlier buffer.
  u64 floor = kVaBase;
  for (const auto& b : buffers_) floor = std::max(floor, b.va + b.length() + (u64{1} << 30));
  u64 k = (floor + align - 1) / align;
  if (k % 2 == 0) k++;
  Buffer b{name, k * align, pages, memfd, memfd ? 1000 + static_cast<int>(buffers_.size()) : -1, align};
  buffers_.push_back(b);
  return buffers_.back();
}

const Buffer* UserMemory::by_name(const std::string& name) const {
  for (const auto& b : buffers_)
    if (b.name == name) return &b;
  return nullptr;
}

const Buffer* UserMemory::by_fd(int fd) const {
  for (const auto& b : buffers_)
    if (b.memfd && b.fd == fd) return &b;
  return nullptr;
}

std::optional<BufferByte> UserMemory::at_va(u64 va) const {
  for (const auto& b : buffers_)
    if (va >= b.va && va - b.va < b.length()) return BufferByte{&b, va - b.va};
  return std::nullopt;
}

}  // namespace ioconform::model
