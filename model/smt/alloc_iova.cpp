// iopt_alloc_iova() for Z3; see alloc_iova.h. The kernel walks two interval
// trees in order and returns at the first hole that fits; here every place a
// hole can start is a candidate, each is judged on its own, and the lowest
// candidate that passes is the kernel's first, because the spans and the holes
// inside a span are visited in increasing address order.
#include "model/smt/alloc_iova.h"

#include <cerrno>
#include <cstdint>

namespace ioconform::smt {

namespace {

constexpr std::uint64_t kU64Max = ~std::uint64_t{0};
constexpr std::uint64_t kPage = 4096;               // x86-64 PAGE_SIZE
constexpr std::uint64_t kHugePage = 2 * 1024 * 1024;  // HPAGE_SIZE with CONFIG_TRANSPARENT_HUGEPAGE
constexpr std::uint64_t kWindowFirst = kPage, kWindowLast = kU64Max - kPage;

Expr umin(const Expr& a, const Expr& b) { return ite(a.ule(b), a, b); }
Expr umax(const Expr& a, const Expr& b) { return ite(a.uge(b), a, b); }
// Two's complement negation (bvneg): expr.h has no unary minus, and 0 - x is the same term.
Expr neg(const Expr& x) { return Expr(-x.z3()); }

// roundup_pow_of_two() for 1 <= v <= 2^63 by smearing the highest set bit of
// v - 1 downwards; only called where iopt_alloc_iova() has already refused
// lengths that would overflow it (the result is irrelevant then).
Expr roundup_pow_of_two(const Expr& v) {
  Expr x = v - Expr::bv(v.ctx(), 1);
  for (unsigned s : {1u, 2u, 4u, 8u, 16u, 32u}) x = x | x.lshr(s);
  return x + Expr::bv(v.ctx(), 1);
}

struct Checked {
  Expr ok;       // the range passes
  Expr aligned;  // the aligned start (what *start becomes when ok)
};

// __alloc_iova_check_range(): the kernel refuses a carry out of ALIGN() rather
// than wrapping to a low IOVA, keeps the user VA's page offset by OR-ing it in
// (not adding it), and compares `aligned_start >= last`, so a hole whose
// aligned start is its last byte is refused even for a one-byte length.
Checked check_range(const Expr& start, const Expr& last, const Expr& length, const Expr& align,
                    const Expr& page_offset) {
  const Expr one = Expr::bv(start.ctx(), 1);
  const Expr mask = align - one;
  const Expr aligned = ((start + mask) & ~mask) | page_offset;
  const Expr ok = !start.add_overflows(mask) && aligned.ult(last) && !(last - aligned).ult(length - one);
  return {ok, aligned};
}

// One allowed span as interval_tree_for_each_span() over the allowed tree
// yields it: `is_span` when this candidate really starts a used span of the
// tree clipped to [PAGE_SIZE, ULONG_MAX - PAGE_SIZE].
struct Span {
  Expr is_span, start, last;
};

// interval_tree_for_each_span(&allowed_span, &iopt->allowed_itree, PAGE_SIZE,
// ULONG_MAX - PAGE_SIZE): the tree's nodes clipped to the window, with nodes
// that overlap or touch merged into one used span (interval_tree_span_iter_next_gap
// continues while `last + 1 == next->start`). Without quantifiers or sorting:
// a clipped start is a span start when the byte before it is not covered, and
// its span ends at the lowest clipped last at or above it whose next byte is not
// covered (every byte between is covered, so no earlier last can end the span).
// With the tree empty (RB_EMPTY_ROOT) the kernel substitutes the whole window.
std::vector<Span> allowed_spans(z3::context& ctx, const std::vector<SymRange>& allowed) {
  const Expr wfirst = Expr::bv(ctx, kWindowFirst), wlast = Expr::bv(ctx, kWindowLast);
  const Expr one = Expr::bv(ctx, 1);
  std::vector<SymRange> clipped;
  Expr any = Expr::boolean(ctx, false);
  for (const auto& r : allowed) {
    any = any || r.valid;
    const Expr in_window = r.valid && !r.last.ult(wfirst) && !r.start.ugt(wlast);
    clipped.push_back({in_window, umax(r.start, wfirst), umin(r.last, wlast)});
  }
  auto covered = [&](const Expr& x) {
    Expr c = Expr::boolean(ctx, false);
    for (const auto& r : clipped) c = c || (r.valid && r.start.ule(x) && x.ule(r.last));
    return c;
  };
  std::vector<Expr> is_end;
  for (const auto& r : clipped) is_end.push_back(r.valid && (r.last == wlast || !covered(r.last + one)));

  std::vector<Span> spans;
  for (const auto& r : clipped) {
    const Expr starts = r.valid && (r.start == wfirst || !covered(r.start - one));
    Expr last = wlast;
    for (size_t j = 0; j < clipped.size(); j++)
      last = ite(is_end[j] && clipped[j].last.uge(r.start), umin(last, clipped[j].last), last);
    spans.push_back({starts, r.start, last});
  }
  spans.push_back({!any, wfirst, wlast});  // RB_EMPTY_ROOT(&iopt->allowed_itree.rb_root)
  return spans;
}

}  // namespace

AllocIovaSearch alloc_iova_search(z3::context& ctx, const std::vector<SymRange>& busy,
                                  const std::vector<SymRange>& allowed, const Expr& addr, const Expr& length,
                                  const Expr& iopt_alignment) {
  const Expr zero = Expr::bv(ctx, 0), one = Expr::bv(ctx, 1), u64max = Expr::bv(ctx, kU64Max);
  const Expr page_offset = addr & Expr::bv(ctx, kPage - 1);

  // iopt_alloc_iova(): "Protect roundup_pow-of_two() from overflow".
  const Expr length_ok = !(length == zero || length.uge(Expr::bv(ctx, kU64Max / 2)));
  // Keep the alignment present in the user VA (1UL << __ffs64(uptr) is
  // uptr & -uptr) up to the length's power of two, so THPs can map; then cap
  // it at HPAGE_SIZE, which also keeps ALIGN() from overflowing in practice.
  const Expr by_length = roundup_pow_of_two(length);
  const Expr wanted = ite(addr == zero, by_length, umin(by_length, addr & neg(addr)));
  const Expr huge = Expr::bv(ctx, kHugePage);
  const Expr align = ite(wanted.uge(huge), huge, wanted);
  // Refused when a domain's minimum page size cannot be met by this VA's alignment.
  const Expr searched = length_ok && !align.ult(iopt_alignment);

  // The busy side, independent of the span: interval_tree_for_each_double_span()
  // over reserved_itree and area_itree yields holes whose starts are the walk's
  // start or the byte after some busy range, and whose last byte is just before
  // the nearest busy range starting above (adjacent or overlapping busy ranges
  // leave no hole between them).
  auto not_busy = [&](const Expr& x) {
    Expr free = Expr::boolean(ctx, true);
    for (const auto& b : busy) free = free && !(b.valid && b.start.ule(x) && x.ule(b.last));
    return free;
  };
  auto next_busy_last = [&](const Expr& x) {  // min over busy ranges above x of start - 1
    Expr hl = u64max;
    for (const auto& b : busy) hl = ite(b.valid && b.start.ugt(x), umin(hl, b.start - one), hl);
    return hl;
  };
  struct AfterBusy {
    Expr valid, start, free, hole_last;
  };
  std::vector<AfterBusy> after_busy;
  for (const auto& b : busy) {
    const Expr s = b.last + one;
    after_busy.push_back({b.valid && b.last != u64max, s, not_busy(s), next_busy_last(s)});
  }

  AllocIovaSearch out{length_ok, searched, {}};
  for (const Span& span : allowed_spans(ctx, allowed)) {
    // __alloc_iova_check_used(): the allowed span itself must pass, and its
    // aligned start (not its start) is where the walk of the busy trees begins.
    const Checked sc = check_range(span.start, span.last, length, align, page_offset);
    const Expr span_ok = searched && span.is_span && sc.ok;
    const Expr& first = sc.aligned;
    // __alloc_iova_check_hole() on the hole that starts the walk, if any...
    {
      const Expr hole_last = umin(span.last, next_busy_last(first));
      const Checked hc = check_range(first, hole_last, length, align, page_offset);
      out.candidates.push_back({span_ok && not_busy(first) && hc.ok, first, hole_last, hc.aligned});
    }
    // ...and on each hole that starts after a busy range inside the walk.
    for (const AfterBusy& c : after_busy) {
      const Expr hole_last = umin(span.last, c.hole_last);
      const Checked hc = check_range(c.start, hole_last, length, align, page_offset);
      const Expr in_walk = c.valid && c.start.ugt(first) && c.start.ule(span.last);
      out.candidates.push_back({span_ok && in_walk && c.free && hc.ok, c.start, hole_last, hc.aligned});
    }
  }
  return out;
}

AllocIova alloc_iova(z3::context& ctx, const std::vector<SymRange>& busy, const std::vector<SymRange>& allowed,
                     const Expr& addr, const Expr& length, const Expr& iopt_alignment) {
  const Expr zero = Expr::bv(ctx, 0);
  const AllocIovaSearch search = alloc_iova_search(ctx, busy, allowed, addr, length, iopt_alignment);
  // The kernel returns at the first hole that passes: the lowest passing start.
  Expr found = Expr::boolean(ctx, false);
  Expr best_start = zero, best_iova = zero;
  for (const AllocIovaSearch::Candidate& c : search.candidates) {
    const Expr take = c.pass && (!found || c.start.ult(best_start));
    best_start = ite(take, c.start, best_start);
    best_iova = ite(take, c.iova, best_iova);
    found = found || c.pass;
  }
  const Expr err = ite(!search.length_ok, Expr::bv(ctx, EOVERFLOW),  // iopt_map.alloc_iova_length_overflow
                       ite(!search.searched, Expr::bv(ctx, EINVAL),   // iopt_map.alloc_iova_va_underaligned
                           ite(found, zero, Expr::bv(ctx, ENOSPC))));  // iopt_map.alloc_iova_no_space
  return {err, ite(err == zero, best_iova, zero)};
}

Expr alloc_iova_placement(z3::context& ctx, const std::vector<SymRange>& busy, const std::vector<SymRange>& allowed,
                          const Expr& addr, const Expr& length, const Expr& iopt_alignment, const Expr& iova) {
  (void)addr;  // the placement facts do not depend on the VA (its page offset is not kept below PAGE_SIZE alignment)
  const Expr zero = Expr::bv(ctx, 0), one = Expr::bv(ctx, 1);
  const Expr last = iova + length - one;
  Expr p = !iova.add_overflows(length - one) && iova.uge(Expr::bv(ctx, kWindowFirst)) &&
           last.ule(Expr::bv(ctx, kWindowLast)) && (iova & (iopt_alignment - one)) == zero;
  // iopt_check_iova() would accept it: no busy range intersects.
  for (const auto& b : busy) p = p && !(b.valid && b.start.ule(last) && iova.ule(b.last));
  // Inside the union of the valid allowed ranges: iova is covered, and after
  // every allowed range that ends inside [iova, last) the next byte is covered
  // (the lowest uncovered byte above iova would follow such an end).
  Expr any = Expr::boolean(ctx, false);
  auto covered = [&](const Expr& x) {
    Expr c = Expr::boolean(ctx, false);
    for (const auto& r : allowed) c = c || (r.valid && r.start.ule(x) && x.ule(r.last));
    return c;
  };
  Expr inside = covered(iova);
  for (const auto& r : allowed) {
    any = any || r.valid;
    inside = inside && (r.valid && iova.ule(r.last) && r.last.ult(last)).implies(covered(r.last + one));
  }
  return p && (!any || inside);
}

}  // namespace ioconform::smt
