// The guest agent on the real kernel: boot the cached conformance kernel in
// QEMU with two edu devices, run a handful of scenarios once, and check facts
// the kernel and the device produced (ids, IOVA ranges, where DMA landed,
// faults after unmap), never values the agent could invent. Each probe is an
// edu DMA behind emulated VT-d; the probe rate is measured and printed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <unistd.h>

#include "booted_guest.h"
#include "qemu_runner.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using ioconform::vm::GuestRun;
using ioconform::vm::GuestStatus;

using ioconform::vm::testing::kernel_dir;

constexpr int kRateProbes = 8;

json scenarios() {
  json s = json::array();
  s.push_back(json::parse(R"({"name": "ioas_alloc_first_id", "steps": [
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$ioas"}}]})"));
  s.push_back(json::parse(R"({"name": "edu_dma_through_ioas",
    "setup": {"buffers": [{"name": "buf0", "pages": 4, "kind": "anon", "align": 65536},
                          {"name": "buf1", "pages": 2, "kind": "memfd"}],
              "devices": [{"name": "dev0", "kind": "edu"}]},
    "steps": [
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$ioas"}},
      {"op": "VFIO_DEVICE_BIND_IOMMUFD", "args": {"dev": "dev0"}, "out": {"out_devid": "$dev"}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev0", "pt_id": "$ioas"}, "out": {"pt_id": "$hwpt"}},
      {"op": "IOMMU_IOAS_IOVA_RANGES", "args": {"ioas_id": "$ioas", "num_iovas": 8}},
      {"op": "IOMMU_IOAS_MAP", "args": {"ioas_id": "$ioas", "user_va": "buf0", "length": 16384,
        "iova": "0x100000", "flags": ["FIXED_IOVA", "READABLE", "WRITEABLE"]}},
      {"op": "DMA_READ", "args": {"dev": "dev0", "iova": "0x101000", "length": 64}},
      {"op": "DMA_READ", "args": {"dev": "dev0", "iova": "0x102ff8", "length": 16}},
      {"op": "DMA_WRITE", "args": {"dev": "dev0", "iova": "0x103010", "length": 32}},
      {"op": "IOMMU_IOAS_UNMAP", "args": {"ioas_id": "$ioas", "iova": "0x100000", "length": 16384}},
      {"op": "DMA_READ", "args": {"dev": "dev0", "iova": "0x101000", "length": 64}},
      {"op": "DMA_WRITE", "args": {"dev": "dev0", "iova": "0x101000", "length": 64}},
      {"op": "IOMMU_IOAS_UNMAP", "args": {"ioas_id": "$ioas", "iova": "0x100000", "length": 16384}},
      {"op": "IOMMU_IOAS_MAP_FILE", "args": {"ioas_id": "$ioas", "fd": "buf1", "start": 0, "length": 8192,
        "flags": ["READABLE", "WRITEABLE"]}, "out": {"iova": "$fiova"}},
      {"op": "DMA_READ", "args": {"dev": "dev0", "iova": "$fiova", "length": 64}},
      {"op": "IOMMU_IOAS_IOVA_RANGES", "args": {"ioas_id": "$ioas", "num_iovas": 1}},
      {"op": "IOMMU_IOAS_MAP", "args": {"ioas_id": "$ioas", "user_va": "buf0", "length": 4096,
        "iova": "0x200000", "flags": ["FIXED_IOVA", "READABLE"], "__trailing": 1}},
      {"op": "VFIO_DEVICE_DETACH_IOMMUFD_PT", "args": {"dev": "dev0"}},
      {"op": "DMA_WRITE", "args": {"dev": "dev0", "iova": "$fiova", "length": 64}}
    ]})"));
  s.push_back(json::parse(R"({"name": "unknown_op_is_an_error", "steps": [
      {"op": "IOMMU_IOAS_ALLOC"}, {"op": "IOMMU_BOGUS"}, {"op": "IOMMU_IOAS_ALLOC"}]})"));
  s.push_back(json::parse(R"({"name": "unbound_name_is_an_error", "steps": [
      {"op": "IOMMU_DESTROY", "args": {"id": "$nothing"}}]})"));
  s.push_back(json::parse(R"({"name": "gate_excludes_old_kernels", "kernel": "<6.0",
      "steps": [{"op": "IOMMU_IOAS_ALLOC"}]})"));
  s.push_back(json::parse(R"({"name": "two_devices_one_ioas",
    "setup": {"buffers": [{"name": "buf0", "pages": 1}],
              "devices": [{"name": "dev0", "kind": "edu"}, {"name": "dev1", "kind": "edu"}]},
    "steps": [
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$ioas"}},
      {"op": "VFIO_DEVICE_BIND_IOMMUFD", "args": {"dev": "dev0"}},
      {"op": "VFIO_DEVICE_BIND_IOMMUFD", "args": {"dev": "dev1"}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev0", "pt_id": "$ioas"}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev1", "pt_id": "$ioas"}},
      {"op": "IOMMU_IOAS_MAP", "args": {"ioas_id": "$ioas", "user_va": "buf0", "length": 4096,
        "iova": "0x400000", "flags": ["FIXED_IOVA", "READABLE", "WRITEABLE"]}},
      {"op": "DMA_READ", "args": {"dev": "dev1", "iova": "0x400100", "length": 32}}
    ]})"));
  // iopt_alloc_iova() keeps the alignment present in the user VA: a VA that is
  // a multiple of 64 KiB but not of 128 KiB gets the lowest free 64 KiB-aligned
  // IOVA, 0x10000 (0 is never allocated); 128 KiB alignment would give 0x20000.
  s.push_back(json::parse(R"({"name": "non_fixed_map_follows_va_alignment",
    "setup": {"buffers": [{"name": "big", "pages": 64, "align": 65536}]},
    "steps": [
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$ioas"}},
      {"op": "IOMMU_IOAS_MAP", "args": {"ioas_id": "$ioas", "user_va": "big", "length": 262144,
        "flags": ["READABLE"]}},
      {"op": "IOMMU_IOAS_MAP", "args": {"ioas_id": "$ioas", "user_va": "big+0x1000", "length": 4096,
        "iova": "0x100000", "flags": ["FIXED_IOVA", "READABLE"]}}
    ]})"));
  // A detached device is probed twice in a row, right after a read that left
  // pattern bytes in edu's buffer: each probe must be measured (the agent reads
  // edu back through a scratch IOAS it attaches and frees again), must report
  // the fault, and must leave the id space as it was: ioas 1, devid 2, auto
  // HWPT 3 (destroyed by the detach), so the next IOAS is 3 again.
  s.push_back(json::parse(R"({"name": "detached_device_probes",
    "setup": {"buffers": [{"name": "buf0", "pages": 1}], "devices": [{"name": "dev0", "kind": "edu"}]},
    "steps": [
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$ioas"}},
      {"op": "VFIO_DEVICE_BIND_IOMMUFD", "args": {"dev": "dev0"}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev0", "pt_id": "$ioas"}},
      {"op": "IOMMU_IOAS_MAP", "args": {"ioas_id": "$ioas", "user_va": "buf0", "length": 4096,
        "iova": "0x100000", "flags": ["FIXED_IOVA", "READABLE", "WRITEABLE"]}},
      {"op": "DMA_READ", "args": {"dev": "dev0", "iova": "0x100040", "length": 64}},
      {"op": "VFIO_DEVICE_DETACH_IOMMUFD_PT", "args": {"dev": "dev0"}},
      {"op": "DMA_READ", "args": {"dev": "dev0", "iova": "0x100040", "length": 64}},
      {"op": "DMA_READ", "args": {"dev": "dev0", "iova": "0x100040", "length": 64}},
      {"op": "DMA_WRITE", "args": {"dev": "dev0", "iova": "0x100040", "length": 64}},
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$next"}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev0", "pt_id": "$ioas"}},
      {"op": "DMA_READ", "args": {"dev": "dev0", "iova": "0x100040", "length": 64}}
    ]})"));
  // A device bound but never attached is in the same state as a detached one.
  s.push_back(json::parse(R"({"name": "never_attached_device_probe",
    "setup": {"devices": [{"name": "dev0", "kind": "edu"}]},
    "steps": [
      {"op": "VFIO_DEVICE_BIND_IOMMUFD", "args": {"dev": "dev0"}},
      {"op": "DMA_READ", "args": {"dev": "dev0", "iova": "0x100000", "length": 64}},
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$ioas"}}
    ]})"));
  json rate = json::parse(R"({"name": "probe_rate",
    "setup": {"buffers": [{"name": "buf0", "pages": 1}], "devices": [{"name": "dev0", "kind": "edu"}]},
    "steps": [
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$ioas"}},
      {"op": "VFIO_DEVICE_BIND_IOMMUFD", "args": {"dev": "dev0"}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev0", "pt_id": "$ioas"}},
      {"op": "IOMMU_IOAS_MAP", "args": {"ioas_id": "$ioas", "user_va": "buf0", "length": 4096,
        "iova": "0x100000", "flags": ["FIXED_IOVA", "READABLE", "WRITEABLE"]}}]})");
  for (int i = 0; i < kRateProbes; ++i)
    rate["steps"].push_back({{"op", i % 2 ? "DMA_WRITE" : "DMA_READ"},
                             {"args", {{"dev", "dev0"}, {"iova", "0x100000"}, {"length", 256}}}});
  s.push_back(rate);
  // Last, because the second taints the kernel: a scenario that ends holding a
  // PASID (the agent detaches it before closing the fd, else the release
  // WARNs, which the next step would report), then one that destroys a mock
  // device while it holds a PASID, which WARNs (selftest.c:iommufd_selftest_destroy
  // detaches only the RID).
  const char* mock_with_pasid = R"(
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$ioas"}},
      {"op": "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS", "args": {"id": "$ioas", "dev_flags": ["PASID"]},
       "out": {"out_stdev_id": "$stdev", "out_idev_id": "$idev"}},
      {"op": "IOMMU_HWPT_ALLOC", "args": {"dev_id": "$idev", "pt_id": "$ioas", "flags": ["PASID"]},
       "out": {"out_hwpt_id": "$compat"}},
      {"op": "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE", "args": {"id": "$stdev", "pt_id": "$compat"}},
      {"op": "IOMMU_TEST_OP_PASID_ATTACH", "args": {"id": "$stdev", "pasid": 100, "pt_id": "$compat"}})";
  s.push_back(json::parse(std::string(R"({"name": "pasid_held_at_end", "requires": ["iommufd_test"], "steps": [)") +
                          mock_with_pasid + "]}"));
  s.push_back(json::parse(std::string(R"({"name": "mock_destroyed_holding_pasid", "requires": ["iommufd_test"], "steps": [)") +
                          mock_with_pasid + R"(, {"op": "IOMMU_DESTROY", "args": {"id": "$stdev"}}]})"));
  return json{{"scenarios", s}};
}

class GuestAgent : public ioconform::vm::testing::BootedGuestSuite {
 protected:
  static void SetUpTestSuite() {
    auto kdir = usable_kernel();
    if (!kdir) return;
    ioconform::vm::GuestConfig c;
    c.kernel = *kdir / "bzImage";
    c.agent = IOCONFORM_AGENT_PATH;
    c.scenarios = scenarios();
    c.edu_devices = 2;
    c.timeout = std::chrono::seconds(300);
    c.work_dir = ioconform::vm::testing::work_dir("guest-agent");
    boot(c);
  }

  static std::vector<json> lines_of(const std::string& name) {
    std::vector<json> out;
    for (const auto& l : run_->results)
      if (l.contains("scenario") && l["scenario"] == name) out.push_back(l);
    return out;
  }

};

json range(uint64_t start, uint64_t last) { return {{"start", start}, {"last", last}}; }

TEST_F(GuestAgent, FirstIoasOfAFreshIommufdHasIdOne) {
  json l = line("ioas_alloc_first_id", 0);
  EXPECT_EQ(l["errno"], 0) << l;
  EXPECT_EQ(l["out"]["out_ioas_id"], 1) << l;
}

TEST_F(GuestAgent, BindAndAttachGiveDeviceIdTwoAndAutoHwptIdThree) {
  const std::string s = "edu_dma_through_ioas";
  EXPECT_EQ(line(s, 0)["out"]["out_ioas_id"], 1) << line(s, 0);
  EXPECT_EQ(line(s, 1)["out"]["out_devid"], 2) << line(s, 1);
  EXPECT_EQ(line(s, 2)["out"]["pt_id"], 3) << line(s, 2);
}

TEST_F(GuestAgent, IovaRangesWithVtdDeviceAttachedExcludeTheInterruptWindow) {
  json l = line("edu_dma_through_ioas", 3);
  ASSERT_EQ(l["errno"], 0) << l;
  EXPECT_EQ(l["out"]["out_iova_alignment"], 4096) << l;
  EXPECT_EQ(l["out"]["num_iovas"], 2) << l;
  EXPECT_EQ(l["out"]["ranges"], json::array({range(0, 0xfedfffff), range(0xfef00000, 0x7fffffffffULL)})) << l;
}

TEST_F(GuestAgent, IovaRangesWithTooSmallArrayFailsWithEmsgsizeAndReportsTheCount) {
  json l = line("edu_dma_through_ioas", 14);
  EXPECT_EQ(l["errno"], "EMSGSIZE") << l;
  EXPECT_EQ(l["out"]["num_iovas"], 2) << l;
}

TEST_F(GuestAgent, DmaReadOfAFixedMapDecodesTheMappedBufferPage) {
  json l = line("edu_dma_through_ioas", 5);
  ASSERT_EQ(l["errno"], 0) << l;
  EXPECT_EQ(l["out"], json({{"result", "ok"}, {"buffer", "buf0"}, {"offset", 4096}})) << l;
}

TEST_F(GuestAgent, DmaReadStraddlingPagesReportsTheFirstBytesPage) {
  json l = line("edu_dma_through_ioas", 6);
  EXPECT_EQ(l["out"], json({{"result", "ok"}, {"buffer", "buf0"}, {"offset", 0x2ff8}})) << l;
}

TEST_F(GuestAgent, DmaWriteLandsInTheMappedBuffer) {
  json l = line("edu_dma_through_ioas", 7);
  EXPECT_EQ(l["out"], json({{"result", "ok"}, {"buffer", "buf0"}, {"offset", 0x3010}})) << l;
}

TEST_F(GuestAgent, UnmapReturnsTheUnmappedLength) {
  json l = line("edu_dma_through_ioas", 8);
  EXPECT_EQ(l["errno"], 0) << l;
  EXPECT_EQ(l["out"]["length"], 16384) << l;
}

TEST_F(GuestAgent, DmaAfterUnmapFaultsAndTheKernelLogsADmarFault) {
  json r = line("edu_dma_through_ioas", 9), w = line("edu_dma_through_ioas", 10);
  EXPECT_EQ(r["out"]["result"], "fault") << r;
  EXPECT_EQ(w["out"]["result"], "fault") << w;
  bool logged = false;
  for (const auto& o : r.value("observations", json::array()))
    logged = logged || o.get<std::string>().find("fault addr") != std::string::npos;
  EXPECT_TRUE(logged) << "no DMAR fault record attached: " << r;
}

TEST_F(GuestAgent, UnmapOfAnEmptyRangeFailsWithEnoent) {
  json l = line("edu_dma_through_ioas", 11);
  EXPECT_EQ(l["ret"], -1) << l;
  EXPECT_EQ(l["errno"], "ENOENT") << l;
  EXPECT_FALSE(l.contains("out")) << l;
}

TEST_F(GuestAgent, MapFileOfAMemfdIsReadableByTheDevice) {
  json m = line("edu_dma_through_ioas", 12), r = line("edu_dma_through_ioas", 13);
  ASSERT_EQ(m["errno"], 0) << m;
  EXPECT_EQ(r["out"], json({{"result", "ok"}, {"buffer", "buf1"}, {"offset", 0}})) << r;
}

TEST_F(GuestAgent, NonZeroTrailingBytesFailWithE2big) {
  EXPECT_EQ(line("edu_dma_through_ioas", 15)["errno"], "E2BIG") << line("edu_dma_through_ioas", 15);
}

TEST_F(GuestAgent, DmaWriteFromADetachedDeviceReachesNoBuffer) {
  json d = line("edu_dma_through_ioas", 16), w = line("edu_dma_through_ioas", 17);
  EXPECT_EQ(d["errno"], 0) << d;
  EXPECT_EQ(w["out"]["result"], "fault") << w;
}

TEST_F(GuestAgent, ProbesOfADetachedDeviceAreMeasuredAsFaultsTwiceInARow) {
  const std::string s = "detached_device_probes";
  EXPECT_EQ(line(s, 4)["out"], json({{"result", "ok"}, {"buffer", "buf0"}, {"offset", 0x40}})) << line(s, 4);
  EXPECT_EQ(line(s, 5)["errno"], 0) << line(s, 5);
  // Not an agent error, even when the rate-limited DMAR records are missing:
  // the read-back bytes decide, and the stale pattern the step-4 read left in
  // edu's buffer would say "ok buf0 0x40" had the blocked read not zeroed it.
  for (long i : {6, 7, 8}) {
    json l = line(s, i);
    ASSERT_EQ(l["type"], "step") << l;
    EXPECT_EQ(l["out"], json({{"result", "fault"}})) << l;
  }
}

TEST_F(GuestAgent, ProbesOfADetachedDeviceLeaveIdsAndAttachmentAsTheScenarioMadeThem) {
  const std::string s = "detached_device_probes";
  EXPECT_EQ(line(s, 2)["out"]["pt_id"], 3) << line(s, 2);
  // The auto HWPT 3 went away with the detach, and the probes' scratch IOAS
  // and HWPT were freed again: the lowest free id is 3.
  EXPECT_EQ(line(s, 9)["out"]["out_ioas_id"], 3) << line(s, 9);
  // The device was still detached: this attach makes a new auto HWPT (4) and
  // the device reads through it again.
  EXPECT_EQ(line(s, 10)["errno"], 0) << line(s, 10);
  EXPECT_EQ(line(s, 10)["out"]["pt_id"], 4) << line(s, 10);
  EXPECT_EQ(line(s, 11)["out"], json({{"result", "ok"}, {"buffer", "buf0"}, {"offset", 0x40}})) << line(s, 11);
}

TEST_F(GuestAgent, DmaReadFromANeverAttachedDeviceFaultsAndFreesItsScratchIds) {
  const std::string s = "never_attached_device_probe";
  EXPECT_EQ(line(s, 0)["out"]["out_devid"], 1) << line(s, 0);
  EXPECT_EQ(line(s, 1)["out"], json({{"result", "fault"}})) << line(s, 1);
  EXPECT_EQ(line(s, 2)["out"]["out_ioas_id"], 2) << line(s, 2);
}

TEST_F(GuestAgent, UnknownOpIsAnErrorLineAndStopsOnlyThatScenario) {
  auto ls = lines_of("unknown_op_is_an_error");
  ASSERT_EQ(ls.size(), 3u);
  EXPECT_EQ(ls[0]["type"], "step");
  EXPECT_EQ(ls[1]["type"], "error");
  EXPECT_EQ(ls[1]["step"], 1);
  EXPECT_NE(ls[1]["message"].get<std::string>().find("IOMMU_BOGUS"), std::string::npos);
  EXPECT_EQ(ls[2]["type"], "scenario_end");
  // The next scenario still ran, on a fresh /dev/iommu.
  EXPECT_EQ(lines_of("unbound_name_is_an_error").front()["type"], "error");
}

TEST_F(GuestAgent, ScenarioOutsideItsKernelGateIsSkipped) {
  EXPECT_EQ(lines_of("gate_excludes_old_kernels").front()["type"], "scenario_skipped");
}

TEST_F(GuestAgent, EduDevicesSitInDistinctIommuGroups) {
  std::set<std::string> groups;
  size_t edus = 0;
  std::istringstream in(run_->console);
  for (std::string l; std::getline(in, l);) {
    auto at = l.find("ioconform-init: edu ");
    if (at == std::string::npos) continue;
    ++edus;
    auto g = l.find("iommu_group ");
    groups.insert(l.substr(g + 12, l.find(' ', g + 12) - (g + 12)));
  }
  EXPECT_EQ(edus, 2u);
  EXPECT_EQ(groups.size(), 2u);
  EXPECT_FALSE(groups.count("none"));
}

TEST_F(GuestAgent, SecondDeviceSharesTheAutoDomainAndReadsTheSameMapping) {
  const std::string s = "two_devices_one_ioas";
  EXPECT_EQ(line(s, 1)["out"]["out_devid"], 2);
  EXPECT_EQ(line(s, 2)["out"]["out_devid"], 3);
  EXPECT_EQ(line(s, 3)["out"]["pt_id"], 4);
  EXPECT_EQ(line(s, 4)["out"]["pt_id"], 4) << line(s, 4);
  EXPECT_EQ(line(s, 6)["out"], json({{"result", "ok"}, {"buffer", "buf0"}, {"offset", 0x100}})) << line(s, 6);
}

TEST_F(GuestAgent, NonFixedMapTakesTheAlignmentOfTheBufferVaExactly) {
  json l = line("non_fixed_map_follows_va_alignment", 1);
  EXPECT_EQ(l["out"]["iova"], 0x10000) << l;
  EXPECT_EQ(line("non_fixed_map_follows_va_alignment", 2)["errno"], 0);
}

TEST_F(GuestAgent, ProbeRate) {
  double us = 0;
  int n = 0;
  for (const auto& l : lines_of("probe_rate"))
    if (l.value("op", "") == "DMA_READ" || l.value("op", "") == "DMA_WRITE") {
      EXPECT_EQ(l["out"]["result"], "ok") << l;
      us += l["us"].get<double>();
      ++n;
    }
  ASSERT_EQ(n, kRateProbes);
  std::cout << "[guest] " << n << " probes in " << us / 1e6 << " s: " << n / (us / 1e6) << " probes/s\n";
  RecordProperty("probes_per_second", std::to_string(n / (us / 1e6)));
}

TEST_F(GuestAgent, TheAgentDetachesHeldPasidsBeforeClosingTheFd) {
  for (size_t i = 0; i < 5; i++) EXPECT_EQ(line("pasid_held_at_end", i)["errno"], 0) << line("pasid_held_at_end", i);
  // The next scenario's first step would carry the WARNs of the previous fd's release.
  EXPECT_FALSE(line("mock_destroyed_holding_pasid", 0).contains("kernel_warnings")) << line("mock_destroyed_holding_pasid", 0);
}

TEST_F(GuestAgent, AKernelWarnDuringAStepIsReportedWithThatStep) {
  const json l = line("mock_destroyed_holding_pasid", 5);
  EXPECT_EQ(l["errno"], 0) << l;
  ASSERT_TRUE(l.contains("kernel_warnings")) << l;
  EXPECT_NE(l["kernel_warnings"][0].get<std::string>().find("WARNING:"), std::string::npos) << l;
  for (size_t i = 0; i < 5; i++) EXPECT_FALSE(line("mock_destroyed_holding_pasid", i).contains("kernel_warnings"));
}

}  // namespace
