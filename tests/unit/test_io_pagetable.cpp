// io_pagetable: kernel-chosen IOVAs, fixed-IOVA checks, unmap, reserved ranges.
#include "model/io_pagetable.h"

#include <gtest/gtest.h>

#include "model_fixture.h"

using namespace ioconform::model;
using namespace ioconform::model::testing;

using IoptAllocIova = ModelTest;

TEST_F(IoptAllocIova, KeepsTheUserVaAlignmentUpToTheLength) {
  // buf0 is 64 KiB aligned (and not 128 KiB): a 64 KiB map gets a 64 KiB aligned
  // IOVA, the lowest such above PAGE_SIZE.
  u32 ioas = ioas_alloc();
  auto r = map_any(ioas, buf, 65536);
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(r.out["iova"].get<u64>(), 65536u);
  // A 4 KiB map from the same VA: alignment min(4096, 64K) = 4096, first hole at 4096.
  auto r2 = map_any(ioas, buf, 4096);
  ASSERT_EQ(r2.err, 0);
  EXPECT_EQ(r2.out["iova"].get<u64>(), 4096u);
}

TEST_F(IoptAllocIova, KeepsThePageOffsetOfTheUserVa) {
  u32 ioas = ioas_alloc();
  auto r = map_any(ioas, buf + 0x123, 100);
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(r.out["iova"].get<u64>() % 4096, 0x123u);
}

TEST_F(IoptAllocIova, NeverPicksIovaZero) {
  u32 ioas = ioas_alloc();
  auto r = map_any(ioas, buf, 4096);
  ASSERT_EQ(r.err, 0);
  EXPECT_GE(r.out["iova"].get<u64>(), 4096u);
}

TEST_F(IoptAllocIova, OnlyPicksFromAllowedRanges) {
  u32 ioas = ioas_alloc();
  ASSERT_EQ(op("IOMMU_IOAS_ALLOW_IOVAS", {{"ioas_id", ioas}, {"ranges", {{{"start", 0x200000}, {"last", 0x2fffff}}}}}).err, 0);
  auto r = map_any(ioas, buf, 8192);
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(r.out["iova"].get<u64>(), 0x200000u);
  expect_rule(map_any(ioas, buf, 0x200000), "iopt_map.alloc_iova_no_space");
}

TEST_F(IoptAllocIova, UnderalignedVaFailsOnceADomainRaisesTheAlignment) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  ASSERT_EQ(attach("dev0", ioas).err, 0);
  expect_rule(map_any(ioas, buf + 0x800, 4096), "iopt_map.alloc_iova_va_underaligned");
}

using IoptCheckIova = ModelTest;

TEST_F(IoptCheckIova, FixedMapOverAnAreaIsEexist) {
  u32 ioas = ioas_alloc();
  ASSERT_EQ(map_fixed(ioas, buf, 8192, 0x100000).err, 0);
  expect_rule(map_fixed(ioas, buf, 4096, 0x101000), "iopt_map.iova_in_use");
}

TEST_F(IoptCheckIova, FixedMapIgnoresAllowedRanges) {
  u32 ioas = ioas_alloc();
  ASSERT_EQ(op("IOMMU_IOAS_ALLOW_IOVAS", {{"ioas_id", ioas}, {"ranges", {{{"start", 0x200000}, {"last", 0x2fffff}}}}}).err, 0);
  EXPECT_EQ(map_fixed(ioas, buf, 4096, 0x900000).err, 0);
}

TEST_F(IoptCheckIova, FixedMapIntoTheMsiWindowOfAnAttachedDeviceIsEinval) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  ASSERT_EQ(attach("dev0", ioas).err, 0);
  expect_rule(map_fixed(ioas, buf, 4096, 0xfee00000), "iopt_map.iova_reserved");
  expect_rule(map_fixed(ioas, buf, 4096, 0x8000000000), "iopt_map.iova_reserved");
}

TEST_F(IoptCheckIova, UnalignedFixedIovaWithDomainIsEinval) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  ASSERT_EQ(attach("dev0", ioas).err, 0);
  expect_rule(map_fixed(ioas, buf, 4096, 0x100800), "iopt_map.iova_unaligned");
  expect_rule(map_fixed(ioas, buf, 2048, 0x100000), "iopt_map.length_unaligned");
}

using IoptUnmap = ModelTest;

TEST_F(IoptUnmap, RangeThatSplitsAnAreaFailsWithEnoent) {
  u32 ioas = ioas_alloc();
  ASSERT_EQ(map_fixed(ioas, buf, 8192, 0x100000).err, 0);
  expect_rule(unmap(ioas, 0x100000, 4096), "ioas_unmap.area_sticks_out");
  EXPECT_EQ(unmap(ioas, 0x100000, 8192).out["length"].get<u64>(), 8192u);
}

TEST_F(IoptUnmap, EmptyRangeIsEnoentButUnmapAllOfEmptySucceedsWithZero) {
  u32 ioas = ioas_alloc();
  expect_rule(unmap(ioas, 0x100000, 4096), "ioas_unmap.nothing_mapped");
  auto r = op("IOMMU_IOAS_UNMAP", {{"ioas_id", ioas}, {"iova", 0}, {"length", kUlongMax}});
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(r.out["length"].get<u64>(), 0u);
}

TEST_F(IoptUnmap, PartialFailureKeepsTheAreasAlreadyRemoved) {
  // Kernel behaviour, not a model choice: iopt_unmap_iova_range() removes areas in
  // IOVA order and fails at the first that sticks out.
  u32 ioas = ioas_alloc();
  ASSERT_EQ(map_fixed(ioas, buf, 4096, 0x100000).err, 0);
  ASSERT_EQ(map_fixed(ioas, buf, 8192, 0x101000).err, 0);
  auto r = unmap(ioas, 0x100000, 8192);
  expect_rule(r, "ioas_unmap.area_sticks_out");
  EXPECT_TRUE(r.partial_effect);
  expect_rule(unmap(ioas, 0x100000, 4096), "ioas_unmap.nothing_mapped");
}

TEST_F(IoptUnmap, U64MaxLengthOtherThanUnmapAllIsEoverflow) {
  u32 ioas = ioas_alloc();
  expect_rule(unmap(ioas, 4096, kUlongMax), "ioas_unmap.u64_max_argument");
  expect_rule(unmap(ioas, kUlongMax - 4095, 8192), "ioas_unmap.range_wraps");
  expect_rule(unmap(ioas, 4096, 0), "ioas_unmap.length_zero");
}
