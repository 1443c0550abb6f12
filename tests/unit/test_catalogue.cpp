// The catalogue itself: well-formed, enough rules, every errno known, and the
// citation locator finds lines (checked against real trees in the kbuild tier).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "spec/catalogue.h"

using namespace ioconform::spec;

TEST(Catalogue, HasAtLeastSixtyErrnoRulesEachWithACitation) {
  const auto& c = Catalogue::get();
  EXPECT_GE(c.rules().size(), 60u);
  for (const auto& r : c.rules()) {
    EXPECT_FALSE(r.file.empty()) << r.id;
    EXPECT_FALSE(r.function.empty()) << r.id;
    EXPECT_FALSE(r.code.empty()) << r.id;
    EXPECT_GT(r.errno_value, 0) << r.id;
    EXPECT_NE(r.id.find('.'), std::string::npos) << r.id << ": ids are op.cause";
  }
}

TEST(Catalogue, EveryModelledIoctlHasALayout) {
  for (const char* name : {"IOMMU_IOAS_MAP", "IOMMU_IOAS_UNMAP", "IOMMU_DESTROY", "VFIO_DEVICE_BIND_IOMMUFD"}) {
    const Ioctl* io = Catalogue::get().ioctl(name);
    ASSERT_NE(io, nullptr) << name;
    EXPECT_LE(io->min_size, io->size);
    unsigned end = 0;
    for (const auto& f : io->fields) end = std::max(end, f.offset + f.size);
    EXPECT_EQ(end, io->size) << name << ": fields must cover the struct";
  }
}

TEST(Catalogue, DuplicateRuleIdsAreRejected) {
  const std::string rule = R"({"id":"a.b","op":"X","errno":"EINVAL","at":"f.c:fn","code":"x","summary":"s"})";
  EXPECT_THROW(Catalogue::from_json(R"({"ioctls":[]})", "{\"rules\":[" + rule + "," + rule + "]}", R"({"invariants":[]})"),
               std::runtime_error);
}

TEST(Catalogue, UnknownErrnoNameIsRejected) {
  EXPECT_THROW(Catalogue::from_json(R"({"ioctls":[]})",
                                    R"({"rules":[{"id":"a.b","op":"X","errno":"EWHAT","at":"f.c:fn","code":"x","summary":"s"}]})",
                                    R"({"invariants":[]})"),
               std::runtime_error);
}

TEST(LocateCitation, FindsTheNthSnippetInsideTheNamedFunctionOnly) {
  const std::string dir = ::testing::TempDir() + "/tree";
  std::filesystem::create_directories(dir + "/d");
  std::ofstream(dir + "/d/f.c") << "static int other(void)\n{\n\treturn -EINVAL;\n}\n\n"
                                   "int target(int a,\n\t   int b)\n{\n\tif (a)\n\t\treturn -EINVAL;\n\treturn -EINVAL;\n}\n";
  Rule r;
  r.file = "d/f.c";
  r.function = "target";
  r.code = "return -EINVAL;";
  EXPECT_EQ(locate_citation(dir, r).line, 10);
  r.nth = 2;
  EXPECT_EQ(locate_citation(dir, r).line, 11);
  r.nth = 3;
  EXPECT_FALSE(locate_citation(dir, r).line);
  r.function = "missing";
  EXPECT_FALSE(locate_citation(dir, r).line);
}
