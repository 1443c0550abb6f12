// Parsing and validating scenarios; see scenario.h.
#include "conformance/scenario.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "spec/catalogue.h"

namespace ioconform::conformance {

namespace {

[[noreturn]] void error(const std::string& source, const std::string& what) {
  throw ScenarioError(source + ": " + what);
}

bool is_probe(const std::string& op) { return op == "DMA_READ" || op == "DMA_WRITE"; }

}  // namespace

Scenario parse_scenario(const nlohmann::json& j, const std::string& source) {
  Scenario s;
  s.source = source;
  if (!j.is_object()) error(source, "a scenario is a JSON object");
  for (auto& [key, v] : j.items())
    if (key != "name" && key != "description" && key != "kernel" && key != "requires" && key != "setup" &&
        key != "steps")
      error(source, "unknown top-level key '" + key + "'");
  if (!j.contains("name") || !j["name"].is_string()) error(source, "missing string 'name'");
  s.name = j["name"];
  if (!std::regex_match(s.name, std::regex("[a-z0-9_]+"))) error(source, "name '" + s.name + "' must match [a-z0-9_]+");
  s.description = j.value("description", "");
  s.kernel = j.value("kernel", "");
  try {
    (void)spec::version_satisfies({7, 2, 0}, s.kernel);
  } catch (const std::exception& e) {
    error(source, std::string("kernel gate: ") + e.what());
  }
  for (const auto& r : j.value("requires", nlohmann::json::array())) s.requires_.push_back(r);
  const auto setup = j.value("setup", nlohmann::json::object());
  for (const auto& b : setup.value("buffers", nlohmann::json::array())) {
    BufferSpec bs;
    if (!b.contains("name")) error(source, "a buffer needs a 'name'");
    bs.name = b["name"];
    bs.pages = b.value("pages", 1);
    bs.kind = b.value("kind", "anon");
    bs.align = b.value("align", 4096);
    if (bs.kind != "anon" && bs.kind != "memfd") error(source, "buffer " + bs.name + ": kind must be anon or memfd");
    if (bs.align < 4096 || (bs.align & (bs.align - 1)))
      error(source, "buffer " + bs.name + ": align must be a power of two >= 4096");
    if (bs.pages == 0 || bs.pages > 65536) error(source, "buffer " + bs.name + ": pages must be 1..65536");
    s.buffers.push_back(bs);
  }
  for (const auto& d : setup.value("devices", nlohmann::json::array())) {
    DeviceSpec ds;
    if (!d.contains("name")) error(source, "a device needs a 'name'");
    ds.name = d["name"];
    ds.kind = d.value("kind", "edu");
    if (ds.kind != "edu") error(source, "device " + ds.name + ": only kind 'edu' is supported");
    if (d.contains("group")) {
      if (!d["group"].is_string() || d["group"].get<std::string>().empty())
        error(source, "device " + ds.name +
                          ": 'group' must be a non-empty string (devices with the same label share an IOMMU group)");
      ds.group = d["group"];
    }
    s.devices.push_back(ds);
  }
  if (!j.contains("steps") || !j["steps"].is_array()) error(source, "missing array 'steps'");
  size_t i = 0;
  for (const auto& st : j["steps"]) {
    const std::string where = "step " + std::to_string(i);
    if (!st.contains("op") || !st["op"].is_string()) error(source, where + ": missing string 'op'");
    Step step;
    step.op = st["op"];
    if (!is_probe(step.op) && !spec::Catalogue::get().ioctl(step.op))
      error(source, where + ": unknown op '" + step.op + "'");
    for (auto& [key, v] : st.items())
      if (key != "op" && key != "args" && key != "out" && key != "expect" && key != "comment")
        error(source, where + ": unknown key '" + key + "'");
    step.args = st.value("args", nlohmann::json::object());
    step.out = st.value("out", nlohmann::json::object());
    if (!step.args.is_object()) error(source, where + ": 'args' must be an object");
    for (auto& [field, name] : step.out.items())
      if (!name.is_string() || name.get<std::string>().size() < 2 || name.get<std::string>()[0] != '$')
        error(source, where + ": out." + field + " must be a \"$name\"");
    if (st.contains("expect")) {
      step.expect = st["expect"];
      if (!step.expect->is_object()) error(source, where + ": 'expect' must be an object");
      if (step.expect->contains("errno")) {
        const auto& e = (*step.expect)["errno"];
        if (!(e.is_number_integer() && e.get<int>() == 0) &&
            !(e.is_string() && spec::errno_from_name(e.get<std::string>()) > 0))
          error(source, where + ": expect.errno must be 0 or an errno name");
      }
      if (step.expect->contains("rule") && !spec::Catalogue::get().rule((*step.expect)["rule"].get<std::string>()))
        error(source, where + ": expect.rule '" + (*step.expect)["rule"].get<std::string>() + "' is not in spec/rules.json");
    }
    s.steps.push_back(std::move(step));
    i++;
  }
  return s;
}

Scenario load_scenario(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ScenarioError(path + ": cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw ScenarioError(path + ": invalid JSON: " + e.what());
  }
  return parse_scenario(j, path);
}

std::vector<Scenario> load_scenarios(const std::string& dir) {
  std::vector<std::string> files;
  if (!std::filesystem::is_directory(dir)) throw ScenarioError(dir + ": not a directory");
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<Scenario> out;
  for (const auto& f : files) out.push_back(load_scenario(f));
  return out;
}

nlohmann::json to_json(const Scenario& s) {
  nlohmann::json j;
  j["name"] = s.name;
  if (!s.description.empty()) j["description"] = s.description;
  if (!s.kernel.empty()) j["kernel"] = s.kernel;
  if (!s.requires_.empty()) j["requires"] = s.requires_;
  nlohmann::json buffers = nlohmann::json::array(), devices = nlohmann::json::array();
  for (const auto& b : s.buffers) buffers.push_back({{"name", b.name}, {"pages", b.pages}, {"kind", b.kind}, {"align", b.align}});
  for (const auto& d : s.devices) {
    nlohmann::json dj = {{"name", d.name}, {"kind", d.kind}};
    if (!d.group.empty()) dj["group"] = d.group;
    devices.push_back(dj);
  }
  j["setup"] = {{"buffers", buffers}, {"devices", devices}};
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& st : s.steps) {
    nlohmann::json x = {{"op", st.op}};
    if (!st.args.empty()) x["args"] = st.args;
    if (!st.out.empty()) x["out"] = st.out;
    if (st.expect) x["expect"] = *st.expect;
    steps.push_back(x);
  }
  j["steps"] = steps;
  return j;
}

}  // namespace ioconform::conformance
