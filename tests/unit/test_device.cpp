// VFIO cdev bind/attach/detach and HWPT_ALLOC.
#include "model/device.h"

#include <gtest/gtest.h>

#include "model/hw_pagetable.h"
#include "model_fixture.h"

using namespace ioconform::model;
using namespace ioconform::model::testing;

using VfioDevice = ModelTest;

TEST_F(VfioDevice, AttachBeforeBindIsEinval) {
  u32 ioas = ioas_alloc();
  expect_rule(attach("dev0", ioas), "vfio_device.not_bound");
}

TEST_F(VfioDevice, BindTwiceIsEinval) {
  bind("dev0");
  expect_rule(op("VFIO_DEVICE_BIND_IOMMUFD", {{"dev", "dev0"}}), "vfio_bind.already_bound");
}

TEST_F(VfioDevice, ArgszAndFlagsAreCheckedFirst) {
  expect_rule(op("VFIO_DEVICE_BIND_IOMMUFD", {{"dev", "dev0"}, {"argsz", 8}}), "vfio_bind.argsz_too_small");
  expect_rule(op("VFIO_DEVICE_BIND_IOMMUFD", {{"dev", "dev0"}, {"flags", 2}}), "vfio_bind.flags_unknown");
  bind("dev0");
  expect_rule(op("VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", "dev0"}, {"argsz", 8}, {"pt_id", 1}}), "vfio_attach.argsz_too_small");
  expect_rule(op("VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", "dev0"}, {"flags", 2}, {"pt_id", 1}}), "vfio_attach.flags_unknown");
  expect_rule(op("VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", "dev0"}, {"argsz", 4}}), "vfio_detach.argsz_too_small");
}

TEST_F(VfioDevice, SecondDeviceReusesTheAutomaticHwpt) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  bind("dev1");
  u32 hwpt = attach("dev0", ioas).out["pt_id"].get<u32>();
  EXPECT_EQ(attach("dev1", ioas).out["pt_id"].get<u32>(), hwpt);
}

TEST_F(VfioDevice, AutomaticHwptDiesWithItsLastDevice) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  u32 hwpt = attach("dev0", ioas).out["pt_id"].get<u32>();
  expect_rule(op("IOMMU_DESTROY", {{"id", hwpt}}), "destroy.object_busy");
  ASSERT_EQ(op("VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", "dev0"}}).err, 0);
  expect_rule(op("IOMMU_DESTROY", {{"id", hwpt}}), "destroy.no_object");
  EXPECT_EQ(ranges(ioas)["out_iova_alignment"].get<u64>(), 1u);  // the domain left the IOAS
}

TEST_F(VfioDevice, DetachOfAnUnattachedDeviceSucceeds) {
  bind("dev0");
  EXPECT_EQ(op("VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", "dev0"}}).err, 0);
}

TEST_F(VfioDevice, AttachToADeviceIdIsEinvalAndToNothingIsEnoent) {
  u32 dev = bind("dev0");
  expect_rule(attach("dev0", dev), "attach.pt_wrong_type");
  expect_rule(attach("dev0", 42), "attach.pt_not_found");
}

TEST_F(VfioDevice, AttachFailsOverAnAreaAboveTheAperture) {
  u32 ioas = ioas_alloc();
  ASSERT_EQ(map_fixed(ioas, buf, 4096, 0x8000000000).err, 0);
  bind("dev0");
  expect_rule(attach("dev0", ioas), "attach.aperture_conflict");
}

TEST_F(VfioDevice, AttachFailsOverAnAreaTheDomainPageSizeCannotMap) {
  u32 ioas = ioas_alloc();
  ASSERT_EQ(map_fixed(ioas, buf, 100, 0x100000).err, 0);
  bind("dev0");
  expect_rule(attach("dev0", ioas), "attach.areas_misaligned");
}

TEST_F(VfioDevice, ReplaceMovesTheDeviceAndDestroysTheOldAutoDomain) {
  u32 a = ioas_alloc(), b = ioas_alloc();
  bind("dev0");
  u32 old_hwpt = attach("dev0", a).out["pt_id"].get<u32>();
  auto r = attach("dev0", b);
  ASSERT_EQ(r.err, 0);
  EXPECT_NE(r.out["pt_id"].get<u32>(), old_hwpt);
  EXPECT_EQ(ranges(a)["num_iovas"].get<u64>(), 1u);  // a lost its domain and the MSI reservation
  EXPECT_EQ(ranges(b)["num_iovas"].get<u64>(), 2u);
}

using HwptAlloc = ModelTest;

TEST_F(HwptAlloc, ManualHwptRaisesAlignmentWithoutAnyAttach) {
  u32 ioas = ioas_alloc();
  u32 dev = bind("dev0");
  auto r = op("IOMMU_HWPT_ALLOC", {{"dev_id", dev}, {"pt_id", ioas}});
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(ranges(ioas)["out_iova_alignment"].get<u64>(), 4096u);
  EXPECT_EQ(ranges(ioas)["num_iovas"].get<u64>(), 1u);  // aperture only: no device regions yet
  expect_rule(op("IOMMU_DESTROY", {{"id", ioas}}), "destroy.object_busy");
  EXPECT_EQ(op("IOMMU_DESTROY", {{"id", r.out["out_hwpt_id"]}}).err, 0);
  EXPECT_EQ(op("IOMMU_DESTROY", {{"id", ioas}}).err, 0);
}

TEST_F(HwptAlloc, UnknownPtIdIsEinvalNotEnoent) {
  u32 dev = bind("dev0");
  expect_rule(op("IOMMU_HWPT_ALLOC", {{"dev_id", dev}, {"pt_id", 77}}), "hwpt_alloc.pt_not_found");
  expect_rule(op("IOMMU_HWPT_ALLOC", {{"dev_id", 77}, {"pt_id", 1}}), "object.device_not_found");
  expect_rule(op("IOMMU_HWPT_ALLOC", {{"dev_id", dev}, {"pt_id", dev}}), "hwpt_alloc.pt_wrong_type");
}

TEST_F(VfioDevice, ReplaceOntoTheSameIoasIsANoOp) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  u32 hwpt = attach("dev0", ioas).out["pt_id"].get<u32>();
  auto r = attach("dev0", ioas);
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(r.out["pt_id"].get<u32>(), hwpt);
  expect_rule(op("IOMMU_DESTROY", {{"id", hwpt}}), "destroy.object_busy");
  ASSERT_EQ(op("VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", "dev0"}}).err, 0);
  expect_rule(op("IOMMU_DESTROY", {{"id", hwpt}}), "destroy.no_object");
}
