#include <gtest/gtest.h>

#include "spec/version.h"

using namespace ioconform::spec;

TEST(KernelVersion, ParsesDebianVersionStrings) {
  auto v = parse_version("6.12.95-1~bpo12+1");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 6);
  EXPECT_EQ(v->minor, 12);
  EXPECT_EQ(v->patch, 95);
  EXPECT_FALSE(parse_version("seven"));
}

TEST(VersionGate, ConjunctionOfBounds) {
  EXPECT_TRUE(version_satisfies({7, 2, 0}, ">=6.12"));
  EXPECT_FALSE(version_satisfies({6, 12, 0}, ">=6.13"));
  EXPECT_TRUE(version_satisfies({6, 12, 95}, ">=6.12,<7.2"));
  EXPECT_FALSE(version_satisfies({7, 2, 0}, ">=6.12,<7.2"));
  EXPECT_TRUE(version_satisfies({7, 2, 0}, ""));
  EXPECT_TRUE(version_satisfies({6, 13, 0}, "6.13"));  // a bare version means "since"
}

TEST(VersionGate, MalformedGateIsAnError) { EXPECT_THROW(version_satisfies({7, 2, 0}, ">=x"), std::invalid_argument); }
