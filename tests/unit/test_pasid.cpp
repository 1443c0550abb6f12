// PASID attach in the model (7.2): per group and PASID like the RID, only into
// HWPTs made with IOMMU_HWPT_ALLOC_PASID, and a PASID-tagged DMA goes through
// its own attachment or nowhere, never through the RID's domain (TwoIoasTest:
// a translation tells which IOAS's domain answered).
#include <gtest/gtest.h>

#include "model_fixture.h"

using namespace ioconform::model;
using namespace ioconform::model::testing;

namespace {

constexpr u64 kIova = kGroupIova;
constexpr u64 kAttachPasid = 1, kHwptAllocPasid = 8;

class Pasid : public TwoIoasTest {
 protected:
  u32 compat_hwpt(u32 dev_id, u32 ioas) {
    auto r = op("IOMMU_HWPT_ALLOC", {{"dev_id", dev_id}, {"pt_id", ioas}, {"flags", kHwptAllocPasid}});
    EXPECT_EQ(r.err, 0) << r.rule;
    return r.out["out_hwpt_id"].get<u32>();
  }
  StepResult attach_pasid(const std::string& dev, u32 pasid, u32 pt) {
    return op("VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", dev}, {"pt_id", pt}, {"flags", kAttachPasid}, {"pasid", pasid}});
  }
  StepResult detach_pasid(const std::string& dev, u32 pasid) {
    return op("VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", dev}, {"flags", kAttachPasid}, {"pasid", pasid}});
  }
  long long reaches(const std::string& dev, u32 pasid) const {
    const Translation t = m.translate(dev, pasid, kIova, Access::Read);
    return t.ok ? static_cast<long long>(t.offset) : -1;
  }
};

TEST_F(Pasid, AnUnattachedPasidIsBlockedEvenWithTheRidAttached) {
  ASSERT_EQ(attach("dev2", a).err, 0);
  EXPECT_EQ(reaches("dev2", 0), 0);
  EXPECT_EQ(reaches("dev2", 5), -1) << "a PASID must not borrow the RID's domain";
  EXPECT_EQ(m.translate("dev2", 5u, kIova, Access::Read).why, "no domain attached for this PASID");
}

TEST_F(Pasid, APasidTranslatesThroughItsOwnHwptAndLeavesTheRidAlone) {
  const u32 ca = compat_hwpt(d2, a), cb = compat_hwpt(d2, b);
  ASSERT_EQ(attach("dev2", ca).err, 0);
  ASSERT_EQ(attach_pasid("dev2", 5, cb).err, 0);
  EXPECT_EQ(reaches("dev2", 5), static_cast<long long>(kOffsetInB));
  EXPECT_EQ(reaches("dev2", 0), 0);
  EXPECT_EQ(reaches("dev2", 6), -1);
  ASSERT_EQ(detach("dev2").err, 0);
  EXPECT_EQ(reaches("dev2", 0), -1);
  EXPECT_EQ(reaches("dev2", 5), static_cast<long long>(kOffsetInB)) << "the RID's detach leaves the PASID";
  ASSERT_EQ(detach_pasid("dev2", 5).err, 0);
  EXPECT_EQ(reaches("dev2", 5), -1);
}

TEST_F(Pasid, OnlyPasidCompatibleHwptsTakeAPasid) {
  const u32 ca = compat_hwpt(d2, a);
  ASSERT_EQ(attach("dev2", a).err, 0);  // the RID in an automatic HWPT
  expect_rule(attach_pasid("dev2", 5, ca), "attach.pasid_rid_not_pasid_compat");
  expect_rule(attach_pasid("dev2", 5, a), "attach.pasid_hwpt_not_pasid_compat");
  ASSERT_EQ(attach("dev2", ca).err, 0);
  ASSERT_EQ(attach_pasid("dev2", 5, ca).err, 0);
  expect_rule(attach("dev2", a), "attach.rid_hwpt_not_pasid_compat");
  expect_rule(op("IOMMU_DESTROY", {{"id", ca}}), "destroy.object_busy");
}

TEST_F(Pasid, VfioReplacesAPasidItAttachedAndTreatsPasidZeroAsTheRid) {
  const u32 ca = compat_hwpt(d2, a), cb = compat_hwpt(d2, b);
  ASSERT_EQ(attach_pasid("dev2", 0, ca).err, 0) << "PASID 0 is the RID for iommufd";
  EXPECT_EQ(reaches("dev2", 0), 0);
  expect_rule(attach("dev2", cb), "attach.device_already_attached");  // VFIO thinks the RID is free
  EXPECT_EQ(detach("dev2").err, 0);
  EXPECT_EQ(reaches("dev2", 0), 0) << "VFIO's RID detach does nothing: it never attached the RID itself";
  ASSERT_EQ(attach_pasid("dev2", 5, ca).err, 0);
  ASSERT_EQ(attach_pasid("dev2", 5, cb).err, 0) << "VFIO replaces a PASID it attached";
  EXPECT_EQ(reaches("dev2", 5), static_cast<long long>(kOffsetInB));
  expect_rule(attach_pasid("dev2", 0x80000000u, ca), "vfio_attach.pasid_beyond_ida");
}

TEST_F(Pasid, AGroupHoldsOneHwptPerPasid) {
  const u32 ca = compat_hwpt(d0, a), cb = compat_hwpt(d0, b);
  ASSERT_EQ(attach("dev0", ca).err, 0);
  ASSERT_EQ(attach_pasid("dev0", 5, ca).err, 0);
  expect_rule(attach_pasid("dev1", 5, cb), "attach.group_in_other_domain");
  ASSERT_EQ(attach_pasid("dev1", 5, ca).err, 0) << "a sibling joins the group's HWPT at that PASID";
  ASSERT_EQ(detach_pasid("dev0", 5).err, 0);
  EXPECT_EQ(reaches("dev0", 5), 0) << "the PASID stays in the domain while a sibling holds it";
  ASSERT_EQ(detach_pasid("dev1", 5).err, 0);
  EXPECT_EQ(reaches("dev0", 5), -1);
  EXPECT_EQ(m.state().objects.find(ca)->users, 1) << "only dev0's RID holds the HWPT now";
}

TEST_F(Pasid, AMockDeviceChecksThePasidAgainstItsMaxPasids) {
  // The mock domain's aperture starts at 2^24: IOAS a's area at 0x100000 is outside it.
  expect_rule(op("IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS", {{"id", a}, {"dev_flags", 4}}), "attach.aperture_conflict");
  const u32 c = ioas_alloc();
  auto mock = op("IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS", {{"id", c}, {"dev_flags", 4}});
  ASSERT_EQ(mock.err, 0);
  const u32 stdev = mock.out["out_stdev_id"].get<u32>(), idev = mock.out["out_idev_id"].get<u32>();
  const u32 ca = compat_hwpt(idev, c);
  ASSERT_EQ(op("IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE", {{"id", stdev}, {"pt_id", ca}}).err, 0);
  EXPECT_EQ(op("IOMMU_TEST_OP_PASID_ATTACH", {{"id", stdev}, {"pasid", (1u << 20) - 1}, {"pt_id", ca}}).err, 0);
  expect_rule(op("IOMMU_TEST_OP_PASID_ATTACH", {{"id", stdev}, {"pasid", 1u << 20}, {"pt_id", ca}}),
              "attach.pasid_beyond_max_pasids");
  expect_rule(op("IOMMU_TEST_OP_PASID_ATTACH", {{"id", stdev}, {"pasid", (1u << 20) - 1}, {"pt_id", ca}}),
              "attach.device_already_attached");
  expect_rule(op("IOMMU_TEST_OP_PASID_CHECK_HWPT", {{"id", stdev}, {"pasid", 7}, {"hwpt_id", ca}}),
              "test.pasid_check_other_domain");
  EXPECT_EQ(op("IOMMU_TEST_OP_PASID_CHECK_HWPT", {{"id", stdev}, {"pasid", (1u << 20) - 1}, {"hwpt_id", ca}}).err, 0);
}

TEST_F(Pasid, AFailedMockDomainLeavesNoIds) {
  const auto before = m.state().objects.all().size();
  expect_rule(op("IOMMU_TEST_OP_MOCK_DOMAIN", {{"id", 99}}), "attach.pt_not_found");
  expect_rule(op("IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS", {{"id", a}, {"dev_flags", 8}}), "test.mock_dev_flags_unknown");
  expect_rule(op("IOMMU_TEST_OP_MOCK_DOMAIN", {{"id", a}}), "attach.aperture_conflict");
  EXPECT_EQ(m.state().objects.all().size(), before);
  const u32 c = ioas_alloc();
  auto r = op("IOMMU_TEST_OP_MOCK_DOMAIN", {{"id", c}});
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(r.out["out_stdev_id"].get<u32>(), c + 1) << "the selftest object takes the lowest free id first";
  EXPECT_EQ(r.out["out_idev_id"].get<u32>(), c + 2);
  EXPECT_EQ(r.out["out_hwpt_id"].get<u32>(), c + 3);
}

}  // namespace

// iommufd_test_md_check_pa() checks alignment before the HWPT lookup in 6.12
// and after it in 7.2: a misaligned check of a missing HWPT tells them apart.
TEST(MdCheckMap, SixTwelveChecksAlignmentBeforeTheHwpt) {
  const Op misaligned_missing{"IOMMU_TEST_OP_MD_CHECK_MAP", {{"id", 99}, {"iova", 0x400}, {"length", 2048}, {"uptr", 0}}};
  Model m72, m612({.version = {6, 12, 0}});
  EXPECT_EQ(m72.apply(misaligned_missing).rule, "test.md_hwpt_not_found");
  EXPECT_EQ(m612.apply(misaligned_missing).rule, "test.md_check_misaligned");
}
