// Mutation self-test: each seeded bug in the SMT semantics is reported by
// ioconform verify with a counterexample that is a replayable scenario.
#include <gtest/gtest.h>

#include "conformance/replay.h"
#include "conformance/scenario.h"
#include "model/smt/verify.h"

using namespace ioconform;

namespace {
nlohmann::json expect_killed(smt::Mutant mutant, const char* invariant, int depth) {
  smt::VerifyOptions o;
  o.depth = depth;
  o.mutant = mutant;
  o.timeout_ms = 120000;
  auto r = smt::verify_invariant(invariant, o);
  EXPECT_EQ(r.verdict, "counterexample") << smt::to_string(mutant) << " survived " << invariant << ": " << r.reason;
  if (r.verdict != "counterexample") return {};
  // The counterexample is a scenario the correct model replays without error.
  auto scenario = conformance::parse_scenario(r.counterexample, "counterexample");
  auto replay = conformance::replay_on_model(scenario);
  EXPECT_TRUE(replay.error.empty()) << replay.error;
  EXPECT_FALSE(replay.skipped) << replay.skip_reason;
  nlohmann::json answers = nlohmann::json::array();
  for (const auto& a : replay.steps) answers.push_back(conformance::to_json(a));
  return {{"scenario", r.counterexample}, {"depth", r.depth}, {"answers", answers}};
}
}  // namespace

TEST(SmtMutants, UnmapThatSkipsTheDomainIsKilledByIUnmap) { expect_killed(smt::Mutant::unmap_skips_domain, "I-UNMAP", 3); }
TEST(SmtMutants, PinLeakOnAFailedAttachIsKilledByIPin) { expect_killed(smt::Mutant::pin_leak_on_failure, "I-PIN", 3); }
TEST(SmtMutants, DestroyIgnoringAReferenceIsKilledByILife) { expect_killed(smt::Mutant::destroy_ignores_reference, "I-LIFE", 3); }
TEST(SmtMutants, AttachIgnoringReservedRegionsIsKilledByIResv) { expect_killed(smt::Mutant::attach_ignores_reserved, "I-RESV", 3); }

TEST(SmtMutants, AttachIgnoringTheGroupIsKilledByIGroup) { expect_killed(smt::Mutant::attach_ignores_group, "I-GROUP", 3); }

TEST(SmtMutants, CopyAcceptingAPartialAreaIsKilledByIPin) {
  expect_killed(smt::Mutant::copy_accepts_partial_area, "I-PIN", 3);
}

// PASID DMA with nothing attached at the PASID borrowing the RID's domain: a
// map and a RID attach (depth 2), probed at PASID 1. The counterexample is
// written for CONFIG_IOMMUFD_TEST mock devices, where the kernel shows the
// domain at a PASID: the model (no fallback) answers PASID_CHECK_HWPT against
// the RID's HWPT with EINVAL, and against nothing with 0.
TEST(SmtMutants, PasidDmaFallingBackToTheRidIsKilledByIDma) {
  const nlohmann::json k = expect_killed(smt::Mutant::pasid_dma_falls_back_to_rid, "I-DMA", 2);
  ASSERT_FALSE(k.is_null());
  EXPECT_EQ(k["depth"], 2);
  const nlohmann::json& sc = k["scenario"];
  EXPECT_EQ(sc["requires"], nlohmann::json({"iommufd_test"}));
  EXPECT_EQ(sc["kernel"], ">=6.15");
  const nlohmann::json& answers = k["answers"];
  ASSERT_GE(answers.size(), 2u);
  const nlohmann::json& against_rid = answers[answers.size() - 1];
  const nlohmann::json& against_none = answers[answers.size() - 2];
  EXPECT_EQ(against_rid["op"], "IOMMU_TEST_OP_PASID_CHECK_HWPT");
  EXPECT_EQ(sc["steps"].back()["args"]["pasid"], 1);
  EXPECT_EQ(against_rid["errno"], "EINVAL") << against_rid.dump();
  EXPECT_EQ(against_none["op"], "IOMMU_TEST_OP_PASID_CHECK_HWPT");
  EXPECT_EQ(against_none["errno"], 0) << against_none.dump();
  // Every step before the observation succeeds on the model: the map and the
  // attach behave on the mock as on the fragment's edus.
  for (size_t i = 0; i + 1 < answers.size(); i++) EXPECT_EQ(answers[i]["errno"], 0) << answers[i].dump();
}

// The same fallback also leaves a translation behind a PASID detach (I-UNMAP).
TEST(SmtMutants, PasidDmaFallingBackToTheRidIsKilledByIUnmap) {
  expect_killed(smt::Mutant::pasid_dma_falls_back_to_rid, "I-UNMAP", 3);
}

// Beyond the list, for the ops the fragment gained last: an allowed
// range over the MSI window of an attached device (an attach, then ALLOW_IOVAS).
TEST(SmtMutants, AllowIgnoringReservedRegionsIsKilledByIResv) {
  expect_killed(smt::Mutant::allow_ignores_reserved, "I-RESV", 3);
}

// Every mutant the encoding knows has a test above that kills it; a new one
// must get its own (this list is the mutants' enumeration, checked here).
TEST(SmtMutants, EveryEncodedMutantIsListed) {
  std::vector<std::string> names;
  for (smt::Mutant m : smt::all_mutants()) names.push_back(smt::to_string(m));
  EXPECT_EQ(names, (std::vector<std::string>{"unmap_skips_domain", "pin_leak_on_failure", "destroy_ignores_reference",
                                             "attach_ignores_reserved", "attach_ignores_group",
                                             "copy_accepts_partial_area", "pasid_dma_falls_back_to_rid",
                                             "allow_ignores_reserved"}));
  EXPECT_TRUE(smt::unencoded_mutants().empty());
}

TEST(SmtMutants, TheCorrectSemanticsHasNoShallowCounterexample) {
  smt::VerifyOptions o;
  o.depth = 2;
  o.induction = false;
  for (const char* inv : {"I-LIFE", "I-RESV", "I-UNMAP", "I-GROUP"}) {
    auto r = smt::verify_invariant(inv, o);
    EXPECT_EQ(r.verdict, "bounded") << inv << ": " << r.reason;
    EXPECT_TRUE(r.vacuity_ok) << inv;
  }
}
