// Mutation self-test: each seeded bug in the SMT semantics is reported by
// ioconform verify with a counterexample that is a replayable scenario.
#include <gtest/gtest.h>

#include "conformance/replay.h"
#include "conformance/scenario.h"
#include "model/smt/verify.h"

using namespace ioconform;

namespace {
void expect_killed(smt::Mutant mutant, const char* invariant, int depth) {
  smt::VerifyOptions o;
  o.depth = depth;
  o.mutant = mutant;
  o.timeout_ms = 120000;
  auto r = smt::verify_invariant(invariant, o);
  ASSERT_EQ(r.verdict, "counterexample") << smt::to_string(mutant) << " survived " << invariant << ": " << r.reason;
  // The counterexample is a scenario the correct model replays without error.
  auto scenario = conformance::parse_scenario(r.counterexample, "counterexample");
  auto replay = conformance::replay_on_model(scenario);
  EXPECT_TRUE(replay.error.empty()) << replay.error;
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

// Every mutant the encoding knows has a test above that kills it; a new one
// must get its own (this list is the mutants' enumeration, checked here).
TEST(SmtMutants, EveryEncodedMutantIsListed) {
  std::vector<std::string> names;
  for (smt::Mutant m : smt::all_mutants()) names.push_back(smt::to_string(m));
  EXPECT_EQ(names, (std::vector<std::string>{"unmap_skips_domain", "pin_leak_on_failure", "destroy_ignores_reference",
                                             "attach_ignores_reserved", "attach_ignores_group",
                                             "copy_accepts_partial_area"}));
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
