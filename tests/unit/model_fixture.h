// A model with a buffer and two devices (each alone in its IOMMU group, or both
// in the group `group_label`), and shorthands that issue ops by their kernel
// names, for tests that read like the scenarios they stand for.
#pragma once
#include <gtest/gtest.h>

#include "model/model.h"
#include "spec/catalogue.h"

namespace ioconform::model::testing {

constexpr u64 kFixed = 1, kWrite = 2, kRead = 4, kRW = kWrite | kRead;

class ModelTest : public ::testing::Test {
 protected:
  explicit ModelTest(const std::string& group_label = "") {
    buf = m.add_buffer("buf0", 16, false, 65536).va;
    m.add_device("dev0", group_label);
    m.add_device("dev1", group_label);
  }
  StepResult op(const std::string& name, nlohmann::json args = nlohmann::json::object()) {
    return m.apply(Op{name, std::move(args)});
  }
  u32 ioas_alloc() { return op("IOMMU_IOAS_ALLOC").out["out_ioas_id"].get<u32>(); }
  StepResult map_fixed(u32 ioas, u64 va, u64 length, u64 iova, u64 flags = kRW) {
    return op("IOMMU_IOAS_MAP", {{"ioas_id", ioas}, {"user_va", va}, {"length", length}, {"iova", iova}, {"flags", flags | kFixed}});
  }
  StepResult map_any(u32 ioas, u64 va, u64 length, u64 flags = kRW) {
    return op("IOMMU_IOAS_MAP", {{"ioas_id", ioas}, {"user_va", va}, {"length", length}, {"flags", flags}});
  }
  StepResult unmap(u32 ioas, u64 iova, u64 length) {
    return op("IOMMU_IOAS_UNMAP", {{"ioas_id", ioas}, {"iova", iova}, {"length", length}});
  }
  u32 bind(const std::string& dev) { return op("VFIO_DEVICE_BIND_IOMMUFD", {{"dev", dev}}).out["out_devid"].get<u32>(); }
  StepResult attach(const std::string& dev, u32 pt) { return op("VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", dev}, {"pt_id", pt}}); }
  StepResult detach(const std::string& dev) { return op("VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", dev}}); }
  nlohmann::json ranges(u32 ioas) {
    return op("IOMMU_IOAS_IOVA_RANGES", {{"ioas_id", ioas}, {"num_iovas", 8}}).out;
  }
  static void expect_rule(const StepResult& r, const std::string& rule) {
    const auto* want = spec::Catalogue::get().rule(rule);
    ASSERT_NE(want, nullptr) << rule;
    EXPECT_EQ(r.rule, rule);
    EXPECT_EQ(r.err, want->errno_value) << "rule " << rule;
  }

  Model m;
  u64 buf = 0;
};

// dev0 and dev1 share group g0; dev2 is alone in its group; all three bound.
// IOVA kGroupIova reaches buf0+0 through IOAS a and buf0+kOffsetInB through IOAS
// b, so a translation tells which domain answered.
constexpr u64 kGroupIova = 0x100000, kOffsetInB = 0x8000;

class TwoIoasTest : public ModelTest {
 protected:
  TwoIoasTest() : ModelTest("g0") { m.add_device("dev2"); }
  void SetUp() override {
    a = ioas_alloc();
    b = ioas_alloc();
    ASSERT_EQ(map_fixed(a, buf, 0x2000, kGroupIova).err, 0);
    ASSERT_EQ(map_fixed(b, buf + kOffsetInB, 0x2000, kGroupIova).err, 0);
    d0 = bind("dev0");
    d1 = bind("dev1");
    d2 = bind("dev2");
  }
  u32 a = 0, b = 0, d0 = 0, d1 = 0, d2 = 0;
};

}  // namespace ioconform::model::testing
