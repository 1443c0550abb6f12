// Kernel versions and version gates ("since 6.13", ">=6.12,<7.2").
//
// A KernelVersion is major.minor(.patch); a gate is a comma-separated conjunction of
// comparisons. Gates decide which rules, ioctls and scenarios apply to a kernel.
#pragma once
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace ioconform::spec {

struct KernelVersion {
  int major = 0, minor = 0, patch = 0;
  auto operator<=>(const KernelVersion&) const = default;
  std::string str() const;
};

// "7.2", "7.2.13", "6.12.95-1~bpo12+1" (anything after the numbers is ignored).
std::optional<KernelVersion> parse_version(std::string_view text);

// true when `v` satisfies `gate` (">=6.12", "<7.0", ">=6.12,<7.2", "6.13" meaning >=).
// An empty gate admits every version. Throws std::invalid_argument on a malformed gate.
bool version_satisfies(const KernelVersion& v, std::string_view gate);

}  // namespace ioconform::spec
