#include "model/objects.h"

#include <gtest/gtest.h>

#include "model_fixture.h"

using namespace ioconform::model;
using namespace ioconform::model::testing;

TEST(ObjectTable, HandsOutTheLowestFreeIdFromOne) {
  ObjectTable t;
  EXPECT_EQ(t.alloc(ObjType::Ioas), 1u);
  EXPECT_EQ(t.alloc(ObjType::Ioas), 2u);
  EXPECT_EQ(t.alloc(ObjType::Ioas), 3u);
  t.erase(2);
  EXPECT_EQ(t.alloc(ObjType::Ioas), 2u);
  EXPECT_EQ(t.alloc(ObjType::Ioas), 4u);
}

TEST(ObjectTable, LookupOfWrongTypeIsEnoent) {
  ObjectTable t;
  u32 id = t.alloc(ObjType::Device);
  EXPECT_EQ(t.get(id, ObjType::Ioas, "object.ioas_not_found").err, ENOENT);
  EXPECT_TRUE(t.get(id, ObjType::Device, "object.device_not_found").ok());
}

using Destroy = ModelTest;

TEST_F(Destroy, IdZeroAndUnknownIdsAreEnoent) {
  expect_rule(op("IOMMU_DESTROY", {{"id", 0}}), "destroy.no_object");
  expect_rule(op("IOMMU_DESTROY", {{"id", 7}}), "destroy.no_object");
}

TEST_F(Destroy, IoasWithAttachedDeviceIsBusyAndFreeAfterDetach) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  ASSERT_EQ(attach("dev0", ioas).err, 0);
  expect_rule(op("IOMMU_DESTROY", {{"id", ioas}}), "destroy.object_busy");
  ASSERT_EQ(op("VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", "dev0"}}).err, 0);
  EXPECT_EQ(op("IOMMU_DESTROY", {{"id", ioas}}).err, 0);
}

TEST_F(Destroy, BoundDeviceIsAlwaysBusy) {
  u32 dev = bind("dev0");
  expect_rule(op("IOMMU_DESTROY", {{"id", dev}}), "destroy.object_busy");
}

TEST_F(Destroy, IoasWithMappingsIsDestroyedAndItsIdReused) {
  u32 ioas = ioas_alloc();
  ASSERT_EQ(map_fixed(ioas, buf, 4096, 0x100000).err, 0);
  EXPECT_EQ(op("IOMMU_DESTROY", {{"id", ioas}}).err, 0);
  EXPECT_EQ(ioas_alloc(), ioas);
}

TEST_F(Destroy, FailedAllocationLeavesNoIdGap) {
  expect_rule(op("IOMMU_IOAS_ALLOC", {{"flags", 1}}), "ioas_alloc.flags_nonzero");
  EXPECT_EQ(ioas_alloc(), 1u);
}
