// The translation oracle.
#include "model/translate.h"

#include <gtest/gtest.h>

#include "model_fixture.h"

using namespace ioconform::model;
using namespace ioconform::model::testing;

using Translate = ModelTest;

TEST_F(Translate, AttachedDeviceReachesTheMappedPage) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  ASSERT_EQ(attach("dev0", ioas).err, 0);
  ASSERT_EQ(map_fixed(ioas, buf + 8192, 8192, 0x100000).err, 0);
  auto t = m.translate("dev0", 0x101010, Access::Read);
  ASSERT_TRUE(t.ok) << t.why;
  EXPECT_EQ(t.buffer, "buf0");
  EXPECT_EQ(t.offset, 8192u + 4096u + 0x10u);
}

TEST_F(Translate, UnmapLeavesNoStaleTranslation) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  ASSERT_EQ(attach("dev0", ioas).err, 0);
  ASSERT_EQ(map_fixed(ioas, buf, 4096, 0x100000).err, 0);
  ASSERT_EQ(unmap(ioas, 0x100000, 4096).err, 0);
  EXPECT_FALSE(m.translate("dev0", 0x100000, Access::Read).ok);
}

TEST_F(Translate, AccessRightsFollowTheMapFlags) {
  u32 ioas = ioas_alloc();
  bind("dev0");
  ASSERT_EQ(attach("dev0", ioas).err, 0);
  ASSERT_EQ(map_fixed(ioas, buf, 4096, 0x100000, kRead).err, 0);
  EXPECT_TRUE(m.translate("dev0", 0x100000, Access::Read).ok);
  EXPECT_FALSE(m.translate("dev0", 0x100000, Access::Write).ok);
}

TEST_F(Translate, DevicesInDifferentIoasesAreIsolated) {
  u32 a = ioas_alloc(), b = ioas_alloc();
  bind("dev0");
  bind("dev1");
  ASSERT_EQ(attach("dev0", a).err, 0);
  ASSERT_EQ(attach("dev1", b).err, 0);
  ASSERT_EQ(map_fixed(a, buf, 4096, 0x100000).err, 0);
  EXPECT_TRUE(m.translate("dev0", 0x100000, Access::Read).ok);
  EXPECT_FALSE(m.translate("dev1", 0x100000, Access::Read).ok);
}

TEST_F(Translate, UnattachedDeviceFaults) {
  bind("dev0");
  EXPECT_FALSE(m.translate("dev0", 0x100000, Access::Read).ok);
}

TEST(TranslateByVersion, WriteOnlyAreaIsReadableBefore616AndNotAfter) {
  for (auto [version, readable] : {std::pair{"6.12", true}, std::pair{"7.2", false}}) {
    ModelConfig c;
    c.version = *ioconform::spec::parse_version(version);
    Model m(c);
    u64 va = m.add_buffer("buf0", 4, false, 65536).va;
    m.add_device("dev0");
    m.apply(Op{"IOMMU_IOAS_ALLOC", {}});
    m.apply(Op{"VFIO_DEVICE_BIND_IOMMUFD", {{"dev", "dev0"}}});
    ASSERT_EQ(m.apply(Op{"VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", "dev0"}, {"pt_id", 1}}}).err, 0);
    ASSERT_EQ(m.apply(Op{"IOMMU_IOAS_MAP", {{"ioas_id", 1}, {"user_va", va}, {"length", 4096}, {"iova", 0x300000}, {"flags", kFixed | kWrite}}}).err, 0);
    EXPECT_EQ(m.translate("dev0", 0x300000, Access::Read).ok, readable) << version;
    EXPECT_TRUE(m.translate("dev0", 0x300000, Access::Write).ok) << version;
  }
}
