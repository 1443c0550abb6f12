// run_in_guest: boot a conformance kernel in QEMU with the agent, return what it said.
//
// The guest is q35 with an emulated VT-d (intel-iommu, interrupt remapping,
// which needs kernel-irqchip=split) and N edu devices, each on the root bus
// with its own IOMMU group, plus, when asked, two edus sharing one IOMMU group
// behind a PCI bridge (edu_topology.h); TCG only (no KVM on our hosts). Serial
// port 0 (console) goes to console.log, serial port 1 (the agent's results, one
// JSON object per line) to results.jsonl, both in the work dir. The run ends when
// the guest powers off (-no-reboot turns a panic's reboot into an exit too) or
// at the timeout, when QEMU is killed. Whatever result lines were written are
// returned in every case: a guest that dies mid-campaign still yields the steps
// it finished.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ioconform::vm {

struct GuestConfig {
  std::filesystem::path kernel;      // bzImage
  std::filesystem::path agent;       // static ioconform-agent
  nlohmann::json scenarios;          // {"scenarios": [...]}
  unsigned edu_devices = 1;          // solo edus, root-bus slots 0x10.. (at most 8 with the pair at 0x18)
  bool grouped_edu_pair = false;     // a pci-bridge at 0x18 with two edus behind it: one shared IOMMU group
  unsigned memory_mib = 512;
  std::chrono::seconds timeout{120};
  std::filesystem::path work_dir;    // created if missing; holds the logs and the initramfs
  std::string qemu = "qemu-system-x86_64";
  std::filesystem::path busybox = "/bin/busybox";
  std::vector<std::string> extra_kernel_args;
};

enum class GuestStatus {
  completed,     // the agent wrote {"type":"done"} and the guest powered off
  incomplete,    // QEMU exited without a crash on the console, but the agent never said done
  timeout,       // killed at the deadline
  kernel_crash,  // "Kernel panic", "Oops" or "BUG:" on the console
  qemu_failed,   // QEMU did not start or exited with an error before booting
  // The agent said done, but the grouped pair was asked for and its two edus
  // are not in one IOMMU group (detail names each edu's group): scenarios using
  // a group label could not run as written.
  topology_mismatch,
};

const char* to_string(GuestStatus s);

struct GuestRun {
  GuestStatus status = GuestStatus::qemu_failed;
  std::string detail;                     // the crash line, the QEMU error, ...
  std::vector<nlohmann::json> results;    // parsed result lines, in order
  size_t unparsable_lines = 0;            // e.g. a line cut short by a crash
  std::string console;                    // the whole console log
  std::string qemu_stderr;
  std::vector<std::string> qemu_command;
  std::map<std::string, std::string> edu_iommu_groups;  // bdf -> IOMMU group, as the agent found them
  double seconds = 0;                     // QEMU wall time
};

GuestRun run_in_guest(const GuestConfig& config);

}  // namespace ioconform::vm
