// Issuing one uAPI ioctl the way a scenario describes it.
//
// iommufd and VFIO structs both open with a u32 size (`size` / `argsz`) that
// defaults to sizeof the kernel struct. A scenario may set it to exercise the
// size rules (drivers/iommu/iommufd/main.c:iommufd_fops_ioctl() rejects a size
// below the op's min_size with EINVAL and copy_struct_from_user() rejects
// non-zero bytes past the known struct with E2BIG), and `"__trailing": N` puts a
// non-zero u64 right after the struct (size then defaults to sizeof + 8).
//
// The struct is copied into an arena of whole pages followed by a PROT_NONE
// guard page: bytes between the struct and `size` are zero (up to 1 MiB), and a
// size that reaches past the arena hits the guard, so the kernel's answer to a
// huge size is a deterministic EFAULT instead of depending on whatever memory
// follows a stack variable.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "step_args.h"

namespace ioconform::agent {

// What a step answered; `out` only on success (IOVA_RANGES adds num_iovas on EMSGSIZE).
struct StepOutcome {
  long ret = 0;
  int err = 0;
  nlohmann::json out = nlohmann::json::object();
  nlohmann::json observations;  // null unless the step looked at the kernel log
};

struct RawCall {
  long ret;
  int err;
};

RawCall ioctl_in_arena(int fd, unsigned long request, void* s, size_t struct_size, uint32_t size_field,
                       std::optional<uint64_t> trailing);

// Read size/argsz and __trailing from `args`, check no argument is left
// unconsumed, then issue the ioctl on `s` (updated with what the kernel wrote back).
template <class T>
RawCall issue(int fd, unsigned long request, T& s, StepArgs& args, const char* size_key) {
  std::optional<uint64_t> trailing;
  if (args.has("__trailing")) trailing = args.u64("__trailing");
  uint32_t dflt = static_cast<uint32_t>(sizeof(T) + (trailing ? sizeof(uint64_t) : 0));
  uint32_t size = args.u32(size_key, dflt);
  args.check_all_used();
  return ioctl_in_arena(fd, request, &s, sizeof(T), size, trailing);
}

}  // namespace ioconform::agent
