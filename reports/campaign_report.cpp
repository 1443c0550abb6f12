// Campaign reports; see campaign_report.h.
#include "reports/campaign_report.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "spec/catalogue.h"

namespace ioconform::reports {

nlohmann::json rule_coverage(const nlohmann::json& scenarios_json, const spec::KernelVersion& version) {
  std::set<std::string> hit;
  for (const auto& s : scenarios_json)
    for (const auto& st : s.value("steps", nlohmann::json::array())) {
      // a kernel run carries the model's answer under "model"; a model run at top level
      const auto& m = st.contains("model") ? st["model"] : st;
      if (m.contains("rule")) hit.insert(m["rule"].get<std::string>());
    }
  const auto& rules = spec::Catalogue::get().rules();
  nlohmann::json never = nlohmann::json::array();
  size_t reachable = 0, reachable_hit = 0, not_in_kernel = 0;
  for (const auto& r : rules) {
    const bool in_kernel = spec::version_satisfies(version, r.versions);
    not_in_kernel += !in_kernel;
    if (r.reachable && in_kernel) {
      reachable++;
      reachable_hit += hit.count(r.id);
    }
    if (hit.count(r.id)) continue;
    std::string why = !in_kernel   ? "not in kernel " + version.str() + ": the rule is gated " + r.versions
                      : r.reachable ? "not reached by these scenarios"
                                    : "unreachable here: " + r.unreachable_why;
    never.push_back({{"id", r.id}, {"why", why}});
  }
  return {{"total", rules.size()},   {"not_in_kernel", not_in_kernel}, {"reachable", reachable},
          {"hit", hit.size()},       {"reachable_hit", reachable_hit}, {"hit_ids", hit},
          {"never_hit", never}};
}

nlohmann::json op_outcomes(const nlohmann::json& scenarios_json) {
  nlohmann::json by_op = nlohmann::json::object();
  for (const auto& s : scenarios_json)
    for (const auto& st : s.value("steps", nlohmann::json::array())) {
      // A kernel run's step holds both answers; a model run's is the model's answer.
      const bool kernel_run = st.contains("model");
      const nlohmann::json answer = kernel_run ? st.value("kernel", nlohmann::json()) : st;
      if (!answer.is_object() || !answer.contains("errno")) continue;
      const std::string op = st.value("op", answer.value("op", ""));
      const nlohmann::json& e = answer["errno"];
      const std::string outcome = e.is_string() ? e.get<std::string>() : e.dump();
      nlohmann::json& counts = by_op[op];
      counts[outcome] = counts.is_object() ? counts.value(outcome, 0) + 1 : 1;
    }
  return by_op;
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
