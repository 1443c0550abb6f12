// Resolving scenario references; see resolve.h.
#include "conformance/resolve.h"

#include <charconv>

#include "spec/catalogue.h"

namespace ioconform::conformance {

std::uint64_t parse_u64(const nlohmann::json& v, const std::string& where) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i < 0) return static_cast<std::uint64_t>(i);  // -1 means the all-ones value, as in C
    return static_cast<std::uint64_t>(i);
  }
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (!v.is_string()) throw ScenarioError(where + ": expected an integer, got " + v.dump());
  const std::string s = v.get<std::string>();
  if (s == "U64_MAX") return UINT64_MAX;
  if (s == "U32_MAX") return UINT32_MAX;
  std::uint64_t out = 0;
  const bool hex = s.starts_with("0x") || s.starts_with("0X");
  const char* b = s.data() + (hex ? 2 : 0);
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), out, hex ? 16 : 10);
  if (ec != std::errc() || p != s.data() + s.size() || b == s.data() + s.size())
    throw ScenarioError(where + ": '" + s + "' is not an integer");
  return out;
}

namespace {

std::uint64_t resolve_value(const nlohmann::json& v, const Bindings& bindings, const std::string& where) {
  if (v.is_string() && v.get<std::string>().starts_with("$")) {
    auto it = bindings.find(v.get<std::string>());
    if (it == bindings.end())
      throw ScenarioError(where + ": " + v.get<std::string>() + " is not bound (did the step that binds it fail?)");
    return it->second;
  }
  return parse_u64(v, where);
}

std::uint64_t resolve_buffer_va(const nlohmann::json& v, const Bindings& bindings, const BufferAddresses& buffers,
                                const std::string& where) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (!s.empty() && s[0] != '$' && !std::isdigit(static_cast<unsigned char>(s[0])) && s != "U64_MAX") {
      std::uint64_t offset = 0;
      auto plus = s.find('+');
      if (plus != std::string::npos) {
        offset = parse_u64(nlohmann::json(s.substr(plus + 1)), where);
        s = s.substr(0, plus);
      }
      return buffers.va(s) + offset;
    }
  }
  return resolve_value(v, bindings, where);
}

std::uint64_t resolve_named(const nlohmann::json& v, const nlohmann::json& names, const Bindings& bindings,
                            const std::string& where) {
  if (v.is_array()) {
    std::uint64_t bits = 0;
    for (const auto& n : v) {
      if (!n.is_string() || !names.contains(n.get<std::string>()))
        throw ScenarioError(where + ": unknown flag " + n.dump() + " (known: " + names.dump() + ")");
      bits |= names[n.get<std::string>()].get<std::uint64_t>();
    }
    return bits;
  }
  if (v.is_string() && names.contains(v.get<std::string>())) return names[v.get<std::string>()].get<std::uint64_t>();
  return resolve_value(v, bindings, where);
}

}  // namespace

nlohmann::json resolve_args(const Step& step, const Bindings& bindings, const BufferAddresses& buffers,
                            const std::string& where) {
  const spec::Ioctl* io = spec::Catalogue::get().ioctl(step.op);
  nlohmann::json out = nlohmann::json::object();
  for (auto& [field, v] : step.args.items()) {
    const std::string w = where + ": " + step.op + "." + field;
    if (field == "dev") {
      if (!v.is_string()) throw ScenarioError(w + ": must name a device");
      out[field] = v;
    } else if (field == "user_va" || field == "uptr") {  // uptr: IOMMU_TEST_OP_MD_CHECK_MAP
      out[field] = resolve_buffer_va(v, bindings, buffers, w);
    } else if (field == "fd" && v.is_string() && !v.get<std::string>().starts_with("$")) {
      int fd = buffers.fd(v.get<std::string>());
      if (fd < 0) throw ScenarioError(w + ": buffer '" + v.get<std::string>() + "' is not a memfd");
      out[field] = fd;
    } else if (field == "ranges") {
      if (!v.is_array()) throw ScenarioError(w + ": must be a list of {start, last}");
      nlohmann::json ranges = nlohmann::json::array();
      for (const auto& r : v)
        ranges.push_back({{"start", resolve_value(r.at("start"), bindings, w)},
                          {"last", resolve_value(r.at("last"), bindings, w)}});
      out[field] = ranges;
    } else if ((field == "flags" || field == "dev_flags") && io) {  // dev_flags: IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS
      out[field] = resolve_named(v, io->flags, bindings, w);
    } else if (io && io->enums.contains(field)) {
      out[field] = resolve_named(v, io->enums[field], bindings, w);
    } else {
      out[field] = resolve_value(v, bindings, w);
    }
  }
  return out;
}

void bind_outputs(const Step& step, const nlohmann::json& out, Bindings& bindings) {
  for (auto& [field, name] : step.out.items())
    if (out.contains(field) && out[field].is_number()) bindings[name.get<std::string>()] = out[field].get<std::uint64_t>();
}

}  // namespace ioconform::conformance
