// UserBuffers: the scenario's named user memory, at the VA alignment it asks for.
//
// The kernel picks the IOVA of a non-fixed map from the user VA's alignment
// (drivers/iommu/iommufd/io_pagetable.c:iopt_alloc_iova() keeps the alignment
// present in addr), so the VA is part of the scenario: a buffer with `align` A
// sits at a multiple of A that is NOT a multiple of 2A (plus `offset`, a page
// multiple below A, when given). `anon` is private anonymous memory, `memfd` a
// shared mapping of a memfd whose fd IOMMU_IOAS_MAP_FILE can take.
// Every byte holds the buffer/offset pattern (pattern.h); offsets of a memfd
// buffer are file offsets, since the VA maps the file from 0.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ioconform::agent {

struct UserBuffer {
  std::string name;
  std::string kind;  // "anon" | "memfd"
  uint64_t va = 0;
  uint64_t size = 0;
  int memfd = -1;
  std::span<uint8_t> bytes() const { return {reinterpret_cast<uint8_t*>(va), size}; }
};

class UserBuffers {
 public:
  UserBuffers() = default;
  ~UserBuffers();
  UserBuffers(const UserBuffers&) = delete;
  UserBuffers& operator=(const UserBuffers&) = delete;

  // Allocate and pattern-fill the `setup.buffers` list; throws StepError on a bad entry.
  void allocate(const nlohmann::json& specs);

  const UserBuffer* find(const std::string& name) const;
  const std::vector<UserBuffer>& all() const { return buffers_; }

  // Where a token written by a device landed: the buffer index and byte offset
  // of the first occurrence of `token`, searching buffers in order.
  std::optional<std::pair<unsigned, uint64_t>> search(std::span<const uint8_t> token) const;

  // Put the pattern back wherever a probe overwrote it; returns bytes rewritten.
  size_t restore_pattern();

 private:
  std::vector<UserBuffer> buffers_;
};

}  // namespace ioconform::agent
