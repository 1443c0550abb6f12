// The kernel-chosen IOVA (IOMMU_IOAS_MAP / IOMMU_IOAS_COPY without
// IOMMU_IOAS_MAP_FIXED_IOVA) for Z3: io_pagetable.c:iopt_alloc_iova(), exactly
// as the C++ model's IoPagetable::alloc_iova (model/io_pagetable.cpp) computes
// it, over symbolic ranges and without quantifiers.
//
// What is modelled: EOVERFLOW for a length of 0 or >= ULONG_MAX / 2; the
// alignment min(roundup_pow_of_two(length), lowest set bit of addr) capped at
// HPAGE_SIZE (2 MiB: CONFIG_TRANSPARENT_HUGEPAGE, as the model assumes) and
// EINVAL below the IOAS's iova_alignment; then the first hole, in address
// order, of the busy ranges inside the allowed spans (clipped to
// [PAGE_SIZE, ULONG_MAX - PAGE_SIZE]) that passes __alloc_iova_check_range()
// with its quirks: a carry out of ALIGN() rejects, the page offset of addr is
// OR-ed into the aligned start (which for alignments below PAGE_SIZE can move
// the start by more than the offset), `aligned_start >= last` rejects a hole
// whose aligned start is its last byte even for a one-byte length, and the
// busy ranges are looked at only from the allowed span's aligned start on.
// ENOSPC when no hole passes.
//
// Preconditions (the caller's state gives them): a valid range has
// start <= last (busy and allowed alike). Busy ranges may overlap, touch, come
// in any order; so may allowed ranges (touching or overlapping allowed ranges
// form one span, as interval_tree_for_each_span() merges them). alloc_iova() is
// exact for any iopt_alignment; alloc_iova_placement()'s alignment fact needs
// it to be a power of two (it always is in the kernel).
#pragma once
#include <vector>

#include "model/smt/expr.h"

namespace ioconform::smt {

struct SymRange {
  Expr valid, start, last;  // an inclusive range, present when valid (Bool)
};

struct AllocIova {
  Expr err;   // 0, EOVERFLOW (iopt_map.alloc_iova_length_overflow), EINVAL
              // (iopt_map.alloc_iova_va_underaligned) or ENOSPC (iopt_map.alloc_iova_no_space)
  Expr iova;  // the chosen IOVA when err == 0 (0 otherwise)
};

// busy: the reserved ranges and the areas of the IOAS; allowed: the IOAS's
// allowed ranges (none valid = no restriction); addr: the user VA (or the file
// offset for MAP_FILE, the source pages' address for COPY); iopt_alignment:
// the IOAS's iova_alignment.
AllocIova alloc_iova(z3::context& ctx, const std::vector<SymRange>& busy, const std::vector<SymRange>& allowed,
                     const Expr& addr, const Expr& length, const Expr& iopt_alignment);

// The search inside alloc_iova(), opened up for proofs that reason about one
// candidate at a time (a solver finds that far easier than the whole choice):
// every place a hole the kernel checks can start, whether the kernel accepts
// that hole (request past the EOVERFLOW and EINVAL checks, inside an allowed
// span that passes, free, and passing __alloc_iova_check_range()), and the IOVA
// it would return there: (allowed.size() + 1) * (busy.size() + 1) candidates,
// some never real. alloc_iova() returns, when any candidate passes, the IOVA of
// the passing candidate with the lowest start.
struct AllocIovaSearch {
  Expr length_ok;  // not EOVERFLOW
  Expr searched;   // length_ok and not EINVAL: the trees are walked
  struct Candidate {
    Expr pass;              // the kernel accepts this hole
    Expr start, hole_last;  // the hole, clipped to its allowed span
    Expr iova;              // __alloc_iova_check_range()'s aligned start in it
  };
  std::vector<Candidate> candidates;
};
AllocIovaSearch alloc_iova_search(z3::context& ctx, const std::vector<SymRange>& busy,
                                  const std::vector<SymRange>& allowed, const Expr& addr, const Expr& length,
                                  const Expr& iopt_alignment);

// What every successful alloc_iova() guarantees of its IOVA, without
// minimality (for induction proofs, where the exact choice is rarely needed):
// [iova, iova + length - 1] does not wrap, starts at PAGE_SIZE or above, ends at
// ULONG_MAX - PAGE_SIZE or below, lies inside the union of the valid allowed
// ranges when any is valid, intersects no valid busy range, and iova is
// iopt_alignment-aligned. A Bool over the given (free) `iova`: alloc_iova()'s
// err == 0 implies placement(its iova) (proved by test_smt_alloc_iova.cpp for
// three busy ranges and one allowed range, all inputs symbolic).
Expr alloc_iova_placement(z3::context& ctx, const std::vector<SymRange>& busy, const std::vector<SymRange>& allowed,
                          const Expr& addr, const Expr& length, const Expr& iopt_alignment, const Expr& iova);

}  // namespace ioconform::smt
