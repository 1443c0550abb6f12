// The QEMU runner's verdicts: a guest it had to kill is a timeout that still
// returns the lines written so far; a QEMU that cannot start is qemu_failed
// with the reason; kernel crash markers on the console are recognised; a
// result line cut short is counted, not fatal. The console and result parsers
// are checked on text; timeout and start failure on real QEMU runs (the
// timeout test boots the cached kernel and skips without it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "guest_verdict.h"
#include "booted_guest.h"
#include "qemu_runner.h"

namespace {
namespace fs = std::filesystem;
using ioconform::vm::GuestStatus;

using ioconform::vm::testing::kernel_dir;
using ioconform::vm::testing::work_dir;

TEST(GuestVerdict, PanicOopsAndBugLinesAreKernelCrashes) {
  EXPECT_EQ(*ioconform::vm::find_kernel_crash("a\nKernel panic - not syncing: Fatal exception\r\n"),
            "Kernel panic - not syncing: Fatal exception");
  EXPECT_TRUE(ioconform::vm::find_kernel_crash("x\nOops: general protection fault, probably for non-canonical address\n"));
  EXPECT_TRUE(ioconform::vm::find_kernel_crash("BUG: KASAN: use-after-free in iopt_unmap_iova_range\n"));
  EXPECT_FALSE(ioconform::vm::find_kernel_crash("DMAR: [DMA Read NO_PASID] Request device [0000:00:10.0] fault addr 0x101000\n"));
}

TEST(GuestVerdict, ACutShortResultLineIsCountedAndTheRestKept) {
  auto r = ioconform::vm::parse_result_lines("{\"type\":\"step\",\"step\":0}\n{\"type\":\"step\",\"st");
  EXPECT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.unparsable, 1u);
  EXPECT_FALSE(r.done);
  EXPECT_TRUE(ioconform::vm::parse_result_lines("{\"type\":\"done\"}\n").done);
}

TEST(QemuRunner, QemuThatCannotStartIsQemuFailedWithTheReason) {
  ioconform::vm::GuestConfig c;
  c.kernel = "/proc/self/exe";  // exists; QEMU never gets to it
  c.agent = IOCONFORM_AGENT_PATH;
  c.scenarios = {{"scenarios", nlohmann::json::array()}};
  c.qemu = "/nonexistent/qemu-system-x86_64";
  c.work_dir = work_dir("qemu-missing");
  auto run = ioconform::vm::run_in_guest(c);
  EXPECT_EQ(run.status, GuestStatus::qemu_failed);
  EXPECT_NE(run.detail.find("/nonexistent/qemu-system-x86_64"), std::string::npos) << run.detail;
  fs::remove_all(c.work_dir);
}

TEST(QemuRunner, QemuRejectingItsCommandLineIsQemuFailedWithItsStderr) {
  ioconform::vm::GuestConfig c;
  c.kernel = "/proc/self/exe";
  c.agent = IOCONFORM_AGENT_PATH;
  c.scenarios = {{"scenarios", nlohmann::json::array()}};
  c.memory_mib = 0;  // QEMU: "Invalid RAM size"
  c.work_dir = work_dir("qemu-bad-args");
  auto run = ioconform::vm::run_in_guest(c);
  EXPECT_EQ(run.status, GuestStatus::qemu_failed) << run.detail;
  EXPECT_FALSE(run.qemu_stderr.empty());
  fs::remove_all(c.work_dir);
}

TEST(QemuRunner, GuestKilledAtTheDeadlineIsATimeoutAndKeepsItsPartialResults) {
  fs::path kdir = kernel_dir();
  if (!fs::exists(kdir / "ok") && std::getenv("IOCONFORM_REQUIRE_KERNEL")) FAIL() << "no complete conformance kernel at " << kdir;
  if (!fs::exists(kdir / "ok")) GTEST_SKIP() << "no complete conformance kernel at " << kdir;
  nlohmann::json steps = nlohmann::json::array({{{"op", "IOMMU_IOAS_ALLOC"}}});
  // Forty DMA_READs take ~13 s of edu timers: far past the 6 s deadline.
  nlohmann::json sc = {{"name", "slow"},
                       {"setup", {{"buffers", {{{"name", "b"}, {"pages", 1}}}}, {"devices", {{{"name", "d"}}}}}}};
  steps.push_back({{"op", "VFIO_DEVICE_BIND_IOMMUFD"}, {"args", {{"dev", "d"}}}});
  steps.push_back({{"op", "VFIO_DEVICE_ATTACH_IOMMUFD_PT"}, {"args", {{"dev", "d"}, {"pt_id", 1}}}});
  for (int i = 0; i < 40; ++i) steps.push_back({{"op", "DMA_READ"}, {"args", {{"dev", "d"}, {"iova", "0x1000"}, {"length", 8}}}});
  sc["steps"] = steps;
  ioconform::vm::GuestConfig c;
  c.kernel = kdir / "bzImage";
  c.agent = IOCONFORM_AGENT_PATH;
  c.scenarios = {{"scenarios", {sc}}};
  c.timeout = std::chrono::seconds(6);
  c.work_dir = work_dir("timeout");
  auto run = ioconform::vm::run_in_guest(c);
  EXPECT_EQ(run.status, GuestStatus::timeout) << run.detail << "\n" << run.console;
  EXPECT_LT(run.seconds, 9.0);
  // The steps finished before the kill are there: at least the alloc, bind and attach.
  ASSERT_GE(run.results.size(), 4u) << run.console;
  EXPECT_EQ(run.results[1]["op"], "IOMMU_IOAS_ALLOC");
  EXPECT_EQ(run.results[1]["out"]["out_ioas_id"], 1);
  fs::remove_all(c.work_dir);
}

}  // namespace
