// The induction proofs of `ioconform verify`: all seven invariants are proved on the
// correct semantics, and the same proof fails on a seeded bug (so "proved" is
// not the shape of the query speaking).
#include <gtest/gtest.h>

#include "model/smt/verify.h"

using namespace ioconform;

TEST(SmtInduction, ProvesTheInvariantsOfTheFragment) {
  smt::VerifyOptions o;
  o.timeout_ms = 120000;
  for (const char* inv : {"I-DMA", "I-UNMAP", "I-PIN", "I-RESV", "I-LIFE", "I-ATOMIC", "I-GROUP"}) {
    auto r = smt::prove_by_induction(inv, o);
    EXPECT_EQ(r.induction, "proved") << inv << ": " << r.reason;
    EXPECT_EQ(r.verdict, "proved") << inv << ": " << r.reason;
    EXPECT_TRUE(r.vacuity_ok) << inv;
    EXPECT_FALSE(r.queries.empty()) << inv;
  }
}

namespace {
void expect_induction_fails(smt::Mutant mutant, const char* invariant) {
  smt::VerifyOptions o;
  o.mutant = mutant;
  o.timeout_ms = 120000;
  auto r = smt::prove_by_induction(invariant, o);
  EXPECT_EQ(r.induction, "failed") << smt::to_string(mutant) << " on " << invariant << ": " << r.reason;
  EXPECT_NE(r.verdict, "proved");
}
}  // namespace

TEST(SmtInduction, FailsWhenUnmapSkipsTheDomain) { expect_induction_fails(smt::Mutant::unmap_skips_domain, "I-UNMAP"); }
TEST(SmtInduction, FailsWhenDestroyIgnoresAReference) {
  expect_induction_fails(smt::Mutant::destroy_ignores_reference, "I-LIFE");
}
TEST(SmtInduction, FailsWhenAttachIgnoresReservedRegions) {
  expect_induction_fails(smt::Mutant::attach_ignores_reserved, "I-RESV");
}
TEST(SmtInduction, FailsWhenAFailedAttachLeaksPins) { expect_induction_fails(smt::Mutant::pin_leak_on_failure, "I-PIN"); }
// A failed attach that keeps its pins changes the state: I-ATOMIC's induction
// (which assumes the byte-sum lemma for UNMAP) must still see that.
TEST(SmtInduction, AtomicFailsWhenAFailedAttachLeaksPins) {
  expect_induction_fails(smt::Mutant::pin_leak_on_failure, "I-ATOMIC");
}
// I-GROUP is part of well-formedness (the other inductions need it), so the
// seeded bug fails the well-formedness step, for attach.
TEST(SmtInduction, GroupFailsWhenAttachIgnoresTheGroup) {
  expect_induction_fails(smt::Mutant::attach_ignores_group, "I-GROUP");
}
// The copy that reads past its source area breaks I-PIN's second half (an area
// references only bytes of its pages object), with the guard abstracted as the
// I-PIN induction does.
TEST(SmtInduction, PinFailsWhenCopyAcceptsAPartialArea) {
  expect_induction_fails(smt::Mutant::copy_accepts_partial_area, "I-PIN");
}
// A PASID with nothing attached borrowing the RID's domain breaks I-DMA at
// PASID 1: the mirror still holds, the walk of the PASID's domain does not
// answer what the areas behind its attachment (none) map.
TEST(SmtInduction, DmaFailsWhenPasidDmaFallsBackToTheRid) {
  expect_induction_fails(smt::Mutant::pasid_dma_falls_back_to_rid, "I-DMA");
}
// An allowed range over a reserved region breaks I-RESV's second half.
TEST(SmtInduction, ResvFailsWhenAllowIgnoresReservedRegions) {
  expect_induction_fails(smt::Mutant::allow_ignores_reserved, "I-RESV");
}
