// What the vm-tier tests share: where the conformance kernel is, a per-run work
// directory, and a suite fixture that boots one guest for all of its tests.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "qemu_runner.h"

namespace ioconform::vm::testing {

namespace fs = std::filesystem;

inline fs::path kernel_dir() {
  const char* env = std::getenv("IOCONFORM_KERNEL_DIR");
  return env ? fs::path(env) : fs::path(IOCONFORM_DEFAULT_KERNEL_DIR);
}

inline fs::path work_dir(const std::string& name) {
  return fs::path(::testing::TempDir()) / ("ioconform-" + name + "-" + std::to_string(::getpid()));
}

// One guest boot serves every test of the suite (a boot costs seconds of TCG).
// Derived suites define SetUpTestSuite(): take usable_kernel(), fill a
// GuestConfig, boot() it.
class BootedGuestSuite : public ::testing::Test {
 protected:
  // The complete cached kernel, or nothing (and the reason every test then skips).
  static std::optional<fs::path> usable_kernel() {
    fs::path kdir = kernel_dir();
    if (fs::exists(kdir / "ok") && fs::exists(kdir / "bzImage")) return kdir;
    skip_reason_ = "no complete conformance kernel at " + kdir.string() +
                   " (needs bzImage and the `ok` marker; build one with harness/kernel/build.sh "
                   "or set IOCONFORM_KERNEL_DIR)";
    return std::nullopt;
  }
  static void boot(const GuestConfig& c) {
    run_ = new GuestRun(run_in_guest(c));
    work_dir_ = c.work_dir;
    std::cout << "[guest] " << c.kernel.parent_path().filename().string() << ": status " << to_string(run_->status)
              << " " << run_->detail << ", " << run_->seconds << " s of QEMU, " << run_->results.size()
              << " result lines, work dir " << c.work_dir << "\n";
  }
  static void TearDownTestSuite() {
    // Keep the logs of a run that went wrong; a completed one is in the test output.
    if (run_ && run_->status == GuestStatus::completed && !::testing::UnitTest::GetInstance()->failed_test_count())
      fs::remove_all(work_dir_);
    delete run_;
    run_ = nullptr;
  }
  void SetUp() override {
    // CI (tools/test.sh) builds the kernel first and requires it: a skip there would hide a missing kernel.
    if (!skip_reason_.empty() && std::getenv("IOCONFORM_REQUIRE_KERNEL")) FAIL() << skip_reason_;
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_NE(run_, nullptr);
    ASSERT_EQ(run_->status, GuestStatus::completed) << run_->detail << "\n--- console ---\n" << run_->console;
  }
  // The result line of step `i` of scenario `name` (a step or error line), or null.
  static nlohmann::json line(const std::string& name, long i) {
    for (const auto& l : run_->results)
      if (l.value("scenario", nlohmann::json()) == name && l.contains("step") && l["step"] == i) return l;
    return nlohmann::json();
  }

  static inline GuestRun* run_ = nullptr;
  static inline std::string skip_reason_;
  static inline fs::path work_dir_;
};

}  // namespace ioconform::vm::testing
