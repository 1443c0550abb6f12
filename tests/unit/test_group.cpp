// Multi-device IOMMU groups: the group, not the device, sits in a domain
// (drivers/iommu/iommufd/device.c; notes in docs/scenario-format.md "Devices").
// dev0 and dev1 share group g0; dev2 is alone in its group. IOVA 0x100000
// reaches buf0+0 through IOAS a and buf0+0x8000 through IOAS b, so a
// translation tells which domain the group is in.
#include <gtest/gtest.h>

#include <algorithm>

#include "model_fixture.h"

using namespace ioconform::model;
using namespace ioconform::model::testing;

namespace {

constexpr u64 kIova = kGroupIova;
constexpr u64 kMsiWindow = 0xfee00000;  // Platform::device_resv on VT-d

class IommuGroup : public TwoIoasTest {
 protected:
  // Where `dev`'s read of kIova lands: the buffer offset, or -1 for a fault.
  long long reaches(const std::string& dev) const {
    const Translation t = m.translate(dev, kIova, Access::Read);
    return t.ok ? static_cast<long long>(t.offset) : -1;
  }
  const Device& device(const std::string& name) const {
    for (const auto& d : m.state().devices)
      if (d.name == name) return d;
    throw std::invalid_argument(name);
  }
  // Idev ids that own a reserved range in `ioas`, sorted, once each.
  std::vector<u32> reserving_devices(u32 ioas) const {
    std::vector<u32> ids;
    for (const auto& r : m.state().ioas.at(ioas).iopt.reserved())
      if (r.owner.kind == ResvOwner::Device && std::find(ids.begin(), ids.end(), r.owner.id) == ids.end())
        ids.push_back(r.owner.id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  // Object ids and their reference counts: equal before and after a failed op
  // means no object was created, leaked, destroyed or re-referenced.
  std::vector<std::pair<u32, int>> objects() const {
    std::vector<std::pair<u32, int>> v;
    for (const auto& [id, o] : m.state().objects.all()) v.emplace_back(id, o.users);
    return v;
  }
  u32 pt(const StepResult& r) const { return r.out.at("pt_id").get<u32>(); }
};

}  // namespace

TEST_F(IommuGroup, LabelsMakeGroups) {
  const auto& st = m.state();
  EXPECT_EQ(device("dev0").group, device("dev1").group);
  EXPECT_NE(device("dev0").group, device("dev2").group);
  EXPECT_EQ(st.groups.size(), 2u);
}

TEST_F(IommuGroup, AMemberThatNeverAttachedDmasThroughItsGroupsDomain) {
  EXPECT_EQ(reaches("dev1"), -1) << "bound, nobody attached: blocking domain";
  ASSERT_EQ(attach("dev0", a).err, 0);
  EXPECT_EQ(reaches("dev1"), 0);
  EXPECT_EQ(device("dev1").hwpt_id, 0u) << "dev1 itself is not attached";
  EXPECT_EQ(reaches("dev2"), -1) << "another group is not affected";
}

TEST_F(IommuGroup, SecondMemberToAnotherIoasIsEinvalAndChangesNothing) {
  const u32 h = pt(attach("dev0", a));
  const auto objects_before = objects();
  const auto b_ranges_before = ranges(b);
  expect_rule(attach("dev1", b), "attach.group_in_other_domain");
  EXPECT_EQ(objects(), objects_before) << "b's fresh automatic HWPT was destroyed again";
  EXPECT_EQ(ranges(b), b_ranges_before) << "no domain and no reserved region left in b";
  EXPECT_TRUE(m.state().ioas.at(b).hwpts.empty());
  EXPECT_EQ(device("dev1").hwpt_id, 0u);
  EXPECT_EQ(m.state().group_of(device("dev1")).hwpt_id, h);
  EXPECT_EQ(reaches("dev1"), 0) << "still through a's domain";
  // The refused HWPT's id is free again: xa_alloc hands out the lowest free id.
  EXPECT_EQ(ioas_alloc(), h + 1);
}

TEST_F(IommuGroup, TheRuleIsSameHwptNotSameIoas) {
  const u32 h = pt(attach("dev0", a));
  // A manual HWPT on the group's own IOAS is still another domain.
  const u32 manual = op("IOMMU_HWPT_ALLOC", {{"dev_id", d1}, {"pt_id", a}}).out["out_hwpt_id"].get<u32>();
  expect_rule(attach("dev1", manual), "attach.group_in_other_domain");
  EXPECT_EQ(pt(attach("dev1", h)), h) << "naming the group's HWPT itself joins it";
}

TEST_F(IommuGroup, AutomaticAttachSkipsTheManualHwptTheGroupIsIn) {
  const u32 manual = op("IOMMU_HWPT_ALLOC", {{"dev_id", d0}, {"pt_id", a}}).out["out_hwpt_id"].get<u32>();
  ASSERT_EQ(pt(attach("dev0", manual)), manual);
  // The automatic path never picks a manual HWPT, so its fresh HWPT on a refuses.
  expect_rule(attach("dev1", a), "attach.group_in_other_domain");
  EXPECT_EQ(pt(attach("dev1", manual)), manual);
}

TEST_F(IommuGroup, GroupCheckComesBeforeReservedRegions) {
  ASSERT_EQ(attach("dev0", a).err, 0);
  ASSERT_EQ(map_fixed(b, buf, 0x1000, kMsiWindow).err, 0);  // dev1's MSI window would collide in b
  expect_rule(attach("dev1", b), "attach.group_in_other_domain");
}

TEST_F(IommuGroup, SecondMemberToTheSameIoasJoinsWithTheSamePtId) {
  const u32 h = pt(attach("dev0", a));
  EXPECT_EQ(pt(attach("dev1", a)), h);
  EXPECT_EQ(m.state().objects.find(h)->users, 2) << "one reference per member";
  EXPECT_EQ(reserving_devices(a), (std::vector<u32>{d0, d1})) << "each member reserves its own regions";
  EXPECT_EQ(reaches("dev1"), 0);
}

TEST_F(IommuGroup, DetachOfOneMemberLeavesTheGroupInTheDomain) {
  const u32 h = pt(attach("dev0", a));
  ASSERT_EQ(attach("dev1", a).err, 0);
  ASSERT_EQ(detach("dev0").err, 0);
  EXPECT_EQ(device("dev0").hwpt_id, 0u);
  EXPECT_EQ(reaches("dev0"), 0) << "the detached member is still translated by the group's domain";
  EXPECT_EQ(reaches("dev1"), 0);
  EXPECT_EQ(reserving_devices(a), (std::vector<u32>{d1})) << "only the detached member's regions left";
  expect_rule(map_fixed(a, buf, 0x1000, kMsiWindow), "iopt_map.iova_reserved");
  expect_rule(op("IOMMU_DESTROY", {{"id", h}}), "destroy.object_busy");
}

TEST_F(IommuGroup, LastDetachBlocksTheGroupsDma) {
  const u32 h = pt(attach("dev0", a));
  ASSERT_EQ(attach("dev1", a).err, 0);
  ASSERT_EQ(detach("dev0").err, 0);
  ASSERT_EQ(detach("dev1").err, 0);
  EXPECT_EQ(reaches("dev0"), -1);
  EXPECT_EQ(reaches("dev1"), -1);
  expect_rule(op("IOMMU_DESTROY", {{"id", h}}), "destroy.no_object");  // the automatic HWPT went with its last device
  EXPECT_TRUE(reserving_devices(a).empty());
  EXPECT_EQ(map_fixed(a, buf, 0x1000, kMsiWindow).err, 0);
}

TEST_F(IommuGroup, ReplaceMovesTheWholeGroup) {
  const u32 h = pt(attach("dev0", a));
  ASSERT_EQ(attach("dev1", a).err, 0);
  const u32 hb = pt(attach("dev1", b));  // dev1 is attached: a replace
  EXPECT_NE(hb, h);
  EXPECT_EQ(device("dev0").hwpt_id, hb) << "the sibling went along";
  EXPECT_EQ(device("dev1").hwpt_id, hb);
  EXPECT_EQ(reaches("dev0"), static_cast<long long>(kOffsetInB));
  EXPECT_EQ(reaches("dev1"), static_cast<long long>(kOffsetInB));
  EXPECT_EQ(m.state().objects.find(hb)->users, 2) << "both members' references moved";
  EXPECT_EQ(reserving_devices(b), (std::vector<u32>{d0, d1})) << "every attached member's regions enforced in b";
  EXPECT_TRUE(reserving_devices(a).empty());
  // a's automatic HWPT lost its users with the move and was destroyed.
  expect_rule(op("IOMMU_DESTROY", {{"id", h}}), "destroy.no_object");
  EXPECT_EQ(op("IOMMU_DESTROY", {{"id", a}}).err, 0) << "nothing holds a any more";
  // dev0's detach now leaves b's domain, and the group stays there for dev1.
  ASSERT_EQ(detach("dev0").err, 0);
  EXPECT_EQ(reaches("dev0"), static_cast<long long>(kOffsetInB));
  EXPECT_EQ(reserving_devices(b), (std::vector<u32>{d1}));
}

TEST_F(IommuGroup, ReplaceLeavesDevicesOfOtherGroupsWhereTheyAre) {
  const u32 h = pt(attach("dev0", a));
  ASSERT_EQ(pt(attach("dev2", a)), h);
  ASSERT_EQ(attach("dev0", b).err, 0);
  EXPECT_EQ(device("dev2").hwpt_id, h);
  EXPECT_EQ(reaches("dev2"), 0);
  EXPECT_EQ(reaches("dev1"), static_cast<long long>(kOffsetInB)) << "dev1 never attached but follows its group";
  expect_rule(op("IOMMU_DESTROY", {{"id", h}}), "destroy.object_busy");  // dev2 still holds a's HWPT
}

TEST_F(IommuGroup, ReplaceOntoTheGroupsOwnHwptIsANoOp) {
  const u32 h = pt(attach("dev0", a));
  ASSERT_EQ(attach("dev1", a).err, 0);
  const auto objects_before = objects();
  EXPECT_EQ(pt(attach("dev1", a)), h);
  EXPECT_EQ(pt(attach("dev0", h)), h);
  EXPECT_EQ(objects(), objects_before);
  EXPECT_EQ(reserving_devices(a), (std::vector<u32>{d0, d1}));
}

TEST_F(IommuGroup, ReplaceWhoseReservedRegionsCollideIsEaddrinuseAndChangesNothing) {
  const u32 h = pt(attach("dev0", a));
  ASSERT_EQ(attach("dev1", a).err, 0);
  ASSERT_EQ(map_fixed(b, buf, 0x1000, kMsiWindow).err, 0);  // the members' MSI window, taken in b
  auto expect_nothing_changed = [&] {
    for (const char* dev : {"dev0", "dev1"}) {
      EXPECT_EQ(device(dev).hwpt_id, h) << dev;
      EXPECT_EQ(reaches(dev), 0) << dev;
    }
    EXPECT_EQ(reserving_devices(a), (std::vector<u32>{d0, d1}));
    EXPECT_TRUE(reserving_devices(b).empty());
  };
  // Onto a fresh automatic HWPT of b: no object is left behind, no id consumed.
  auto objects_before = objects();
  const auto b_ranges_before = ranges(b);
  expect_rule(attach("dev0", b), "attach.resv_region_conflict");
  EXPECT_EQ(objects(), objects_before);
  EXPECT_EQ(ranges(b), b_ranges_before);
  expect_nothing_changed();
  // Onto an existing (manual) HWPT of b, by the other member.
  const u32 manual = op("IOMMU_HWPT_ALLOC", {{"dev_id", d2}, {"pt_id", b}}).out["out_hwpt_id"].get<u32>();
  objects_before = objects();
  expect_rule(attach("dev1", manual), "attach.resv_region_conflict");
  EXPECT_EQ(objects(), objects_before);
  expect_nothing_changed();
}
