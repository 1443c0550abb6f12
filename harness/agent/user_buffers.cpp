// UserBuffers: exact-alignment allocation, pattern fill, token search.
#include "user_buffers.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "pattern.h"
#include "step_error.h"

namespace ioconform::agent {
namespace {

constexpr uint64_t kPage = 4096;

bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

// A VA range of `size` bytes at a multiple of `align` that is not a multiple of
// 2*align, plus `offset`. Reserve size + 3*align of address space with
// PROT_NONE, pick the first such address inside it, and give the rest back.
uint64_t reserve_exact(uint64_t size, uint64_t align, uint64_t offset) {
  uint64_t span = size + 3 * align;
  void* p = ::mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw StepError(std::string("reserving buffer VA: ") + std::strerror(errno));
  uint64_t base = reinterpret_cast<uint64_t>(p);
  uint64_t va = (base + align - 1) & ~(align - 1);
  if ((va / align) % 2 == 0) va += align;  // odd multiple: aligned to align, not 2*align
  va += offset;
  if (va > base) ::munmap(p, va - base);
  uint64_t end = base + span;
  if (end > va + size) ::munmap(reinterpret_cast<void*>(va + size), end - (va + size));
  return va;
}

}  // namespace

UserBuffers::~UserBuffers() {
  for (auto& b : buffers_) {
    ::munmap(reinterpret_cast<void*>(b.va), b.size);
    if (b.memfd >= 0) ::close(b.memfd);
  }
}

void UserBuffers::allocate(const nlohmann::json& specs) {
  if (!specs.is_array()) throw StepError("setup.buffers must be a list");
  if (specs.size() > kMaxPatternBuffers) throw StepError("too many buffers for the pattern (max 128)");
  for (const auto& s : specs) {
    for (auto it = s.begin(); it != s.end(); ++it)
      if (it.key() != "name" && it.key() != "pages" && it.key() != "kind" && it.key() != "align" &&
          it.key() != "offset")
        throw StepError("buffer: unknown key '" + it.key() + "'");
    UserBuffer b;
    b.name = s.at("name").get<std::string>();
    if (find(b.name)) throw StepError("buffer '" + b.name + "' defined twice");
    uint64_t pages = s.at("pages").get<uint64_t>();
    b.kind = s.value("kind", std::string("anon"));
    uint64_t align = s.value("align", kPage);
    uint64_t offset = s.value("offset", uint64_t{0});
    if (pages == 0) throw StepError("buffer '" + b.name + "': pages must be > 0");
    if (!is_pow2(align) || align < kPage) throw StepError("buffer '" + b.name + "': align must be a power of two >= 4096");
    if (offset % kPage || offset >= align) throw StepError("buffer '" + b.name + "': offset must be a page multiple below align");
    b.size = pages * kPage;
    b.va = reserve_exact(b.size, align, offset);
    void* want = reinterpret_cast<void*>(b.va);
    void* got;
    if (b.kind == "anon") {
      got = ::mmap(want, b.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    } else if (b.kind == "memfd") {
      b.memfd = ::memfd_create(b.name.c_str(), 0);
      if (b.memfd < 0 || ::ftruncate(b.memfd, static_cast<off_t>(b.size)) != 0)
        throw StepError("memfd for '" + b.name + "': " + std::strerror(errno));
      got = ::mmap(want, b.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, b.memfd, 0);
    } else {
      throw StepError("buffer '" + b.name + "': unknown kind '" + b.kind + "'");
    }
    if (got != want) throw StepError("mapping buffer '" + b.name + "': " + std::strerror(errno));
    pattern_fill(b.bytes(), static_cast<unsigned>(buffers_.size()), 0);
    buffers_.push_back(std::move(b));
  }
}

const UserBuffer* UserBuffers::find(const std::string& name) const {
  for (const auto& b : buffers_)
    if (b.name == name) return &b;
  return nullptr;
}

std::optional<std::pair<unsigned, uint64_t>> UserBuffers::search(std::span<const uint8_t> token) const {
  if (token.empty()) return std::nullopt;
  for (unsigned i = 0; i < buffers_.size(); ++i) {
    auto bytes = buffers_[i].bytes();
    auto it = std::search(bytes.begin(), bytes.end(), token.begin(), token.end());
    if (it != bytes.end()) return std::make_pair(i, static_cast<uint64_t>(it - bytes.begin()));
  }
  return std::nullopt;
}

size_t UserBuffers::restore_pattern() {
  size_t n = 0;
  for (unsigned i = 0; i < buffers_.size(); ++i) n += pattern_restore(buffers_[i].bytes(), i, 0);
  return n;
}

}  // namespace ioconform::agent
