// ioconform-agent: runs scenarios against the real kernel, inside the guest.
//
//   ioconform-agent SCENARIOS.json RESULTS_PATH
//
// SCENARIOS.json is {"scenarios": [ ... ]} in the format of
// docs/scenario-format.md. Results are JSON lines written to RESULTS_PATH (the
// QEMU runner passes /dev/ttyS1, a serial port backed by a host file), one per
// step, flushed as they are made, ending with {"type":"done"}. The agent is a
// static binary: the initramfs holds nothing but busybox and it.
#include <sys/utsname.h>

#include <fstream>
#include <iostream>

#include "edu_device.h"
#include "kernel_log.h"
#include "result_sink.h"
#include "scenario_runner.h"
#include "test_cmd.h"
#include "vfio_device.h"

int main(int argc, char** argv) {
  using namespace ioconform::agent;
  if (argc != 3) {
    std::cerr << "usage: ioconform-agent SCENARIOS.json RESULTS_PATH\n";
    return 2;
  }
  try {
    ResultSink sink(argv[2]);
    nlohmann::json doc;
    try {
      std::ifstream in(argv[1]);
      if (!in) throw std::runtime_error(std::string("cannot open ") + argv[1]);
      doc = nlohmann::json::parse(in);
      if (!doc.contains("scenarios") || !doc.at("scenarios").is_array())
        throw std::runtime_error("expected {\"scenarios\": [...]}");
    } catch (const std::exception& e) {
      sink.emit({{"type", "error"}, {"scenario", nullptr}, {"step", nullptr}, {"message", e.what()}});
      sink.emit({{"type", "done"}});
      return 1;
    }
    KernelLog kmsg;
    AgentEnvironment env;
    utsname u{};
    ::uname(&u);
    env.kernel_release = u.release;
    env.edu_bdfs = find_pci_devices(kEduVendor, kEduDevice);
    env.edus = place_edus(env.edu_bdfs);
    env.iommufd_test = kernel_has_iommufd_test();
    env.kmsg = &kmsg;
    // The placement the scenarios' devices get mapped onto; the runner checks
    // from it that a grouped pair it asked for really shares a group.
    nlohmann::json groups = nlohmann::json::object();
    for (const auto& [bdf, group] : env.edus.iommu_group) groups[bdf] = group;
    sink.emit({{"type", "agent_start"}, {"kernel", env.kernel_release}, {"edu_devices", env.edu_bdfs},
               {"edu_iommu_groups", groups}, {"iommufd_test", env.iommufd_test}});
    for (const auto& sc : doc.at("scenarios")) run_scenario(sc, env, sink);
    sink.emit({{"type", "done"}});
  } catch (const std::exception& e) {
    std::cerr << "ioconform-agent: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
