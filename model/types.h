// Vocabulary shared by every model file.
//
// Ranges follow the kernel's convention: `last` is inclusive, `end` exclusive,
// and `last + 1` can overflow (a range may end at U64_MAX), so code compares
// `last` values and never computes `last + 1` without checking.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace ioconform::model {

using u64 = std::uint64_t;
using u32 = std::uint32_t;

constexpr u64 kPageSize = 4096;                 // x86-64 PAGE_SIZE
constexpr u64 kHugePageSize = 2 * 1024 * 1024;  // HPAGE_SIZE with CONFIG_TRANSPARENT_HUGEPAGE
constexpr u64 kUlongMax = std::numeric_limits<u64>::max();  // ULONG_MAX on x86-64

// IOMMU_READ / IOMMU_WRITE as the area stores them (include/linux/iommu.h).
constexpr int kProtRead = 1;
constexpr int kProtWrite = 2;

// The outcome of one decision inside the model: success, or the spec rule that
// failed the op. Errors are values: the model never throws for a kernel errno.
struct Decision {
  int err = 0;           // 0 or a positive errno, always the rule's errno
  std::string rule;      // spec rule id; empty on success
  bool ok() const { return err == 0; }
};

// Fails through a spec rule: the errno comes from spec/rules.json, never from here.
// An id missing from the catalogue is a model bug and aborts loudly.
Decision fail(std::string_view rule_id);
inline Decision success() { return {}; }

// add with overflow check, as check_add_overflow().
inline bool add_overflows(u64 a, u64 b, u64* sum) { return __builtin_add_overflow(a, b, sum); }

inline bool is_pow2(u64 v) { return v && !(v & (v - 1)); }
u64 roundup_pow_of_two(u64 v);  // v <= 2^63
inline u64 lowest_set_bit(u64 v) { return v & -v; }  // 1UL << __ffs64(v), v != 0

}  // namespace ioconform::model
