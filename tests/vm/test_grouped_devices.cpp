// Two edu devices sharing one IOMMU group, on the real kernel: boot the cached
// conformance kernel with one solo edu and the grouped pair behind a PCI
// bridge, run one grouped scenario, and check what the kernel answered and
// where DMA went (notes on the semantics: docs/scenario-format.md, Devices).
// The group, not the device, sits in a domain: a member cannot attach elsewhere
// (EINVAL), joins with the same pt_id, a replace moves the group, and a member
// DMAs through the group's domain even when it is detached itself. The agent
// must measure such a member's probes through its group's IOAS, since the
// scratch attach it uses for a device without a domain is refused while a
// sibling is attached (device.c:iommufd_hw_pagetable_attach:632).
// The group-rule checks that need no guest (which devices a scenario may
// group, the QEMU command line, the differential refusing a scenario) run
// first and never skip.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include "differential.h"
#include "edu_topology.h"
#include "booted_guest.h"
#include "qemu_runner.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using ioconform::vm::GuestRun;
using ioconform::vm::GuestStatus;

using ioconform::vm::testing::kernel_dir;
using ioconform::vm::testing::work_dir;

json devices_scenario(const json& devices) {
  return {{"name", "s"}, {"setup", {{"devices", devices}}}, {"steps", json::array()}};
}

TEST(DeviceGroupRule, UnlabelledDevicesAreSoloAndOneLabelMayGroupTwo) {
  auto needs = ioconform::vm::device_needs(devices_scenario(json::parse(R"([
      {"name": "dev0"}, {"name": "dev1", "group": "g0"}, {"name": "dev2", "group": "g0"}, {"name": "dev3"}])")));
  EXPECT_EQ(needs.solo, 2u);
  EXPECT_EQ(needs.group_label, "g0");
  EXPECT_EQ(needs.grouped, 2u);
  EXPECT_EQ(ioconform::vm::device_needs(json::parse(R"({"name": "n", "steps": []})")).solo, 0u);
}

TEST(DeviceGroupRule, ASecondLabelOrAThirdMemberIsRefusedNamingTheDevices) {
  try {
    ioconform::vm::device_needs(devices_scenario(json::parse(R"([
        {"name": "dev0", "group": "g0"}, {"name": "dev1", "group": "g1"}])")));
    FAIL() << "two labels accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("device dev1 uses group 'g1' besides group 'g0'"), std::string::npos) << e.what();
  }
  try {
    ioconform::vm::device_needs(devices_scenario(json::parse(R"([
        {"name": "a", "group": "g"}, {"name": "b", "group": "g"}, {"name": "c", "group": "g"}])")));
    FAIL() << "three devices in one group accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("group 'g' has 3 devices (a, b, c)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ioconform::vm::device_needs(devices_scenario(json::parse(R"([{"name": "a", "group": ""}])"))),
               std::invalid_argument);
}

TEST(DeviceGroupRule, TheBatchGetsThePairOnlyWhenAScenarioUsesALabel) {
  ioconform::vm::EduTopology t;
  ioconform::vm::add_needs(t, {0, "", 0});
  EXPECT_EQ(t.solo_edus, 1u);  // at least one, as before groups existed
  EXPECT_FALSE(t.grouped_pair);
  ioconform::vm::add_needs(t, {2, "", 0});
  ioconform::vm::add_needs(t, {1, "g0", 2});
  EXPECT_EQ(t.solo_edus, 2u);
  EXPECT_TRUE(t.grouped_pair);
}

TEST(DeviceGroupRule, PlacementWithoutExactlyOneSharedPairIsAProblemNamingEachEdusGroup) {
  using ioconform::vm::grouped_pair_problem;
  EXPECT_FALSE(grouped_pair_problem({{"0000:00:10.0", "3"}, {"0000:01:01.0", "4"}, {"0000:01:02.0", "4"}}));
  auto split = grouped_pair_problem({{"0000:00:10.0", "3"}, {"0000:01:01.0", "4"}, {"0000:01:02.0", "5"}});
  ASSERT_TRUE(split);
  EXPECT_NE(split->find("no two edus share an IOMMU group"), std::string::npos) << *split;
  EXPECT_NE(split->find("0000:01:02.0 in group 5"), std::string::npos) << *split;
  EXPECT_TRUE(grouped_pair_problem({{"0000:01:01.0", "4"}, {"0000:01:02.0", "4"}, {"0000:01:03.0", "4"}}));
  EXPECT_TRUE(grouped_pair_problem({{"0000:01:01.0", "none"}, {"0000:01:02.0", "none"}}));
  EXPECT_TRUE(grouped_pair_problem({}));
}

TEST(QemuTopology, TheGroupedPairIsTwoEdusBehindAConventionalBridgeBesideTheSoloEdus) {
  ioconform::vm::GuestConfig c;
  c.kernel = "/proc/self/exe";
  c.agent = IOCONFORM_AGENT_PATH;
  c.scenarios = {{"scenarios", json::array()}};
  c.qemu = "/nonexistent/qemu-system-x86_64";  // the command line is built, QEMU never runs
  c.edu_devices = 2;
  c.grouped_edu_pair = true;
  c.work_dir = work_dir("grouped-cmdline");
  auto run = ioconform::vm::run_in_guest(c);
  std::string cmd;
  for (const auto& a : run.qemu_command) cmd += a + " ";
  EXPECT_NE(cmd.find("-device edu,dma_mask=0xffffffffffffffff,addr=10.0 -device edu,dma_mask=0xffffffffffffffff,addr=11.0 "
                     "-device pci-bridge,id=br1,chassis_nr=1,bus=pcie.0,addr=18.0,shpc=off "
                     "-device edu,bus=br1,addr=01.0,dma_mask=0xffffffffffffffff "
                     "-device edu,bus=br1,addr=02.0,dma_mask=0xffffffffffffffff "),
            std::string::npos)
      << cmd;
  c.grouped_edu_pair = false;
  run = ioconform::vm::run_in_guest(c);
  cmd.clear();
  for (const auto& a : run.qemu_command) cmd += a + " ";
  EXPECT_EQ(cmd.find("pci-bridge"), std::string::npos) << cmd;
  EXPECT_EQ(cmd.find("bus=br1"), std::string::npos) << cmd;
  fs::remove_all(c.work_dir);
}

TEST(DifferentialTopology, AScenarioWithTwoGroupLabelsIsRefusedBeforeAnythingBoots) {
  ioconform::conformance::Scenario s;
  s.name = "two_labels";
  s.source = "two_labels.json";
  s.devices = {{"dev0", "edu", "g0"}, {"dev1", "edu", "g1"}};
  ioconform::harness::KernelBuild k;
  k.bzimage = "/nonexistent/bzImage";
  k.release = "7.2";
  ioconform::harness::CampaignOptions o;
  o.agent = IOCONFORM_AGENT_PATH;
  o.work_dir = work_dir("two-labels");
  try {
    ioconform::harness::run_differential({s}, k, o);
    FAIL() << "a scenario with two group labels was run";
  } catch (const ioconform::conformance::ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("two_labels.json: device dev1 uses group 'g1'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(o.work_dir));
}

// The grouped scenario. Ids on a fresh iommufd: IOAS a 1, b 2, devices 3, 4, 5.
// The probe at step 7 (group blocked) borrows a scratch IOAS 6 and HWPT 7 and
// frees them, so dev1's attach makes HWPT 6; the refused attach of step 10
// makes and destroys HWPT 7, which the replace of step 12 makes again, and the
// replace destroys HWPT 6, which dev0's own attach of step 14 makes again.
// IOVA 0x100000 is buf0+0 through a and buf0+0x8000 through b, so a probe's
// offset tells which domain translated it.
json grouped_scenario() {
  return json::parse(R"({"name": "grouped_pair",
    "setup": {"buffers": [{"name": "buf0", "pages": 16, "align": 65536}],
              "devices": [{"name": "dev0", "kind": "edu"},
                          {"name": "dev1", "kind": "edu", "group": "g0"},
                          {"name": "dev2", "kind": "edu", "group": "g0"}]},
    "steps": [
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$a"}},
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$b"}},
      {"op": "IOMMU_IOAS_MAP", "args": {"ioas_id": "$a", "user_va": "buf0", "length": 8192,
        "iova": "0x100000", "flags": ["FIXED_IOVA", "READABLE", "WRITEABLE"]}},
      {"op": "IOMMU_IOAS_MAP", "args": {"ioas_id": "$b", "user_va": "buf0+0x8000", "length": 8192,
        "iova": "0x100000", "flags": ["FIXED_IOVA", "READABLE", "WRITEABLE"]}},
      {"op": "VFIO_DEVICE_BIND_IOMMUFD", "args": {"dev": "dev0"}},
      {"op": "VFIO_DEVICE_BIND_IOMMUFD", "args": {"dev": "dev1"}},
      {"op": "VFIO_DEVICE_BIND_IOMMUFD", "args": {"dev": "dev2"}},
      {"op": "DMA_READ", "args": {"dev": "dev1", "iova": "0x100000", "length": 64}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev1", "pt_id": "$a"}},
      {"op": "DMA_READ", "args": {"dev": "dev2", "iova": "0x100000", "length": 64}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev2", "pt_id": "$b"}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev2", "pt_id": "$a"}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev1", "pt_id": "$b"}},
      {"op": "DMA_READ", "args": {"dev": "dev2", "iova": "0x100000", "length": 64}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev0", "pt_id": "$a"}},
      {"op": "DMA_READ", "args": {"dev": "dev0", "iova": "0x100000", "length": 64}},
      {"op": "DMA_WRITE", "args": {"dev": "dev2", "iova": "0x100800", "length": 64}},
      {"op": "VFIO_DEVICE_DETACH_IOMMUFD_PT", "args": {"dev": "dev1"}},
      {"op": "DMA_READ", "args": {"dev": "dev1", "iova": "0x101000", "length": 64}},
      {"op": "DMA_WRITE", "args": {"dev": "dev2", "iova": "0x101000", "length": 64}},
      {"op": "VFIO_DEVICE_DETACH_IOMMUFD_PT", "args": {"dev": "dev2"}},
      {"op": "DMA_READ", "args": {"dev": "dev2", "iova": "0x100000", "length": 64}},
      {"op": "DMA_WRITE", "args": {"dev": "dev1", "iova": "0x100000", "length": 64}},
      {"op": "IOMMU_IOAS_ALLOC", "out": {"out_ioas_id": "$c"}},
      {"op": "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "args": {"dev": "dev1", "pt_id": "$a"}},
      {"op": "DMA_READ", "args": {"dev": "dev2", "iova": "0x101000", "length": 64}}
    ]})");
}

class GroupedDevices : public ioconform::vm::testing::BootedGuestSuite {
 protected:
  static void SetUpTestSuite() {
    auto kdir = usable_kernel();
    if (!kdir) return;
    json s = json::array({grouped_scenario()});
    // The agent refuses what the platform cannot give even when the host did not.
    s.push_back(json::parse(R"({"name": "two_labels", "setup": {"devices": [
        {"name": "dev0", "group": "g0"}, {"name": "dev1", "group": "g1"}]},
        "steps": [{"op": "IOMMU_IOAS_ALLOC"}]})"));
    ioconform::vm::GuestConfig c;
    c.kernel = *kdir / "bzImage";
    c.agent = IOCONFORM_AGENT_PATH;
    c.scenarios = {{"scenarios", s}};
    c.edu_devices = 1;
    c.grouped_edu_pair = true;
    c.timeout = std::chrono::seconds(300);
    c.work_dir = work_dir("grouped-devices");
    boot(c);
    for (const auto& l : run_->results)
      if (l.value("scenario", json()) == "grouped_pair") std::cout << "[guest] " << l.dump() << "\n";
  }
  static json line(long i, const std::string& name = "grouped_pair") { return BootedGuestSuite::line(name, i); }
  static json dma(const std::string& buffer, uint64_t offset) {
    return {{"result", "ok"}, {"buffer", buffer}, {"offset", offset}};
  }
  // The requester ids of the DMAR fault records a probe saw (rate-limited: maybe none).
  static std::vector<std::string> fault_requesters(const json& l) {
    std::vector<std::string> ids;
    for (const auto& o : l.value("observations", json::array())) {
      const std::string s = o.get<std::string>();
      auto at = s.find("Request device [");
      if (at != std::string::npos) ids.push_back(s.substr(at + 16, s.find(']', at) - at - 16));
    }
    return ids;
  }
};

TEST_F(GroupedDevices, TheAgentReportsTwoEdusInOneGroupAndTheRootBusEduAlone) {
  const auto& g = run_->edu_iommu_groups;
  ASSERT_EQ(g.size(), 3u);
  ASSERT_TRUE(g.count("0000:00:10.0"));
  std::map<std::string, int> members;
  for (const auto& [bdf, group] : g) ++members[group];
  EXPECT_EQ(members[g.at("0000:00:10.0")], 1);
  EXPECT_EQ(members.size(), 2u);
  EXPECT_FALSE(members.count("none"));
}

TEST_F(GroupedDevices, BothMembersBind) {
  for (long i : {4, 5, 6}) EXPECT_EQ(line(i)["errno"], 0) << line(i);
  EXPECT_EQ(line(5)["out"]["out_devid"], 4) << line(5);
  EXPECT_EQ(line(6)["out"]["out_devid"], 5) << line(6);
}

TEST_F(GroupedDevices, ABoundGroupWithNoMemberAttachedIsBlocked) {
  EXPECT_EQ(line(7)["out"], json({{"result", "fault"}})) << line(7);
  // The scratch IOAS and HWPT of that probe were given back.
  EXPECT_EQ(line(8)["out"]["pt_id"], 6) << line(8);
  // Both members DMA with the bridge's requester id (the alias behind the shared
  // group). 7.2 prints it with the PCI domain ("0000:00:18.0"), 6.12 without.
  for (const auto& id : fault_requesters(line(7))) EXPECT_TRUE(id.ends_with("00:18.0")) << line(7);
}

TEST_F(GroupedDevices, AMemberNeverAttachedDmasThroughTheDomainItsSiblingAttachedTheGroupTo) {
  EXPECT_EQ(line(8)["errno"], 0) << line(8);
  EXPECT_EQ(line(9)["out"], dma("buf0", 0)) << line(9);
}

TEST_F(GroupedDevices, AMemberCannotAttachTheGroupToAnotherIoasButJoinsItsHwpt) {
  EXPECT_EQ(line(10)["errno"], "EINVAL") << line(10);
  EXPECT_EQ(line(11)["errno"], 0) << line(11);
  EXPECT_EQ(line(11)["out"]["pt_id"], line(8)["out"]["pt_id"]) << line(11);
}

TEST_F(GroupedDevices, AReplaceMovesTheWholeGroupAndItsSiblingNowReachesTheNewIoas) {
  EXPECT_EQ(line(12)["errno"], 0) << line(12);
  EXPECT_EQ(line(12)["out"]["pt_id"], 7) << line(12);
  EXPECT_EQ(line(13)["out"], dma("buf0", 0x8000)) << line(13);
  EXPECT_EQ(line(16)["out"], dma("buf0", 0x8800)) << line(16);
}

TEST_F(GroupedDevices, TheSoloDeviceIsNotInTheGroup) {
  // Attaching it to a while the group sits in b's HWPT would be EINVAL for a member.
  EXPECT_EQ(line(14)["errno"], 0) << line(14);
  EXPECT_EQ(line(14)["out"]["pt_id"], 6) << line(14);
  EXPECT_EQ(line(15)["out"], dma("buf0", 0)) << line(15);
}

TEST_F(GroupedDevices, ADetachedMemberStillTranslatesThroughTheDomainItsSiblingHolds) {
  EXPECT_EQ(line(17)["errno"], 0) << line(17);
  EXPECT_EQ(line(18)["out"], dma("buf0", 0x9000)) << line(18);
  EXPECT_EQ(line(19)["out"], dma("buf0", 0x9000)) << line(19);
}

TEST_F(GroupedDevices, AfterTheLastMemberDetachesTheGroupIsBlockedAndIdsAreAsTheScenarioLeftThem) {
  EXPECT_EQ(line(20)["errno"], 0) << line(20);
  EXPECT_EQ(line(21)["out"], json({{"result", "fault"}})) << line(21);
  EXPECT_EQ(line(22)["out"], json({{"result", "fault"}})) << line(22);
  // b's HWPT 7 died with the last member's detach, and the two probes' scratch
  // IOAS and HWPT were freed: the lowest free id is 7.
  EXPECT_EQ(line(23)["out"]["out_ioas_id"], 7) << line(23);
  // The blocked group attaches again, to the HWPT dev0 holds on a, and the
  // member that stayed detached reaches a through it.
  EXPECT_EQ(line(24)["out"]["pt_id"], 6) << line(24);
  EXPECT_EQ(line(25)["out"], dma("buf0", 0x1000)) << line(25);
}

TEST_F(GroupedDevices, EveryStepOfTheGroupedScenarioRan) {
  for (long i = 0; i < static_cast<long>(grouped_scenario()["steps"].size()); ++i)
    EXPECT_EQ(line(i)["type"], "step") << i << ": " << line(i);
}

TEST_F(GroupedDevices, TheAgentRefusesASecondGroupLabel) {
  bool found = false;
  for (const auto& l : run_->results)
    if (l.value("scenario", json()) == "two_labels" && l.value("type", "") == "error") {
      found = true;
      EXPECT_TRUE(l["step"].is_null()) << l;
      EXPECT_NE(l["message"].get<std::string>().find("uses group 'g1' besides group 'g0'"), std::string::npos) << l;
    }
  EXPECT_TRUE(found);
}

// The failure the runner must catch: QEMU is made to put the pair's two edus
// on root-bus slots of their own (a wrapper rewrites the two -device lines), so
// the guest has them in two groups. The agent refuses the grouped scenario and
// the runner reports topology_mismatch, naming each edu's group.
TEST(GroupedDevicesMisplaced, APairInTwoGroupsIsATopologyMismatchAndTheGroupedScenarioAnError) {
  fs::path kdir = kernel_dir();
  if (!fs::exists(kdir / "ok") && std::getenv("IOCONFORM_REQUIRE_KERNEL")) FAIL() << "no complete conformance kernel at " << kdir;
  if (!fs::exists(kdir / "ok")) GTEST_SKIP() << "no complete conformance kernel at " << kdir;
  ioconform::vm::GuestConfig c;
  c.work_dir = work_dir("grouped-misplaced");
  fs::create_directories(c.work_dir);
  c.qemu = (c.work_dir / "qemu-split-pair").string();
  std::ofstream(c.qemu) << R"(#!/bin/bash
args=()
for a in "$@"; do
  case "$a" in
    edu,bus=br1,addr=01.0,*) a=edu,addr=19.0,dma_mask=0xffffffffffffffff ;;
    edu,bus=br1,addr=02.0,*) a=edu,addr=1a.0,dma_mask=0xffffffffffffffff ;;
  esac
  args+=("$a")
done
exec qemu-system-x86_64 "${args[@]}"
)";
  fs::permissions(c.qemu, fs::perms(0755));
  c.kernel = kdir / "bzImage";
  c.agent = IOCONFORM_AGENT_PATH;
  c.scenarios = {{"scenarios", json::array({json::parse(R"({"name": "needs_the_pair", "setup": {"devices": [
      {"name": "dev0", "group": "g0"}, {"name": "dev1", "group": "g0"}]},
      "steps": [{"op": "VFIO_DEVICE_BIND_IOMMUFD", "args": {"dev": "dev0"}}]})")})}};
  c.edu_devices = 1;
  c.grouped_edu_pair = true;
  c.timeout = std::chrono::seconds(120);
  auto run = ioconform::vm::run_in_guest(c);
  EXPECT_EQ(run.status, GuestStatus::topology_mismatch) << run.detail << "\n" << run.console;
  EXPECT_NE(run.detail.find("no two edus share an IOMMU group"), std::string::npos) << run.detail;
  EXPECT_EQ(run.edu_iommu_groups.size(), 3u);
  bool refused = false;
  for (const auto& l : run.results)
    if (l.value("scenario", json()) == "needs_the_pair" && l.value("type", "") == "error") {
      refused = true;
      EXPECT_NE(l["message"].get<std::string>().find("no two of the guest's edus share one"), std::string::npos) << l;
    }
  EXPECT_TRUE(refused);
  std::cout << "[guest] " << to_string(run.status) << ": " << run.detail << " (" << run.seconds << " s)\n";
  if (!::testing::Test::HasFailure()) fs::remove_all(c.work_dir);
}

}  // namespace
