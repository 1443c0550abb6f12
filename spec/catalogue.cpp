// Loading and querying the spec catalogue; see catalogue.h.
#include "spec/catalogue.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ioconform::spec {
namespace embedded {
extern const char* const ioctls_json;
extern const char* const rules_json;
extern const char* const invariants_json;
}  // namespace embedded

namespace {

struct ErrnoName {
  const char* name;
  int value;
};
// Every errno iommufd or VFIO returns to userspace, by the name the reports use.
constexpr ErrnoName kErrnos[] = {
    {"EPERM", EPERM},   {"ENOENT", ENOENT},   {"EIO", EIO},           {"ENXIO", ENXIO},
    {"E2BIG", E2BIG},   {"EBADF", EBADF},     {"ENOMEM", ENOMEM},     {"EFAULT", EFAULT},
    {"EBUSY", EBUSY},   {"EEXIST", EEXIST},   {"ENODEV", ENODEV},     {"EINVAL", EINVAL},
    {"ENOSPC", ENOSPC}, {"ENOTTY", ENOTTY},   {"ERANGE", ERANGE},     {"EDEADLK", EDEADLK},
    {"EOVERFLOW", EOVERFLOW}, {"EOPNOTSUPP", EOPNOTSUPP}, {"EADDRINUSE", EADDRINUSE},
    {"EMSGSIZE", EMSGSIZE}, {"EACCES", EACCES}, {"ESRCH", ESRCH}, {"EAGAIN", EAGAIN},
};

std::string text_of(const nlohmann::json& j, const char* key) {
  return j.contains(key) ? j.at(key).get<std::string>() : std::string{};
}

}  // namespace

int errno_from_name(std::string_view name) {
  for (const auto& e : kErrnos)
    if (name == e.name) return e.value;
  return -1;
}

std::string errno_name(int value) {
  for (const auto& e : kErrnos)
    if (value == e.value) return e.name;
  return "E?" + std::to_string(value);
}

const Field* Ioctl::field(std::string_view n) const {
  for (const auto& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

unsigned Ioctl::size_for(const KernelVersion& v) const {
  if (!legacy_below.empty() && !version_satisfies(v, ">=" + legacy_below)) return legacy_size;
  return size;
}

Catalogue Catalogue::from_json(const std::string& ioctls, const std::string& rules,
                               const std::string& invariants) {
  Catalogue c;
  // Parsed documents live in locals: a range-for over parse(...).at(...) would
  // iterate a reference into a destroyed temporary (fixed only in C++23).
  const auto ioctls_doc = nlohmann::json::parse(ioctls);
  const auto rules_doc = nlohmann::json::parse(rules);
  const auto invariants_doc = nlohmann::json::parse(invariants);
  for (const auto& j : ioctls_doc.at("ioctls")) {
    Ioctl io;
    io.name = j.at("name");
    io.type = j.at("type");
    io.nr = j.at("nr");
    io.strukt = j.at("struct");
    io.size = j.at("size");
    io.min_size = j.at("min_size");
    io.since = text_of(j, "since");
    io.flags = j.value("flags", nlohmann::json::object());
    io.enums = j.value("enums", nlohmann::json::object());
    if (j.contains("legacy_size")) {
      io.legacy_below = j["legacy_size"].at("below");
      io.legacy_size = j["legacy_size"].at("size");
    }
    for (const auto& f : j.at("fields"))
      io.fields.push_back({f.at("name"), f.at("offset"), f.at("size"), text_of(f, "domain"),
                           f.value("out", false)});
    c.ioctls_.push_back(std::move(io));
  }
  for (const auto& j : rules_doc.at("rules")) {
    Rule r;
    r.id = j.at("id");
    r.op = j.at("op");
    r.errno_name = j.at("errno");
    r.errno_value = errno_from_name(r.errno_name);
    if (r.errno_value < 0) throw std::runtime_error("rule " + r.id + ": unknown errno " + r.errno_name);
    std::string at = j.at("at");
    auto colon = at.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("rule " + r.id + ": 'at' must be file:function");
    r.file = at.substr(0, colon);
    r.function = at.substr(colon + 1);
    r.code = j.at("code");
    r.nth = j.value("nth", 1);
    r.versions = text_of(j, "versions");
    r.summary = j.at("summary");
    for (const auto& o : j.value("older", nlohmann::json::array())) {
      Citation c;
      c.versions = o.at("versions");
      std::string oat = o.at("at");
      c.file = oat.substr(0, oat.rfind(':'));
      c.function = oat.substr(oat.rfind(':') + 1);
      c.code = o.at("code");
      c.nth = o.value("nth", 1);
      r.older.push_back(c);
    }
    if (j.contains("unreachable")) {
      r.reachable = false;
      r.unreachable_why = j.at("unreachable");
    }
    for (const auto& other : c.rules_)
      if (other.id == r.id) throw std::runtime_error("duplicate rule id " + r.id);
    c.rules_.push_back(std::move(r));
  }
  for (const auto& j : invariants_doc.at("invariants"))
    c.invariants_.push_back({j.at("id"), j.at("summary"), j.at("statement")});
  return c;
}

const Catalogue& Catalogue::get() {
  static const Catalogue c =
      from_json(embedded::ioctls_json, embedded::rules_json, embedded::invariants_json);
  return c;
}

const Ioctl* Catalogue::ioctl(std::string_view name) const {
  for (const auto& i : ioctls_)
    if (i.name == name) return &i;
  return nullptr;
}

const Rule* Catalogue::rule(std::string_view id) const {
  for (const auto& r : rules_)
    if (r.id == id) return &r;
  return nullptr;
}

CitationLine locate_citation(const std::string& kernel_tree, const Rule& primary,
                             const std::optional<KernelVersion>& version) {
  Citation rule{primary.versions, primary.file, primary.function, primary.code, primary.nth};
  if (version)
    for (const auto& o : primary.older)
      if (version_satisfies(*version, o.versions)) rule = o;
  std::ifstream in(kernel_tree + "/" + rule.file);
  if (!in) return {std::nullopt, "no file " + rule.file};
  std::string line;
  int n = 0;
  bool in_function = false;
  int depth = 0;
  bool opened = false;
  int seen = 0;
  // A function definition starts at a line that names it followed by '(' and
  // does not end with ';' (a prototype); its body ends when braces balance.
  while (std::getline(in, line)) {
    n++;
    if (!in_function) {
      auto pos = line.find(rule.function + "(");
      bool at_word = pos != std::string::npos &&
                     (pos == 0 || !(std::isalnum(static_cast<unsigned char>(line[pos - 1])) || line[pos - 1] == '_'));
      if (at_word && line.find(';') == std::string::npos && line.front() != ' ' && line.front() != '\t') {
        in_function = true;
        depth = 0;
        opened = false;
        seen = 0;
      } else {
        continue;
      }
    }
    if (line.find(rule.code) != std::string::npos && ++seen == rule.nth) return {n, {}};
    for (char ch : line) {
      if (ch == '{') depth++, opened = true;
      if (ch == '}') depth--;
    }
    if (opened && depth == 0) in_function = false;  // end of this definition; keep looking
  }
  return {std::nullopt, "'" + rule.code + "' not found in " + rule.function + "() of " + rule.file};
}

std::optional<KernelVersion> kernel_tree_version(const std::string& kernel_tree) {
  std::ifstream in(kernel_tree + "/Makefile");
  std::string line;
  int parts[3] = {-1, -1, 0};
  const char* keys[3] = {"VERSION = ", "PATCHLEVEL = ", "SUBLEVEL = "};
  while (std::getline(in, line))
    for (int i = 0; i < 3; i++)
      if (line.starts_with(keys[i])) parts[i] = std::atoi(line.c_str() + std::strlen(keys[i]));
  if (parts[0] < 0 || parts[1] < 0) return std::nullopt;
  return KernelVersion{parts[0], parts[1], parts[2]};
}

nlohmann::json to_json(const Rule& r) {
  nlohmann::json j = {{"id", r.id},           {"op", r.op},
                      {"errno", r.errno_name}, {"at", r.file + ":" + r.function},
                      {"code", r.code},       {"versions", r.versions},
                      {"summary", r.summary}, {"reachable", r.reachable}};
  if (r.nth != 1) j["nth"] = r.nth;
  if (!r.older.empty()) {
    j["older"] = nlohmann::json::array();
    for (const auto& o : r.older)
      j["older"].push_back({{"versions", o.versions}, {"at", o.file + ":" + o.function}, {"code", o.code}, {"nth", o.nth}});
  }
  if (!r.reachable) j["unreachable"] = r.unreachable_why;
  return j;
}

}  // namespace ioconform::spec
