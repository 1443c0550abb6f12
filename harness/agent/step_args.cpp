// StepArgs: value resolution (numbers, hex, U64_MAX, $bindings, buffer refs, flag names).
#include "step_args.h"

#include <limits>

#include "step_error.h"

namespace ioconform::agent {
namespace {

bool parse_unsigned(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  int base = 10;
  size_t start = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    start = 2;
  }
  uint64_t v = 0;
  for (size_t i = start; i < s.size(); ++i) {
    char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return false;
    if (v > (std::numeric_limits<uint64_t>::max() - d) / static_cast<unsigned>(base))
      throw StepError("integer '" + s + "' does not fit in 64 bits");
    v = v * static_cast<unsigned>(base) + d;
  }
  *out = v;
  return true;
}

}  // namespace

StepArgs::StepArgs(const nlohmann::json& args, ScenarioContext& ctx) : args_(args), ctx_(ctx) {
  if (!args_.is_object()) throw StepError("args must be an object");
}

const nlohmann::json& StepArgs::raw(const std::string& key) {
  used_.insert(key);
  return args_.at(key);
}

uint64_t StepArgs::value(const nlohmann::json& v, const std::string& where) const {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) return static_cast<uint64_t>(v.get<int64_t>());  // -1 for an fd: two's complement
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (!v.is_string()) throw StepError(where + ": expected an integer, got " + v.dump());
  const std::string s = v.get<std::string>();
  if (s.empty()) throw StepError(where + ": empty value");
  if (s[0] == '$') {
    auto it = ctx_.bindings.find(s.substr(1));
    if (it == ctx_.bindings.end()) throw StepError(where + ": '" + s + "' is not bound by an earlier successful step");
    return value(it->second, where);
  }
  if (s == "U64_MAX") return std::numeric_limits<uint64_t>::max();
  if (s == "U32_MAX") return std::numeric_limits<uint32_t>::max();
  if (s == "U16_MAX") return std::numeric_limits<uint16_t>::max();
  uint64_t n;
  if (s[0] == '-') {
    if (!parse_unsigned(s.substr(1), &n)) throw StepError(where + ": bad integer '" + s + "'");
    return static_cast<uint64_t>(-static_cast<int64_t>(n));
  }
  if (parse_unsigned(s, &n)) return n;
  // A buffer reference: "buf0" or "buf0+8192" is the user VA of that byte.
  size_t plus = s.find('+');
  std::string name = s.substr(0, plus);
  uint64_t offset = 0;
  if (plus != std::string::npos && !parse_unsigned(s.substr(plus + 1), &offset))
    throw StepError(where + ": bad offset in buffer reference '" + s + "'");
  if (const UserBuffer* b = ctx_.buffers.find(name)) return b->va + offset;
  throw StepError(where + ": '" + s + "' is neither an integer nor a buffer");
}

uint64_t StepArgs::u64(const std::string& key, uint64_t dflt) {
  if (!has(key)) return dflt;
  return value(raw(key), key);
}

uint32_t StepArgs::u32(const std::string& key, uint32_t dflt) {
  if (!has(key)) return dflt;
  uint64_t v = value(raw(key), key);
  if (v > std::numeric_limits<uint32_t>::max()) throw StepError(key + ": value does not fit the u32 field");
  return static_cast<uint32_t>(v);
}

uint16_t StepArgs::u16(const std::string& key, uint16_t dflt) {
  if (!has(key)) return dflt;
  uint64_t v = value(raw(key), key);
  if (v > std::numeric_limits<uint16_t>::max()) throw StepError(key + ": value does not fit the u16 field");
  return static_cast<uint16_t>(v);
}

int32_t StepArgs::s32(const std::string& key, int32_t dflt) {
  if (!has(key)) return dflt;
  auto v = static_cast<int64_t>(value(raw(key), key));
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    throw StepError(key + ": value does not fit the s32 field");
  return static_cast<int32_t>(v);
}

uint64_t StepArgs::named(const std::string& key, const NameTable& names, uint64_t dflt) {
  if (!has(key)) return dflt;
  const nlohmann::json& v = raw(key);
  auto one = [&](const nlohmann::json& item) -> uint64_t {
    if (item.is_string()) {
      const std::string s = item.get<std::string>();
      for (const auto& [n, bits] : names)
        if (s == n) return bits;
    }
    return value(item, key);  // a number, hex string or $binding
  };
  if (!v.is_array()) return one(v);
  uint64_t bits = 0;
  for (const auto& item : v) bits |= one(item);
  return bits;
}

int32_t StepArgs::fd(const std::string& key) {
  const nlohmann::json& v = raw(key);
  if (v.is_string()) {
    if (const UserBuffer* b = ctx_.buffers.find(v.get<std::string>())) {
      if (b->memfd < 0) throw StepError(key + ": buffer '" + b->name + "' is not a memfd");
      return b->memfd;
    }
  }
  used_.erase(key);
  return s32(key);
}

DeviceSlot& StepArgs::device(const std::string& key) {
  if (!has(key)) throw StepError("missing '" + key + "' (a device name)");
  const nlohmann::json& v = raw(key);
  if (!v.is_string()) throw StepError(key + ": expected a device name");
  return ctx_.device(v.get<std::string>());
}

void StepArgs::check_all_used() const {
  std::string unknown;
  for (auto it = args_.begin(); it != args_.end(); ++it)
    if (!used_.count(it.key())) unknown += (unknown.empty() ? "" : ", ") + it.key();
  if (!unknown.empty()) throw StepError("unknown argument(s) for this op: " + unknown);
}

}  // namespace ioconform::agent
