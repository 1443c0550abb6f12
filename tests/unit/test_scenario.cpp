// Scenario parsing: malformed input gets a specific error naming where it is.
#include "conformance/scenario.h"

#include <gtest/gtest.h>

#include "conformance/replay.h"
#include "conformance/resolve.h"

using namespace ioconform::conformance;
using nlohmann::json;

namespace {
std::string parse_error(const json& j) {
  try {
    parse_scenario(j, "x.json");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(ScenarioParse, MalformedScenariosNameTheProblem) {
  EXPECT_NE(parse_error(json::array()).find("JSON object"), std::string::npos);
  EXPECT_NE(parse_error({{"steps", json::array()}}).find("missing string 'name'"), std::string::npos);
  EXPECT_NE(parse_error({{"name", "Bad Name"}, {"steps", json::array()}}).find("must match"), std::string::npos);
  EXPECT_NE(parse_error({{"name", "a"}, {"steps", {{{"op", "IOMMU_FROB"}}}}}).find("step 0: unknown op 'IOMMU_FROB'"),
            std::string::npos);
  EXPECT_NE(parse_error({{"name", "a"}, {"steps", {{{"op", "IOMMU_IOAS_ALLOC"}, {"out", {{"out_ioas_id", "ioas"}}}}}}})
                .find("must be a \"$name\""),
            std::string::npos);
  EXPECT_NE(parse_error({{"name", "a"}, {"steps", {{{"op", "IOMMU_IOAS_ALLOC"}, {"expect", {{"errno", "ENOPE"}}}}}}})
                .find("expect.errno"),
            std::string::npos);
  EXPECT_NE(parse_error({{"name", "a"}, {"kernel", ">=x"}, {"steps", json::array()}}).find("kernel gate"), std::string::npos);
  EXPECT_NE(parse_error({{"name", "a"}, {"setup", {{"buffers", {{{"name", "b"}, {"align", 100}}}}}}, {"steps", json::array()}})
                .find("power of two"),
            std::string::npos);
}

TEST(ScenarioReplay, UnboundNameStopsTheScenarioWithAClearError) {
  auto s = parse_scenario({{"name", "a"}, {"steps", {{{"op", "IOMMU_DESTROY"}, {"args", {{"id", "$nope"}}}}}}}, "x.json");
  auto r = replay_on_model(s);
  EXPECT_NE(r.error.find("$nope is not bound"), std::string::npos) << r.error;
}

TEST(ScenarioReplay, UnmetExpectationIsReported) {
  auto s = parse_scenario({{"name", "a"}, {"steps", {{{"op", "IOMMU_DESTROY"}, {"args", {{"id", 5}}}, {"expect", {{"errno", 0}}}}}}},
                          "x.json");
  auto r = replay_on_model(s);
  ASSERT_EQ(r.expectation_failures.size(), 1u);
  EXPECT_NE(r.expectation_failures[0].find("errno ENOENT, expected 0"), std::string::npos);
}

TEST(ScenarioResolve, IntegersFlagsAndBuffers) {
  EXPECT_EQ(parse_u64("0x10", "w"), 16u);
  EXPECT_EQ(parse_u64("U64_MAX", "w"), UINT64_MAX);
  EXPECT_THROW(parse_u64("0xzz", "w"), ScenarioError);
  Step st;
  st.op = "IOMMU_IOAS_MAP";
  st.args = {{"flags", {"FIXED_IOVA", "READABLE"}}, {"user_va", "buf0+0x10"}, {"iova", "$m"}};
  BufferAddresses b{[](const std::string&) { return std::uint64_t{0x1000}; }, [](const std::string&) { return -1; }};
  auto out = resolve_args(st, {{"$m", 7}}, b, "w");
  EXPECT_EQ(out["flags"].get<std::uint64_t>(), 5u);
  EXPECT_EQ(out["user_va"].get<std::uint64_t>(), 0x1010u);
  EXPECT_EQ(out["iova"].get<std::uint64_t>(), 7u);
  st.args = {{"flags", {"BOGUS"}}};
  EXPECT_THROW(resolve_args(st, {}, b, "w"), ScenarioError);
}

TEST(ScenarioParse, DeviceGroupLabelIsANonEmptyString) {
  auto with_device = [](const json& device) {
    return json{{"name", "a"}, {"setup", {{"devices", {device}}}}, {"steps", json::array()}};
  };
  EXPECT_NE(parse_error(with_device({{"name", "dev0"}, {"group", 1}})).find("device dev0: 'group' must be a non-empty string"),
            std::string::npos);
  EXPECT_NE(parse_error(with_device({{"name", "dev0"}, {"group", ""}})).find("'group' must be a non-empty string"),
            std::string::npos);
  auto s = parse_scenario(with_device({{"name", "dev0"}, {"group", "g0"}}), "x.json");
  EXPECT_EQ(s.devices.at(0).group, "g0");
  EXPECT_EQ(to_json(s)["setup"]["devices"][0]["group"], "g0");
  EXPECT_FALSE(to_json(parse_scenario(with_device({{"name", "dev0"}}), "x.json"))["setup"]["devices"][0].contains("group"));
}

TEST(ScenarioReplay, DevicesSharingAGroupLabelShareTheModelsIommuGroup) {
  auto scenario = [](const std::string& label1) {
    json dev1 = {{"name", "dev1"}};
    if (!label1.empty()) dev1["group"] = label1;
    json steps = json::array();
    steps.push_back({{"op", "IOMMU_IOAS_ALLOC"}, {"out", {{"out_ioas_id", "$a"}}}});
    steps.push_back({{"op", "IOMMU_IOAS_ALLOC"}, {"out", {{"out_ioas_id", "$b"}}}});
    for (const char* dev : {"dev0", "dev1"}) steps.push_back({{"op", "VFIO_DEVICE_BIND_IOMMUFD"}, {"args", {{"dev", dev}}}});
    steps.push_back({{"op", "VFIO_DEVICE_ATTACH_IOMMUFD_PT"}, {"args", {{"dev", "dev0"}, {"pt_id", "$a"}}}});
    steps.push_back({{"op", "VFIO_DEVICE_ATTACH_IOMMUFD_PT"}, {"args", {{"dev", "dev1"}, {"pt_id", "$b"}}}});
    return parse_scenario({{"name", "a"},
                           {"setup", {{"devices", {{{"name", "dev0"}, {"group", "g0"}}, dev1}}}},
                           {"steps", steps}},
                          "x.json");
  };
  auto same = replay_on_model(scenario("g0"));
  ASSERT_EQ(same.steps.size(), 6u) << same.error;
  EXPECT_EQ(same.steps[5].rule, "attach.group_in_other_domain");
  for (const char* other : {"g1", ""}) {
    auto apart = replay_on_model(scenario(other));
    ASSERT_EQ(apart.steps.size(), 6u) << apart.error;
    EXPECT_EQ(apart.steps[5].err, 0) << "label '" << other << "'";
  }
}
