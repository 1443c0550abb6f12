// Kernel version parsing and gate evaluation; see version.h.
#include "spec/version.h"

#include <charconv>
#include <stdexcept>

namespace ioconform::spec {

std::string KernelVersion::str() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor);
  if (patch) s += "." + std::to_string(patch);
  return s;
}

std::optional<KernelVersion> parse_version(std::string_view text) {
  KernelVersion v;
  int* parts[] = {&v.major, &v.minor, &v.patch};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; i++) {
    auto [next, ec] = std::from_chars(p, end, *parts[i]);
    if (ec != std::errc()) {
      if (i < 2) return std::nullopt;  // at least major.minor
      break;
    }
    p = next;
    if (p == end || *p != '.') break;
    p++;
  }
  return v;
}

bool version_satisfies(const KernelVersion& v, std::string_view gate) {
  while (!gate.empty()) {
    auto comma = gate.find(',');
    std::string_view term = gate.substr(0, comma);
    gate = comma == std::string_view::npos ? std::string_view{} : gate.substr(comma + 1);
    while (!term.empty() && term.front() == ' ') term.remove_prefix(1);
    if (term.empty()) continue;
    std::string_view op = ">=";
    for (std::string_view candidate : {">=", "<=", "==", ">", "<"}) {
      if (term.starts_with(candidate)) {
        op = candidate;
        term.remove_prefix(candidate.size());
        break;
      }
    }
    auto bound = parse_version(term);
    if (!bound) throw std::invalid_argument("malformed version gate term '" + std::string(term) + "'");
    bool ok = op == ">="   ? v >= *bound
              : op == "<=" ? v <= *bound
              : op == "==" ? v == *bound
              : op == ">"  ? v > *bound
                           : v < *bound;
    if (!ok) return false;
  }
  return true;
}

}  // namespace ioconform::spec
