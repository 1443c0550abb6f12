// run_in_guest: initramfs, QEMU command line, deadline, verdict.
#include "qemu_runner.h"

#include <fstream>
#include <sstream>

#include "edu_topology.h"
#include "guest_verdict.h"
#include "initramfs.h"
#include "subprocess.h"

namespace ioconform::vm {
namespace fs = std::filesystem;
namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The bridge's root-bus slot, past the solo edus' 0x10..0x17.
constexpr const char* kBridgeSlot = "18.0";
constexpr unsigned kMaxSoloEdusWithBridge = 8;

std::vector<std::string> qemu_command(const GuestConfig& c, const fs::path& initrd) {
  std::string append = "console=ttyS0 intel_iommu=on iommu.strict=1 panic=-1 rdinit=/init";
  for (const auto& a : c.extra_kernel_args) append += " " + a;
  std::vector<std::string> cmd = {
      c.qemu,
      // kernel-irqchip=split: QEMU's VT-d emulates interrupt remapping only with a split irqchip.
      "-machine", "q35,kernel-irqchip=split", "-accel", "tcg", "-cpu", "max",
      "-m", std::to_string(c.memory_mib),
      "-device", "intel-iommu,intremap=on",
  };
  // Each edu on its own root-bus slot: an integrated endpoint with no
  // multifunction siblings gets its own IOMMU group. dma_mask lifts edu's
  // default 28-bit limit so probes can reach any IOVA the IOMMU allows.
  for (unsigned i = 0; i < c.edu_devices; ++i) {
    char slot[8];
    std::snprintf(slot, sizeof(slot), "%02x.0", 0x10 + i);
    cmd.insert(cmd.end(), {"-device", std::string("edu,dma_mask=0xffffffffffffffff,addr=") + slot});
  }
  // Two edus behind a conventional PCI bridge share its requester id, so VT-d
  // gives them one context (QEMU hw/pci/pci.c:pci_device_iommu_address_space)
  // and Linux one IOMMU group with the bridge (iommu.c:pci_device_group:1640).
  // shpc=off: the bridge's SHPC would match shpchp, a driver without
  // driver_managed_dma, and then binding either edu to iommufd fails EPERM
  // (iommu.c:iommu_device_claim_dma_owner:3467). The conformance kernel lacks
  // CONFIG_HOTPLUG_PCI_SHPC; shpc=off covers a kernel given with --tree or --bzimage.
  if (c.grouped_edu_pair)
    cmd.insert(cmd.end(), {"-device", std::string("pci-bridge,id=br1,chassis_nr=1,bus=pcie.0,addr=") + kBridgeSlot + ",shpc=off",
                           "-device", "edu,bus=br1,addr=01.0,dma_mask=0xffffffffffffffff",
                           "-device", "edu,bus=br1,addr=02.0,dma_mask=0xffffffffffffffff"});
  cmd.insert(cmd.end(), {"-nographic", "-monitor", "none", "-no-reboot",
                         "-serial", "file:" + (c.work_dir / "console.log").string(),
                         "-serial", "file:" + (c.work_dir / "results.jsonl").string(),
                         "-kernel", c.kernel.string(), "-initrd", initrd.string(), "-append", append});
  return cmd;
}

}  // namespace

const char* to_string(GuestStatus s) {
  switch (s) {
    case GuestStatus::completed: return "completed";
    case GuestStatus::incomplete: return "incomplete";
    case GuestStatus::timeout: return "timeout";
    case GuestStatus::kernel_crash: return "kernel_crash";
    case GuestStatus::qemu_failed: return "qemu_failed";
    case GuestStatus::topology_mismatch: return "topology_mismatch";
  }
  return "?";
}

GuestRun run_in_guest(const GuestConfig& c) {
  GuestRun run;
  fs::create_directories(c.work_dir);
  fs::path initrd;
  try {
    initrd = build_initramfs(InitramfsSpec{c.busybox, c.agent, c.scenarios.dump(), c.work_dir});
  } catch (const std::exception& e) {
    run.detail = e.what();
    return run;
  }
  if (!fs::exists(c.kernel)) {
    run.detail = "no kernel at " + c.kernel.string();
    return run;
  }
  if (c.grouped_edu_pair && c.edu_devices > kMaxSoloEdusWithBridge) {
    run.detail = std::to_string(c.edu_devices) + " solo edus would take the PCI bridge's slot " + kBridgeSlot +
                 ": at most " + std::to_string(kMaxSoloEdusWithBridge) + " with the grouped pair";
    return run;
  }
  for (const char* f : {"console.log", "results.jsonl"}) fs::remove(c.work_dir / f);
  run.qemu_command = qemu_command(c, initrd);
  ProcessResult p = run_process(run.qemu_command, c.work_dir / "qemu.stdout", c.work_dir / "qemu.stderr", c.timeout);
  run.seconds = p.seconds;
  run.qemu_stderr = slurp(c.work_dir / "qemu.stderr");
  run.console = slurp(c.work_dir / "console.log");
  ParsedResults parsed = parse_result_lines(slurp(c.work_dir / "results.jsonl"));
  run.results = std::move(parsed.lines);
  run.unparsable_lines = parsed.unparsable;
  for (const auto& line : run.results)
    if (line.value("type", std::string()) == "agent_start") run.edu_iommu_groups = edu_iommu_groups(line);

  if (!p.started) {
    run.status = GuestStatus::qemu_failed;
    run.detail = p.error;
  } else if (auto crash = find_kernel_crash(run.console)) {
    run.status = GuestStatus::kernel_crash;
    run.detail = *crash;
  } else if (p.timed_out) {
    run.status = GuestStatus::timeout;
    run.detail = "killed after " + std::to_string(c.timeout.count()) + " s";
  } else if (p.exit_code != 0 && run.console.empty()) {
    run.status = GuestStatus::qemu_failed;
    run.detail = "qemu exited with " + std::to_string(p.exit_code) + ": " + run.qemu_stderr;
  } else if (parsed.done && c.grouped_edu_pair && grouped_pair_problem(run.edu_iommu_groups)) {
    run.status = GuestStatus::topology_mismatch;
    run.detail = "grouped edu pair asked for, but " + *grouped_pair_problem(run.edu_iommu_groups);
  } else if (parsed.done) {
    run.status = GuestStatus::completed;
  } else {
    run.status = GuestStatus::incomplete;
    run.detail = p.signal ? "qemu killed by signal " + std::to_string(p.signal)
                          : "qemu exited with " + std::to_string(p.exit_code) + " before the agent said done";
  }
  return run;
}

}  // namespace ioconform::vm
