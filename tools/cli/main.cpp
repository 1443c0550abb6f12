// ioconform: the command line.
//
//   ioconform spec rules [--json] [--tree DIR]   the errno rules, with cited lines when DIR is a kernel tree
//   ioconform spec ioctls --json                  the ioctl catalogue
//   ioconform model FILE... [--json] [--kernel V] replay scenarios on the model
//   ioconform campaign [--scenarios DIR] [--out FILE] [--kernel V]
//                                                 model-only campaign over a scenario folder
//   ioconform kernel build|path [--version V | --tree DIR | --bzimage F --config F]
//   ioconform run [--kernel V | --tree DIR | --bzimage F --config F] [--scenarios DIR] [--out FILE]
//                 [--timeout SECONDS] [--work-dir DIR]
//                                                 the smoke campaign on a real kernel and the model
//   ioconform verify [--depth K] [--invariant ID] [--mutant NAME] [--json] [--out-dir DIR]
//                    [--timeout SECONDS] [--no-induction]
//                                                 Z3: bounded + inductive checks of the invariants
// Every command rejects an option it does not know, or one missing its value
// (exit 2), rather than ignoring it and running with defaults.
// Exit codes: 0 conformant, 1 mismatches or unmet expectations, 2 usage or input
// error, 3 infrastructure failure.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <iostream>
#include <string>
#include <vector>

#include <filesystem>
#include <optional>

#include "conformance/replay.h"
#include "differential.h"
#include "kernel_cache.h"
#include "model/smt/verify.h"
#include "conformance/scenario.h"
#include "reports/campaign_report.h"
#include "spec/catalogue.h"

namespace {

using namespace ioconform;

constexpr int kExitOk = 0, kExitMismatch = 1, kExitUsage = 2, kExitInfra = 3;

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // --name value, or --flag -> ""
  bool has(const std::string& k) const { return options.count(k); }
  std::string get(const std::string& k, const std::string& fallback) const {
    auto it = options.find(k);
    return it == options.end() ? fallback : it->second;
  }
};

// A mistake on the command line. main prints "ioconform COMMAND: WHAT" and that
// command's usage line, and exits 2. `command` is a key of kUsage.
struct UsageError : std::invalid_argument {
  std::string command;
  UsageError(const std::string& command, const std::string& what) : std::invalid_argument(what), command(command) {}
};

// The options one command accepts. Everything else spelled --name is refused: if it
// were ignored, a typo (`run --kernal 6.12`) would quietly run with the defaults.
struct OptionSpec {
  std::vector<std::string> valued;  // --name VALUE
  std::vector<std::string> flags;   // --name
  bool operands = false;            // takes plain arguments (files); else one is a mistake (`run -kernel 6.12`)
};

Args parse_args(int argc, char** argv, int from, const std::string& command, const OptionSpec& spec) {
  auto listed = [](const std::vector<std::string>& names, const std::string& k) {
    return std::find(names.begin(), names.end(), k) != names.end();
  };
  Args a;
  for (int i = from; i < argc; i++) {
    const std::string s = argv[i];
    if (!s.starts_with("--")) {
      if (!spec.operands) throw UsageError(command, "unexpected argument '" + s + "'");
      a.positional.push_back(s);
      continue;
    }
    const std::string k = s.substr(2);
    if (listed(spec.valued, k)) {
      // A following --word is the next option, not this one's value: `--kernel --out F`
      // forgot the version, it does not ask for a kernel called "--out".
      if (i + 1 >= argc || std::string(argv[i + 1]).starts_with("--"))
        throw UsageError(command, "option " + s + " needs a value");
      a.options[k] = argv[++i];
    } else if (listed(spec.flags, k)) {
      a.options[k] = "";
    } else {
      throw UsageError(command, "unknown option " + s);
    }
  }
  return a;
}

// --name N as a non-negative integer: "--depth six" is a usage error naming the
// option, not std::stoi's bare "stoi".
unsigned long number_option(const Args& a, const std::string& command, const std::string& k, unsigned long fallback) {
  if (!a.has(k)) return fallback;
  const std::string v = a.get(k, "");
  size_t used = 0;
  unsigned long n = 0;
  try {
    n = std::stoul(v, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (v.empty() || used != v.size() || v[0] == '-')
    throw UsageError(command, "option --" + k + " needs a non-negative integer, got '" + v + "'");
  return n;
}

model::ModelConfig config_for(const Args& a) {
  model::ModelConfig c;
  auto v = spec::parse_version(a.get("kernel", "7.2"));
  if (!v) throw std::invalid_argument("--kernel: '" + a.get("kernel", "") + "' is not a version");
  c.version = *v;
  return c;
}

// One usage line per command, keyed by the command as UsageError names it. The
// options listed here must match each command's OptionSpec.
const std::vector<std::pair<std::string, std::string>> kUsage = {
    {"spec rules", "ioconform spec rules [--json] [--tree KERNEL_SRC]"},
    {"spec ioctls", "ioconform spec ioctls --json"},
    {"model", "ioconform model FILE... [--json] [--kernel 7.2|6.12]"},
    {"campaign", "ioconform campaign [--scenarios DIR] [--out FILE] [--kernel 7.2|6.12]"},
    {"kernel", "ioconform kernel build|path [--version 7.2|6.12 | --tree DIR | --bzimage F --config F]"},
    {"run", "ioconform run [--kernel 7.2|6.12 | --tree DIR | --bzimage F --config F] [--scenarios DIR] [--out FILE]"
            " [--timeout SECONDS] [--work-dir DIR]"},
    {"verify", "ioconform verify [--depth K] [--invariant ID] [--mutant NAME|all] [--json] [--out-dir DIR]"
               " [--timeout SECONDS] [--no-induction]"},
};

int usage() {
  std::cerr << "usage:\n";
  for (const auto& [command, line] : kUsage) std::cerr << "  " << line << "\n";
  return kExitUsage;
}

// The usage line of one command, after the one-line error that names the mistake.
int usage_error(const UsageError& e) {
  std::cerr << "ioconform " << e.command << ": " << e.what() << "\n";
  for (const auto& [command, line] : kUsage)
    if (command == e.command) std::cerr << "usage: " << line << "\n";
  return kExitUsage;
}

int cmd_spec(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string what = argv[2];
  if (what != "rules" && what != "ioctls") return usage();
  Args a = what == "rules" ? parse_args(argc, argv, 3, "spec rules", {.valued = {"tree"}, .flags = {"json"}})
                           : parse_args(argc, argv, 3, "spec ioctls", {.valued = {}, .flags = {"json"}});
  const auto& cat = spec::Catalogue::get();
  if (what == "rules") {
    nlohmann::json rules = nlohmann::json::array();
    int unresolved = 0;
    std::optional<spec::KernelVersion> tree_version;
    if (a.has("tree")) {
      tree_version = spec::kernel_tree_version(a.get("tree", ""));
      if (!tree_version) throw std::invalid_argument("--tree " + a.get("tree", "") + ": no kernel Makefile there");
    }
    for (const auto& r : cat.rules()) {
      nlohmann::json j = spec::to_json(r);
      if (tree_version && !spec::version_satisfies(*tree_version, r.versions)) {
        j["line_error"] = "rule does not apply to " + tree_version->str();
      } else if (tree_version) {
        auto loc = spec::locate_citation(a.get("tree", ""), r, tree_version);
        if (loc.line) j["line"] = *loc.line;
        else j["line_error"] = loc.why, unresolved++;
      }
      rules.push_back(j);
    }
    if (unresolved)
      for (const auto& j : rules)
        if (j.contains("line_error") && !j["line_error"].get<std::string>().starts_with("rule does not apply"))
          std::cerr << "ioconform: citation of " << j["id"].get<std::string>() << ": " << j["line_error"].get<std::string>() << "\n";
    if (a.has("json")) {
      std::cout << nlohmann::json{{"rules", rules}}.dump(2) << "\n";
    } else {
      for (const auto& j : rules)
        std::cout << j["id"].get<std::string>() << "  " << j["errno"].get<std::string>() << "  " << j["at"].get<std::string>()
                  << (j.contains("line") ? ":" + std::to_string(j["line"].get<int>()) : "") << "\n";
      std::cout << rules.size() << " rules" << (a.has("tree") ? ", " + std::to_string(unresolved) + " citations not found" : "") << "\n";
    }
    return unresolved ? kExitMismatch : kExitOk;
  }
  if (what == "ioctls") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& io : cat.ioctls()) {
      nlohmann::json fields = nlohmann::json::array();
      for (const auto& f : io.fields) fields.push_back({{"name", f.name}, {"offset", f.offset}, {"size", f.size}});
      out.push_back({{"name", io.name}, {"nr", io.nr}, {"struct", io.strukt}, {"size", io.size},
                     {"min_size", io.min_size}, {"fields", fields}});
    }
    std::cout << nlohmann::json{{"ioctls", out}}.dump(2) << "\n";
    return kExitOk;
  }
  return usage();
}

int cmd_model(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, "model", {.valued = {"kernel"}, .flags = {"json"}, .operands = true});
  if (a.positional.empty()) return usage();
  const auto config = config_for(a);
  nlohmann::json all = nlohmann::json::array();
  bool ok = true;
  for (const auto& file : a.positional) {
    auto s = conformance::load_scenario(file);
    auto r = conformance::replay_on_model(s, config);
    ok = ok && r.error.empty() && r.expectation_failures.empty();
    if (!r.error.empty()) {
      std::cerr << "ioconform: " << r.error << "\n";
      if (!a.has("json")) return kExitUsage;
    }
    all.push_back(conformance::to_json(r));
    if (!a.has("json")) {
      std::cout << s.name << (r.skipped ? "  (skipped: " + r.skip_reason + ")" : "") << "\n";
      for (const auto& st : r.steps)
        std::cout << "  " << st.step << " " << st.op << " -> " << conformance::errno_text(st.err)
                  << (st.rule.empty() ? "" : " [" + st.rule + "]") << " " << st.out.dump() << "\n";
      for (const auto& f : r.expectation_failures) std::cout << "  UNMET " << f << "\n";
    }
  }
  if (a.has("json")) std::cout << (all.size() == 1 ? all[0] : all).dump(2) << "\n";
  return ok ? kExitOk : kExitMismatch;
}

int cmd_campaign(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, "campaign", {.valued = {"scenarios", "out", "kernel"}, .flags = {}});
  const auto config = config_for(a);
  const std::string dir = a.get("scenarios", "conformance/scenarios");
  const std::string out = a.get("out", "reports/latest.json");
  auto scenarios = conformance::load_scenarios(dir);
  nlohmann::json runs = nlohmann::json::array();
  size_t steps = 0, unmet = 0, errors = 0, skipped = 0;
  for (const auto& s : scenarios) {
    auto r = conformance::replay_on_model(s, config);
    steps += r.steps.size();
    unmet += r.expectation_failures.size();
    errors += !r.error.empty();
    skipped += r.skipped;
    runs.push_back(conformance::to_json(r));
  }
  nlohmann::json report = {
      {"schema_version", reports::kReportSchemaVersion},
      {"mode", "model"},
      {"kernel", {{"version", config.version.str()}, {"config_sha", nullptr}}},
      {"summary",
       {{"scenarios", scenarios.size()}, {"skipped", skipped}, {"steps", steps}, {"unmet_expectations", unmet},
        {"scenario_errors", errors}}},
      {"rules", reports::rule_coverage(runs, config.version)},
      {"op_outcomes", reports::op_outcomes(runs)},
      {"scenarios", runs}};
  reports::write_report(out, report);
  std::cout << "campaign (model only, kernel " << config.version.str() << "): " << scenarios.size() << " scenarios, "
            << steps << " steps, " << unmet << " unmet expectations, " << errors << " scenario errors; rules hit "
            << report["rules"]["reachable_hit"] << "/" << report["rules"]["reachable"] << " reachable in this kernel ("
            << report["rules"]["total"] << " in the spec); report: " << out << "\n";
  return (unmet || errors) ? kExitMismatch : kExitOk;
}

harness::KernelRequest kernel_request(const Args& a, const std::string& version_key) {
  harness::KernelRequest r;
  r.version = a.get(version_key, "7.2");
  if (a.has("tree")) r.tree = a.get("tree", "");
  if (a.has("bzimage")) r.bzimage = a.get("bzimage", ""), r.config = a.get("config", "");
  if (r.tree.empty() && r.bzimage.empty() && r.version != "7.2" && r.version != "6.12")
    throw std::invalid_argument("kernel version must be 7.2 or 6.12 (or give --tree / --bzimage)");
  return r;
}

int cmd_kernel(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string what = argv[2];
  Args a = parse_args(argc, argv, 3, "kernel", {.valued = {"version", "tree", "bzimage", "config"}, .flags = {}});
  auto req = kernel_request(a, "version");
  if (what == "path") {
    std::cout << harness::kernel_dir(req).string() << "\n";
    return kExitOk;
  }
  if (what != "build") return usage();
  try {
    auto k = harness::ensure_kernel(req);
    std::cout << "kernel " << (k.release.empty() ? "?" : k.release) << ": " << k.bzimage.string() << " (config sha256 "
              << k.config_sha << ")\n";
  } catch (const harness::KernelError& e) {
    std::cerr << "ioconform: " << e.what() << "\n";
    return kExitInfra;
  }
  return kExitOk;
}

int cmd_run(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, "run",
                      {.valued = {"kernel", "tree", "bzimage", "config", "scenarios", "out", "timeout", "work-dir"},
                       .flags = {}});
  auto req = kernel_request(a, "kernel");
  const std::string out = a.get("out", "reports/latest.json");
  auto scenarios = conformance::load_scenarios(a.get("scenarios", "conformance/scenarios"));
  harness::KernelBuild kernel;
  try {
    kernel = harness::ensure_kernel(req);
  } catch (const harness::KernelError& e) {
    std::cerr << "ioconform: " << e.what() << "\n";
    return kExitInfra;
  }
  harness::CampaignOptions opts;
  opts.agent = IOCONFORM_AGENT_PATH;
  opts.work_dir = a.get("work-dir", (std::filesystem::temp_directory_path() / "ioconform-run").string());
  opts.timeout_seconds = number_option(a, "run", "timeout", 900);
  if (!std::filesystem::exists(opts.agent)) {
    std::cerr << "ioconform: the guest agent is missing at " << opts.agent.string() << " (build the project)\n";
    return kExitInfra;
  }
  auto report = harness::run_differential(scenarios, kernel, opts);
  reports::write_report(out, report);
  const auto& sum = report["summary"];
  std::cout << "run on kernel " << kernel.release << ": " << sum["scenarios"] << " scenarios, " << sum["steps"] << " steps: "
            << sum["agree"] << " agree, " << sum["mismatch"] << " mismatch, " << sum["indeterminate"] << " indeterminate, "
            << sum["agent_errors"] << " agent errors; DMA probes " << sum["dma_agree"] << "/" << sum["dma_probes"]
            << " agree; rules hit " << report["rules"]["reachable_hit"] << "/" << report["rules"]["reachable"]
            << " reachable in this kernel; guest "
            << report["guest"]["status"].get<std::string>() << "; kernel warnings " << sum["kernel_warnings"]
            << "; report: " << out << "\n";
  for (const auto& m : report["mismatches"])
    std::cout << "  MISMATCH " << m["scenario"].get<std::string>() << " step " << m["step"] << ": model "
              << m["model"]["errno"].dump() << " " << m["model"]["out"].dump() << " | kernel "
              << m["kernel"].value("errno", nlohmann::json()).dump() << " " << m["kernel"].value("out", nlohmann::json()).dump() << "\n";
  for (const auto& w : report["kernel_warnings"])
    std::cout << "  KERNEL WARNING " << w["scenario"].get<std::string>() << " step " << w["step"] << " ("
              << w["op"].get<std::string>() << "): " << w["lines"][0].get<std::string>() << "\n";
  const std::string status = report["guest"]["status"];
  if (status == "qemu_failed" || status == "timeout") return kExitInfra;
  if (sum["mismatch"].get<size_t>() || sum["crashes"].get<int>() || sum["agent_errors"].get<size_t>()) return kExitMismatch;
  if (sum["indeterminate"].get<size_t>()) return kExitInfra;
  return kExitOk;
}

int cmd_verify(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, "verify",
                      {.valued = {"depth", "invariant", "mutant", "out-dir", "timeout"},
                       .flags = {"json", "no-induction"}});
  smt::VerifyOptions o;
  o.depth = static_cast<int>(number_option(a, "verify", "depth", 6));
  o.timeout_ms = static_cast<unsigned>(number_option(a, "verify", "timeout", 120) * 1000);
  o.induction = !a.has("no-induction");
  std::vector<std::string> invariants = a.has("invariant") ? std::vector<std::string>{a.get("invariant", "")}
                                                           : smt::encoded_invariants();
  std::vector<smt::Mutant> mutants{smt::Mutant::none};
  if (a.has("mutant")) {
    if (a.get("mutant", "") == "all") {
      mutants = smt::all_mutants();
    } else {
      auto m = smt::mutant_from_string(a.get("mutant", ""));
      if (!m) throw std::invalid_argument("unknown mutant '" + a.get("mutant", "") + "'");
      mutants = {*m};
    }
  }
  const std::filesystem::path out_dir = a.get("out-dir", "reports/counterexamples");
  nlohmann::json all = nlohmann::json::array();
  bool failed = false;
  for (smt::Mutant mutant : mutants) {
    o.mutant = mutant;
    bool killed = false;
    for (const auto& id : invariants) {
      auto r = smt::verify_invariant(id, o);
      nlohmann::json j = smt::to_json(r);
      if (mutant != smt::Mutant::none) j["mutant"] = smt::to_string(mutant);
      if (!r.counterexample.is_null()) {
        std::filesystem::create_directories(out_dir);
        const auto file = out_dir / (r.counterexample["name"].get<std::string>() + ".json");
        std::ofstream(file) << r.counterexample.dump(1) << "\n";
        j["counterexample_file"] = file.string();
        killed = true;
      }
      if (!a.has("json"))
        std::cout << (mutant == smt::Mutant::none ? "" : std::string(smt::to_string(mutant)) + "  ") << id << "  "
                  << r.verdict << "  (depth " << r.depth << ", induction " << r.induction << ", vacuity "
                  << (r.vacuity_ok ? "ok" : "FAILED") << ", " << r.seconds << " s)"
                  << (r.reason.empty() ? "" : "  " + r.reason)
                  << (j.contains("counterexample_file") ? "  -> " + j["counterexample_file"].get<std::string>() : "") << "\n";
      all.push_back(j);
      if (mutant == smt::Mutant::none && (r.verdict == "counterexample" || r.verdict == "unknown")) failed = true;
    }
    if (mutant != smt::Mutant::none) {
      if (!a.has("json")) std::cout << "mutant " << smt::to_string(mutant) << (killed ? " killed" : " SURVIVED") << "\n";
      failed = failed || !killed;
    }
  }
  if (a.has("json")) {
    nlohmann::json unencoded = nlohmann::json::array();
    for (const auto& u : smt::unencoded_mutants()) unencoded.push_back({{"mutant", u.name}, {"why", u.why}});
    std::cout << nlohmann::json{{"results", all}, {"unencoded_mutants", unencoded}}.dump(2) << "\n";
  }
  return failed ? kExitMismatch : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  // --help anywhere: the usage, never a run, even next to a mistaken option.
  for (int i = 1; i < argc; i++)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") return usage(), kExitOk;
  const std::string cmd = argv[1];
  try {
    if (cmd == "spec") return cmd_spec(argc, argv);
    if (cmd == "model") return cmd_model(argc, argv);
    if (cmd == "campaign") return cmd_campaign(argc, argv);
    if (cmd == "kernel") return cmd_kernel(argc, argv);
    if (cmd == "run") return cmd_run(argc, argv);
    if (cmd == "verify") return cmd_verify(argc, argv);
  } catch (const UsageError& e) {
    return usage_error(e);
  } catch (const conformance::ScenarioError& e) {
    std::cerr << "ioconform: scenario error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "ioconform: " << e.what() << "\n";
    return kExitUsage;
  }
  return usage();
}
