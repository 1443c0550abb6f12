// The IOAS ioctls: argument checks in the kernel's order, IOVA_RANGES, ALLOW_IOVAS,
// COPY and IOMMU_OPTION.
#include "model/ioas.h"

#include <gtest/gtest.h>

#include "model_fixture.h"

using namespace ioconform::model;
using namespace ioconform::model::testing;

using IoasMap = ModelTest;

TEST_F(IoasMap, ChecksFlagsBeforeOverflowBeforeAccessBeforeTheIoasId) {
  // ioas 99 does not exist: each earlier check must win over the ENOENT.
  expect_rule(op("IOMMU_IOAS_MAP", {{"ioas_id", 99}, {"flags", 8 | kRW}, {"length", 4096}}), "ioas_map.flags_unsupported");
  expect_rule(op("IOMMU_IOAS_MAP", {{"ioas_id", 99}, {"flags", kRW}, {"__reserved", 1}}), "ioas_map.flags_unsupported");
  expect_rule(op("IOMMU_IOAS_MAP", {{"ioas_id", 99}, {"flags", kRW}, {"length", kUlongMax}}), "ioas_map.u64_max_argument");
  expect_rule(op("IOMMU_IOAS_MAP", {{"ioas_id", 99}, {"flags", kFixed}, {"length", 4096}}), "ioas_map.no_access");
  expect_rule(op("IOMMU_IOAS_MAP", {{"ioas_id", 99}, {"flags", kRW}, {"length", 4096}}), "object.ioas_not_found");
}

TEST_F(IoasMap, ZeroLengthAndWrappingVaAreRefusedWhenThePagesAreMade) {
  u32 ioas = ioas_alloc();
  expect_rule(map_fixed(ioas, buf, 0, 0x100000), "ioas_map.length_zero");
  expect_rule(map_fixed(ioas, kUlongMax - 100, 4096, 0x100000), "ioas_map.user_va_wraps");
}

TEST_F(IoasMap, UnbackedVaIsAcceptedLazilyButFaultsWhenADomainPinsIt) {
  u32 ioas = ioas_alloc();
  EXPECT_EQ(map_fixed(ioas, 0x100000000000, 4096, 0x100000).err, 0);
  bind("dev0");
  expect_rule(attach("dev0", ioas), "attach.fill_domain_pin_failed");
  // With the domain there, the same map is pinned at once and faults.
  u32 ioas2 = ioas_alloc();
  ASSERT_EQ(attach("dev0", ioas2).err, 0);
  expect_rule(map_fixed(ioas2, 0x100000000000, 4096, 0x100000), "ioas_map.pin_failed");
}

TEST_F(IoasMap, AFailedAttachFreesTheAutoHwptId) {
  u32 ioas = ioas_alloc();
  ASSERT_EQ(map_fixed(ioas, buf, 4096, 0xfee00000).err, 0);  // inside the MSI window
  u32 dev = bind("dev0");
  expect_rule(attach("dev0", ioas), "attach.resv_region_conflict");
  EXPECT_EQ(ioas_alloc(), dev + 1);  // the HWPT id was given back
}

using IoasIovaRanges = ModelTest;

TEST_F(IoasIovaRanges, NoDeviceMeansOneRangeAndAlignmentOne) {
  u32 ioas = ioas_alloc();
  auto out = ranges(ioas);
  EXPECT_EQ(out["out_iova_alignment"].get<u64>(), 1u);
  ASSERT_EQ(out["num_iovas"].get<u64>(), 1u);
  EXPECT_EQ(out["ranges"][0]["start"].get<u64>(), 0u);
  EXPECT_EQ(out["ranges"][0]["last"].get<u64>(), kUlongMax);
}

TEST_F(IoasIovaRanges, VtdDeviceCarvesTheMsiWindowAndTheAperture) {
  u32 ioas = ioas_alloc();
  EXPECT_EQ(bind("dev0"), 2u);
  auto a = attach("dev0", ioas);
  ASSERT_EQ(a.err, 0);
  EXPECT_EQ(a.out["pt_id"].get<u32>(), 3u);  // the automatic HWPT
  auto out = ranges(ioas);
  EXPECT_EQ(out["out_iova_alignment"].get<u64>(), 4096u);
  ASSERT_EQ(out["num_iovas"].get<u64>(), 2u);
  EXPECT_EQ(out["ranges"][0], (nlohmann::json{{"start", 0}, {"last", 0xfedfffff}}));
  EXPECT_EQ(out["ranges"][1], (nlohmann::json{{"start", 0xfef00000}, {"last", 0x7fffffffff}}));
}

TEST_F(IoasIovaRanges, TooSmallCapacityIsEmsgsizeWithTheCountWrittenBack) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  ASSERT_EQ(attach("dev0", ioas).err, 0);
  auto r = op("IOMMU_IOAS_IOVA_RANGES", {{"ioas_id", ioas}, {"num_iovas", 1}});
  expect_rule(r, "ioas_iova_ranges.too_many_ranges");
  EXPECT_EQ(r.out["num_iovas"].get<u64>(), 2u);
  EXPECT_EQ(r.out["ranges"].size(), 1u);
}

using IoasAllowIovas = ModelTest;

TEST_F(IoasAllowIovas, RefusesDegenerateOverlappingAndReservedRanges) {
  u32 ioas = ioas_alloc();
  expect_rule(op("IOMMU_IOAS_ALLOW_IOVAS", {{"ioas_id", ioas}, {"ranges", {{{"start", 5}, {"last", 5}}}}}),
              "ioas_allow_iovas.start_not_below_last");
  expect_rule(op("IOMMU_IOAS_ALLOW_IOVAS",
                 {{"ioas_id", ioas}, {"ranges", {{{"start", 0}, {"last", 100}}, {{"start", 100}, {"last", 200}}}}}),
              "ioas_allow_iovas.ranges_overlap");
  bind("dev0");
  ASSERT_EQ(attach("dev0", ioas).err, 0);
  expect_rule(op("IOMMU_IOAS_ALLOW_IOVAS", {{"ioas_id", ioas}, {"ranges", {{{"start", 0xfe000000}, {"last", 0xff000000}}}}}),
              "ioas_allow_iovas.reserved_overlap");
}

TEST_F(IoasAllowIovas, AnAllowedRangeOverTheMsiWindowBlocksAttach) {
  u32 ioas = ioas_alloc();
  ASSERT_EQ(op("IOMMU_IOAS_ALLOW_IOVAS", {{"ioas_id", ioas}, {"ranges", {{{"start", 0xfe000000}, {"last", 0xff000000}}}}}).err, 0);
  bind("dev0");
  expect_rule(attach("dev0", ioas), "attach.resv_region_conflict");
}

using IoasCopy = ModelTest;

TEST_F(IoasCopy, CopiesContiguousAreasAndRefusesGaps) {
  u32 src = ioas_alloc(), dst = ioas_alloc();
  ASSERT_EQ(map_fixed(src, buf, 4096, 0x100000).err, 0);
  ASSERT_EQ(map_fixed(src, buf + 4096, 4096, 0x101000).err, 0);
  auto r = op("IOMMU_IOAS_COPY", {{"src_ioas_id", src}, {"dst_ioas_id", dst}, {"src_iova", 0x100000}, {"length", 8192},
                                  {"dst_iova", 0x400000}, {"flags", kFixed | kRW}});
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(r.out["dst_iova"].get<u64>(), 0x400000u);
  expect_rule(op("IOMMU_IOAS_COPY", {{"src_ioas_id", src}, {"dst_ioas_id", dst}, {"src_iova", 0x100000}, {"length", 0x3000},
                                     {"flags", kRW}}),
              "ioas_copy.src_not_contiguous");
}

TEST_F(IoasCopy, WriteableCopyOfReadOnlyPagesIsEperm) {
  u32 src = ioas_alloc(), dst = ioas_alloc();
  ASSERT_EQ(map_fixed(src, buf, 4096, 0x100000, kRead).err, 0);
  expect_rule(op("IOMMU_IOAS_COPY", {{"src_ioas_id", src}, {"dst_ioas_id", dst}, {"src_iova", 0x100000}, {"length", 4096},
                                     {"flags", kRW}}),
              "iopt_map.write_to_readonly_pages");
  EXPECT_EQ(op("IOMMU_IOAS_COPY", {{"src_ioas_id", src}, {"dst_ioas_id", dst}, {"src_iova", 0x100000}, {"length", 4096},
                                   {"flags", kRead}}).err, 0);
}

using IommuOption = ModelTest;

TEST_F(IommuOption, RlimitModeIsSettableOnlyBeforeAnyObject) {
  EXPECT_EQ(op("IOMMU_OPTION", {{"option_id", 0}, {"op", 0}, {"val64", 1}}).err, 0);
  EXPECT_EQ(op("IOMMU_OPTION", {{"option_id", 0}, {"op", 1}}).out["val64"].get<u64>(), 1u);
  expect_rule(op("IOMMU_OPTION", {{"option_id", 0}, {"op", 0}, {"val64", 2}}), "option.rlimit_mode_bad_value");
  ioas_alloc();
  expect_rule(op("IOMMU_OPTION", {{"option_id", 0}, {"op", 0}, {"val64", 2}}), "option.rlimit_mode_objects_exist");
}

TEST_F(IommuOption, DisablingHugePagesRaisesTheAlignmentWithoutADevice) {
  u32 ioas = ioas_alloc();
  EXPECT_EQ(op("IOMMU_OPTION", {{"option_id", 1}, {"op", 1}, {"object_id", ioas}}).out["val64"].get<u64>(), 1u);
  ASSERT_EQ(op("IOMMU_OPTION", {{"option_id", 1}, {"op", 0}, {"object_id", ioas}, {"val64", 0}}).err, 0);
  EXPECT_EQ(ranges(ioas)["out_iova_alignment"].get<u64>(), 4096u);
  ASSERT_EQ(op("IOMMU_OPTION", {{"option_id", 1}, {"op", 0}, {"object_id", ioas}, {"val64", 1}}).err, 0);
  EXPECT_EQ(ranges(ioas)["out_iova_alignment"].get<u64>(), 1u);
}

TEST_F(IommuOption, DisablingHugePagesOverAnUnalignedAreaIsEaddrinuse) {
  u32 ioas = ioas_alloc();
  ASSERT_EQ(map_fixed(ioas, buf, 100, 0x100000).err, 0);
  expect_rule(op("IOMMU_OPTION", {{"option_id", 1}, {"op", 0}, {"object_id", ioas}, {"val64", 0}}),
              "option.huge_pages_areas_misaligned");
  EXPECT_EQ(op("IOMMU_OPTION", {{"option_id", 1}, {"op", 1}, {"object_id", ioas}}).out["val64"].get<u64>(), 1u);
}

TEST_F(IommuOption, GenericSizeRulesComeFirst) {
  expect_rule(op("IOMMU_OPTION", {{"size", 16}, {"option_id", 9}}), "ioctl.size_below_min");
  expect_rule(op("IOMMU_OPTION", {{"size", 32}, {"__trailing", 1}, {"option_id", 9}}), "ioctl.trailing_nonzero");
  expect_rule(op("IOMMU_OPTION", {{"size", 32}, {"option_id", 9}}), "option.unknown_option");
}

// With an area over the MSI window and an unbacked one, the errno tells the
// check order. A first attach reserves the device's regions before the domain
// joins the IOAS (EADDRINUSE); a replace adds and fills the domain first
// (EFAULT) and reserves after (device.c:iommufd_device_auto_get_domain, no
// immediate_attach for replace).
TEST_F(IoasMap, FirstAttachReservesBeforeFillingButReplaceFillsFirst) {
  const u32 a = ioas_alloc(), c = ioas_alloc();
  ASSERT_EQ(map_fixed(c, buf, 4096, 0xfee00000).err, 0);
  ASSERT_EQ(map_fixed(c, 0x100000000000, 4096, 0x200000).err, 0);
  bind("dev0");
  bind("dev1");
  expect_rule(attach("dev1", c), "attach.resv_region_conflict");
  ASSERT_EQ(attach("dev0", a).err, 0);
  const u64 pinned = m.state().pinned_pages();
  expect_rule(attach("dev0", c), "attach.fill_domain_pin_failed");
  EXPECT_EQ(m.state().pinned_pages(), pinned);
  ASSERT_EQ(unmap(c, 0x200000, 4096).err, 0);  // now only the reserved-region collision remains
  expect_rule(attach("dev0", c), "attach.resv_region_conflict");
  EXPECT_EQ(m.state().pinned_pages(), pinned) << "the aborted HWPT's fill is undone";
}
