// Coverage in the campaign report: rules counted against the kernel the run
// targets (a rule gated out of that kernel is neither reachable nor "not
// reached"), and op × outcome counts from the answers the run got.
#include <gtest/gtest.h>

#include "reports/campaign_report.h"
#include "spec/catalogue.h"

using namespace ioconform;

namespace {
// A model-run step answer (the shape conformance::to_json gives).
nlohmann::json model_step(const std::string& op, const nlohmann::json& err, const std::string& rule = "") {
  nlohmann::json a = {{"op", op}, {"errno", err}};
  if (!rule.empty()) a["rule"] = rule;
  return a;
}

const spec::Rule& rule(const std::string& id) {
  for (const auto& r : spec::Catalogue::get().rules())
    if (r.id == id) return r;
  throw std::runtime_error("no rule " + id);
}

std::string why_not_hit(const nlohmann::json& coverage, const std::string& id) {
  for (const auto& n : coverage["never_hit"])
    if (n["id"] == id) return n["why"];
  return "";
}
}  // namespace

TEST(CampaignReport, RulesGatedOutOfTheKernelAreNotReachableThere) {
  // attach.pasid_hwpt_not_pasid_compat came with PASID attach (6.15).
  ASSERT_EQ(rule("attach.pasid_hwpt_not_pasid_compat").versions, ">=6.15");
  const nlohmann::json none = nlohmann::json::array();
  const auto v612 = *spec::parse_version("6.12.95"), v72 = *spec::parse_version("7.2.13");
  const nlohmann::json on612 = reports::rule_coverage(none, v612), on72 = reports::rule_coverage(none, v72);
  EXPECT_EQ(why_not_hit(on612, "attach.pasid_hwpt_not_pasid_compat"), "not in kernel 6.12.95: the rule is gated >=6.15");
  EXPECT_EQ(why_not_hit(on72, "attach.pasid_hwpt_not_pasid_compat"), "not reached by these scenarios");
  EXPECT_LT(on612["reachable"], on72["reachable"]);
  EXPECT_GT(on612["not_in_kernel"], 0);
  // Every rule is counted once: reachable here, gated out, or unreachable from our setup.
  size_t unreachable = 0;
  for (const auto& r : spec::Catalogue::get().rules()) unreachable += !r.reachable && spec::version_satisfies(v72, r.versions);
  EXPECT_EQ(on72["reachable"].get<size_t>() + on72["not_in_kernel"].get<size_t>() + unreachable, on72["total"].get<size_t>());
}

TEST(CampaignReport, ReachableHitCountsOnlyRulesOfThatKernel) {
  const nlohmann::json run = nlohmann::json::array(
      {{{"scenario", "s"},
        {"steps", {model_step("IOMMU_IOAS_ALLOC", 0), model_step("IOMMU_DESTROY", "ENOENT", "destroy.no_object")}}}});
  const nlohmann::json c = reports::rule_coverage(run, *spec::parse_version("7.2"));
  EXPECT_EQ(c["hit"], 1);
  EXPECT_EQ(c["reachable_hit"], 1);
  EXPECT_EQ(why_not_hit(c, "destroy.no_object"), "");
}

TEST(CampaignReport, OpOutcomesCountTheKernelsAnswerInAKernelRun) {
  // A kernel run's step: both answers; the kernel's is what ran.
  const nlohmann::json kernel_run = nlohmann::json::array(
      {{{"scenario", "s"},
        {"steps",
         {{{"op", "IOMMU_IOAS_MAP"}, {"model", model_step("IOMMU_IOAS_MAP", 0)}, {"kernel", {{"errno", "EINVAL"}}}},
          {{"op", "IOMMU_IOAS_MAP"}, {"model", model_step("IOMMU_IOAS_MAP", 0)}, {"kernel", {{"errno", 0}}}},
          {{"op", "IOMMU_IOAS_MAP"}, {"model", model_step("IOMMU_IOAS_MAP", 0)}, {"kernel", {{"errno", 0}}}},
          // never answered (the guest died): not counted
          {{"op", "IOMMU_DESTROY"}, {"model", model_step("IOMMU_DESTROY", 0)}, {"kernel", nullptr}}}}},
       {{"scenario", "skipped"}, {"skipped", "outside kernel gate >=6.15"}}});
  const nlohmann::json o = reports::op_outcomes(kernel_run);
  EXPECT_EQ(o, nlohmann::json({{"IOMMU_IOAS_MAP", {{"0", 2}, {"EINVAL", 1}}}}));
  // A model-only run counts the model's answers.
  const nlohmann::json model_run = nlohmann::json::array(
      {{{"scenario", "s"}, {"steps", {model_step("IOMMU_DESTROY", "ENOENT", "destroy.no_object")}}}});
  EXPECT_EQ(reports::op_outcomes(model_run), nlohmann::json({{"IOMMU_DESTROY", {{"ENOENT", 1}}}}));
}
