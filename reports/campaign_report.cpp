// Campaign reports; see campaign_report.h.
#include "reports/campaign_report.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "spec/catalogue.h"

namespace ioconform::reports {

nlohmann::json rule_coverage(const nlohmann::json& scenarios_json) {
  std::set<std::string> hit;
  for (const auto& s : scenarios_json)
    for (const auto& st : s.value("steps", nlohmann::json::array())) {
      // a kernel run carries the model's answer under "model"; a model run at top level
      const auto& m = st.contains("model") ? st["model"] : st;
      if (m.contains("rule")) hit.insert(m["rule"].get<std::string>());
    }
  const auto& rules = spec::Catalogue::get().rules();
  nlohmann::json never = nlohmann::json::array();
  size_t reachable = 0;
  for (const auto& r : rules) {
    if (r.reachable) reachable++;
    if (!hit.count(r.id))
      never.push_back({{"id", r.id}, {"why", r.reachable ? "not reached by these scenarios" : "unreachable here: " + r.unreachable_why}});
  }
  return {{"total", rules.size()}, {"reachable", reachable}, {"hit", hit.size()}, {"hit_ids", hit}, {"never_hit", never}};
}

void write_report(const std::string& path, const nlohmann::json& report) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << report.dump(2) << "\n";
    if (!out) throw std::runtime_error("write failed: " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace ioconform::reports
