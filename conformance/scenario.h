// Scenarios: the one test format everything reads and writes (docs/scenario-format.md).
//
// parse_scenario() validates structure and names up front, so a malformed file
// fails with a message that names the file, the step and the field, before any
// step runs anywhere.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ioconform::conformance {

struct ScenarioError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct BufferSpec {
  std::string name;
  std::uint64_t pages = 1;
  std::string kind = "anon";  // anon | memfd
  std::uint64_t align = 4096;
};

struct DeviceSpec {
  std::string name;
  std::string kind = "edu";
  // Devices with the same label share one IOMMU group; empty: alone in its group.
  std::string group;
};

struct Step {
  std::string op;
  nlohmann::json args = nlohmann::json::object();
  nlohmann::json out = nlohmann::json::object();     // field -> "$name"
  std::optional<nlohmann::json> expect;              // {"errno", "rule", "out"}
};

struct Scenario {
  std::string name, description, kernel;
  std::vector<std::string> requires_;
  std::vector<BufferSpec> buffers;
  std::vector<DeviceSpec> devices;
  std::vector<Step> steps;
  std::string source;  // file it came from, for messages
};

Scenario parse_scenario(const nlohmann::json& j, const std::string& source);
Scenario load_scenario(const std::string& path);
// All *.json files of a directory, sorted by name.
std::vector<Scenario> load_scenarios(const std::string& dir);
nlohmann::json to_json(const Scenario& s);

}  // namespace ioconform::conformance
