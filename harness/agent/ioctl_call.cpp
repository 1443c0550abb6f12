// ioctl_in_arena: the struct, its size field, trailing bytes and a guard page.
#include "ioctl_call.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include "step_error.h"

namespace ioconform::agent {

RawCall ioctl_in_arena(int fd, unsigned long request, void* s, size_t struct_size, uint32_t size_field,
                       std::optional<uint64_t> trailing) {
  constexpr size_t kPage = 4096, kMaxZeroed = 1 << 20;
  size_t want = std::max<size_t>(struct_size + sizeof(uint64_t), std::min<size_t>(size_field, kMaxZeroed));
  size_t arena = (want + kPage - 1) / kPage * kPage;
  void* base = ::mmap(nullptr, arena + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) throw StepError("cannot allocate the ioctl arena");
  ::mprotect(static_cast<char*>(base) + arena, kPage, PROT_NONE);
  auto* bytes = static_cast<uint8_t*>(base);
  std::memcpy(bytes, s, struct_size);
  std::memcpy(bytes, &size_field, sizeof(size_field));  // every uAPI struct here opens with u32 size/argsz
  if (trailing) std::memcpy(bytes + struct_size, &*trailing, sizeof(uint64_t));
  long ret = ::ioctl(fd, request, bytes);
  int err = ret < 0 ? errno : 0;
  std::memcpy(s, bytes, struct_size);
  ::munmap(base, arena + kPage);
  return RawCall{ret, err};
}

}  // namespace ioconform::agent
