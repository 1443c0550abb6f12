// The Z3 encoding of iopt_alloc_iova() (model/smt/alloc_iova.h) against the C++
// model's IoPagetable::alloc_iova: random concrete IOASes (areas, reserved and
// allowed ranges, alignment) and requests, folded to constants, must agree on
// the errno and the IOVA; alloc_iova_placement() must follow from alloc_iova()
// for fully symbolic inputs; and hand-worked cases pin the kernel's quirks.
#include "model/smt/alloc_iova.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "model/io_pagetable.h"
#include "spec/catalogue.h"

using namespace ioconform;
using smt::Expr;
using model::u32;
using model::u64;

namespace {

constexpr u64 kU64Max = ~u64{0};
constexpr u64 kPage = 4096, kHuge = 0x200000;
constexpr size_t kBusySlots = 8, kAllowedSlots = 3;

struct ConcreteRange {
  bool valid;
  u64 start, last;
};

struct Outcome {
  u64 err, iova;
};

// alloc_iova() on constants, folded by simplify().
Outcome eval(z3::context& c, const std::vector<ConcreteRange>& busy, const std::vector<ConcreteRange>& allowed,
             u64 addr, u64 length, u64 iopt_alignment) {
  auto sym = [&](const std::vector<ConcreteRange>& v) {
    std::vector<smt::SymRange> out;
    for (const auto& r : v) out.push_back({Expr::boolean(c, r.valid), Expr::bv(c, r.start), Expr::bv(c, r.last)});
    return out;
  };
  const smt::AllocIova a = smt::alloc_iova(c, sym(busy), sym(allowed), Expr::bv(c, addr), Expr::bv(c, length),
                                           Expr::bv(c, iopt_alignment));
  return {a.err.simplify().as_u64(), a.iova.simplify().as_u64()};
}

// alloc_iova() built once over free inputs, evaluated in a model that assigns
// them. The same terms as eval() folds, but a Z3 context keeps (and slowly
// frees) every constant-folded term: 24,000 folds take about 2 GB and a minute
// to tear down, model evaluation a few MB and a few seconds.
class Evaluator {
 public:
  Evaluator() {
    for (size_t i = 0; i < kBusySlots; i++) busy_.push_back(range("busy" + std::to_string(i)));
    for (size_t i = 0; i < kAllowedSlots; i++) allowed_.push_back(range("allowed" + std::to_string(i)));
    addr_ = var("addr"), length_ = var("length"), align_ = var("align");
    const smt::AllocIova a = smt::alloc_iova(ctx_, busy_, allowed_, addr_, length_, align_);
    err_ = a.err.z3(), iova_ = a.iova.z3();
  }
  Outcome operator()(const std::vector<ConcreteRange>& busy, const std::vector<ConcreteRange>& allowed, u64 addr,
                     u64 length, u64 iopt_alignment) {
    z3::model m(ctx_);
    auto set = [&](const Expr& v, const z3::expr& value) {
      z3::func_decl d = v.z3().decl();
      z3::expr val = value;
      m.add_const_interp(d, val);
    };
    auto set_ranges = [&](const std::vector<smt::SymRange>& syms, const std::vector<ConcreteRange>& vals) {
      for (size_t i = 0; i < syms.size(); i++) {
        set(syms[i].valid, ctx_.bool_val(vals[i].valid));
        set(syms[i].start, ctx_.bv_val(static_cast<uint64_t>(vals[i].start), 64));
        set(syms[i].last, ctx_.bv_val(static_cast<uint64_t>(vals[i].last), 64));
      }
    };
    set_ranges(busy_, busy);
    set_ranges(allowed_, allowed);
    set(addr_, ctx_.bv_val(static_cast<uint64_t>(addr), 64));
    set(length_, ctx_.bv_val(static_cast<uint64_t>(length), 64));
    set(align_, ctx_.bv_val(static_cast<uint64_t>(iopt_alignment), 64));
    return {Expr(m.eval(err_, true)).as_u64(), Expr(m.eval(iova_, true)).as_u64()};
  }

 private:
  Expr var(const std::string& n) { return Expr::bv_var(ctx_, n); }
  smt::SymRange range(const std::string& n) {
    return {Expr::bool_var(ctx_, n + ".valid"), var(n + ".start"), var(n + ".last")};
  }
  z3::context ctx_;
  std::vector<smt::SymRange> busy_, allowed_;
  Expr addr_ = Expr::bv(ctx_, 0), length_ = addr_, align_ = addr_;
  z3::expr err_{ctx_}, iova_{ctx_};
};

// The model's answer for busy ranges held as reserved ranges, through the
// ioctl path (IoPagetable::map_pages with a kernel-chosen IOVA); nullopt when
// iopt_alloc_area_pages() refuses the length before asking for an IOVA.
std::optional<Outcome> model_outcome(const std::vector<ConcreteRange>& busy, const std::vector<ConcreteRange>& allowed,
                                     u64 addr, u64 length, u64 iopt_alignment) {
  if (!length || (length & (iopt_alignment - 1))) return std::nullopt;
  model::IoPagetable iopt;
  model::PagesTable pages;
  const u32 pid = pages.add({false, 0, -1, 1, false, 0});
  if (iopt_alignment > 1) {
    model::Platform p;
    p.pgsize_min = iopt_alignment;
    p.aperture_end = kU64Max;
    p.device_resv = {};
    EXPECT_TRUE(iopt.table_add_domain(p, 100, nullptr).ok());
  }
  std::vector<model::Range> ranges;
  for (const auto& r : allowed) ranges.push_back({r.start, r.last});
  EXPECT_TRUE(iopt.set_allow_iova(ranges).ok());
  for (const auto& r : busy) EXPECT_TRUE(iopt.reserve_iova(r.start, r.last, {model::ResvOwner::Device, 1}).ok());
  u64 iova = 0;
  const model::Decision d = iopt.map_pages(pages, {{pid, 0, length}}, length, &iova, model::kProtRead, true, addr);
  return Outcome{static_cast<u64>(d.err), d.ok() ? iova : 0};
}

int errno_of(const char* rule) { return spec::Catalogue::get().rule(rule)->errno_value; }

struct Gen {
  std::mt19937_64 rng;
  u64 below(u64 n) { return rng() % n; }
  bool chance(int percent) { return below(100) < static_cast<u64>(percent); }

  // A value near one of the places where the allocator's branches change:
  // PAGE_SIZE, the huge-page size, the x86 MSI window, VT-d's 2^39 aperture end,
  // half and all of the 64-bit space.
  u64 near() {
    static constexpr u64 kBases[] = {0,          kPage,       0x10000,       kHuge,       2 * kHuge,
                                     0xfee00000, 0xfef00000,  u64{1} << 32, u64{1} << 39, u64{1} << 62,
                                     u64{1} << 63, kU64Max - 2 * kHuge + 1, kU64Max - kHuge + 1,
                                     kU64Max - 0x180000 + 1, kU64Max - 2 * kPage + 1, kU64Max - kPage + 1, kU64Max};
    const u64 base = kBases[below(std::size(kBases))];
    u64 delta;
    switch (below(5)) {
      case 0: delta = 0; break;
      case 1: delta = below(4); break;
      case 2: delta = below(9) * kPage + below(3); break;
      case 3: delta = below(u64{1} << 21); break;
      default: delta = below(u64{1} << 23) & ~(kPage - 1); break;
    }
    return chance(50) ? base + delta : base - delta;
  }

  u64 size() {
    switch (below(7)) {
      case 0: return 1;
      case 1: return 1 + below(16);
      case 2: return (1 + below(64)) * kPage;
      case 3: return kHuge + (below(3) - 1) * kPage;
      case 4: return 1 + below(u64{1} << 24);
      case 5: return (u64{1} << 40) + below(u64{1} << 62);
      default: return kU64Max;  // to the top
    }
  }

  ConcreteRange range() {
    const u64 start = near(), n = size();
    const u64 last = start > kU64Max - (n - 1) ? kU64Max : start + (n - 1);
    return {true, start, last};
  }

  // A user VA with exactly `2^k` as its lowest set bit (or 0).
  u64 addr() {
    if (chance(8)) return 0;
    if (chance(10)) return rng();
    static constexpr unsigned kBits[] = {0, 1, 4, 8, 9, 11, 12, 12, 12, 13, 16, 16, 20, 21, 21, 22, 30, 40, 47};
    const unsigned k = kBits[below(std::size(kBits))];
    return (near() & ~((u64{2} << k) - 1)) | (u64{1} << k) | ((rng() & 0x7fff) << (k + 1) & 0x00007fffffffffffull);
  }

  u64 length(u64 alignment) {
    u64 len;
    switch (below(10)) {
      case 0: len = 1; break;
      case 1: len = 1 + below(kPage); break;
      case 2: case 3: len = (1 + below(64)) * kPage; break;
      case 4: len = kHuge + (below(3) - 1) * kPage; break;
      case 5: len = kHuge / 2 + 1 + below(kHuge); break;
      case 6: {
        static constexpr u64 kEdge[] = {kU64Max / 2 - 1, kU64Max / 2, kU64Max / 2 + 1, kU64Max, kU64Max - kPage + 1,
                                        u64{1} << 62, (u64{1} << 62) + 1};
        len = kEdge[below(std::size(kEdge))];
        break;
      }
      case 7: len = (u64{1} << 39) + below(3) * kPage; break;
      case 8: len = 1 + below(u64{1} << 40); break;
      default: len = 1 + below(u64{1} << 26); break;
    }
    // Most requests are a multiple of the IOAS alignment: iopt_alloc_area_pages()
    // refuses the others before it asks for an IOVA.
    if (alignment > 1 && chance(85) && len <= kU64Max - alignment) len = (len + alignment - 1) & ~(alignment - 1);
    return len;
  }
};

struct Built {
  model::IoPagetable iopt;
  model::PagesTable pages;
  u32 pid = 0;
  u64 alignment = 1;
};

// An IOAS in a state the ioctls can reach: an alignment (none, a domain whose
// smallest page is 2..4096 bytes with or without VT-d's 2^39 aperture, or huge
// pages disabled), then allowed ranges, then device reserved regions and fixed
// maps in random order; whatever the model refuses is simply not there.
Built build(Gen& g) {
  Built b;
  b.pid = b.pages.add({false, 0, -1, 1, false, 0});
  switch (g.below(6)) {
    case 0: case 1: break;
    case 2: b.iopt.disable_large_pages(); break;
    default: {
      model::Platform p;
      p.pgsize_min = g.chance(60) ? kPage : u64{1} << (1 + g.below(12));
      p.aperture_end = g.chance(50) ? (u64{1} << 39) - 1 : kU64Max;
      p.device_resv = {};
      EXPECT_TRUE(b.iopt.table_add_domain(p, 100, nullptr).ok());
    }
  }
  b.alignment = b.iopt.iova_alignment();
  if (g.chance(45)) {
    std::vector<model::Range> allowed;
    const size_t n = 1 + (g.chance(25) ? g.below(kAllowedSlots) : 0);
    for (size_t i = 0; i < n; i++) {
      ConcreteRange r = g.range();
      if (i > 0 && g.chance(50)) {  // touching or overlapping the previous one
        const model::Range& prev = allowed.back();
        const u64 back = g.chance(50) ? 0 : std::min<u64>(prev.last - prev.start, g.below(3) * kPage);
        if (prev.last != kU64Max) r.start = prev.last + 1 - back;
        if (r.last < r.start) r.last = r.start + g.below(kHuge);
      }
      if (g.chance(40) && r.last - r.start > u64{1} << 30) r.last = r.start + g.below(u64{1} << 24);  // small spans
      if (r.last < r.start) r.last = kU64Max;
      allowed.push_back({r.start, r.last});
    }
    b.iopt.set_allow_iova(allowed);
  }
  const size_t attempts = g.below(7);
  for (size_t i = 0; i < attempts; i++) {
    ConcreteRange r = g.range();
    if (g.chance(45)) {
      b.iopt.reserve_iova(r.start, r.last, {model::ResvOwner::Device, static_cast<u32>(i)});
    } else {
      const u64 a = b.alignment;
      u64 iova = r.start & ~(a - 1);
      u64 len = std::min(r.last - r.start, u64{1} << 62) + 1;
      if (g.chance(50)) len = std::min<u64>(len, 64 * kPage);
      len = len > kU64Max - a ? len & ~(a - 1) : (len + a - 1) & ~(a - 1);
      if (!len) continue;
      b.iopt.map_pages(b.pages, {{b.pid, 0, len}}, len, &iova, model::kProtRead, false, 0);
    }
  }
  return b;
}

}  // namespace

TEST(SmtAllocIova, RandomConcreteCasesAgreeWithTheCppModel) {
  Gen g{std::mt19937_64(20260514)};
  Evaluator evaluate;
  z3::context folding;  // the first kFolded cases are also folded from constants
  const int kFolded = 300;
  const int kCases = 24000;
  std::map<std::string, size_t> outcomes;  // by the model's rule ("" = success)
  size_t compared = 0, not_reached = 0, with_allowed_ok = 0, multi_allowed = 0, aligned_ok = 0, offset_moved = 0;
  size_t busy_max = 0, high_ok = 0;
  double smt_secs = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int n = 0; n < kCases; n++) {
    Built b = build(g);
    const u64 addr = g.addr(), length = g.length(b.alignment);

    // The model: a kernel-chosen map of one slice, on a copy of the IOAS.
    model::IoPagetable iopt = b.iopt;
    model::PagesTable pages = b.pages;
    u64 model_iova = 0;
    const model::Decision d =
        iopt.map_pages(pages, {{b.pid, 0, length}}, length, &model_iova, model::kProtRead, true, addr);
    if (d.rule == "iopt_map.length_unaligned") {  // iopt_alloc_iova() is not reached
      not_reached++;
      continue;
    }

    // The encoding: the same ranges in random order, padded with invalid slots
    // holding garbage (which must be ignored).
    std::vector<ConcreteRange> busy, allowed;
    for (const auto& r : b.iopt.reserved()) busy.push_back({true, r.start, r.last});
    for (const auto& [start, a] : b.iopt.areas()) busy.push_back({true, a.iova, a.last});
    for (const auto& r : b.iopt.allowed()) allowed.push_back({true, r.start, r.last});
    ASSERT_LE(busy.size(), kBusySlots);
    ASSERT_LE(allowed.size(), kAllowedSlots);
    busy_max = std::max(busy_max, busy.size());
    while (busy.size() < kBusySlots) busy.push_back({false, g.near(), g.near()});
    while (allowed.size() < kAllowedSlots) allowed.push_back({false, g.near(), g.near()});
    std::shuffle(busy.begin(), busy.end(), g.rng);
    std::shuffle(allowed.begin(), allowed.end(), g.rng);
    const auto e0 = std::chrono::steady_clock::now();
    const Outcome o = evaluate(busy, allowed, addr, length, b.alignment);
    if (n < kFolded) {
      const Outcome f = eval(folding, busy, allowed, addr, length, b.alignment);
      ASSERT_EQ(f.err, o.err);
      ASSERT_EQ(f.iova, o.iova);
    }
    smt_secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();

    compared++;
    outcomes[d.rule]++;
    const auto context = [&] {
      std::string s = "case " + std::to_string(n) + ": addr " + std::to_string(addr) + " length " +
                      std::to_string(length) + " alignment " + std::to_string(b.alignment) + "\n busy:";
      for (const auto& r : busy)
        if (r.valid) s += " [" + std::to_string(r.start) + ", " + std::to_string(r.last) + "]";
      s += "\n allowed:";
      for (const auto& r : allowed)
        if (r.valid) s += " [" + std::to_string(r.start) + ", " + std::to_string(r.last) + "]";
      return s + "\n model: " + (d.ok() ? "iova " + std::to_string(model_iova) : d.rule);
    };
    ASSERT_EQ(o.err, static_cast<u64>(d.err)) << context();
    if (d.ok()) {
      ASSERT_EQ(o.iova, model_iova) << context();
      with_allowed_ok += !b.iopt.allowed().empty();
      multi_allowed += b.iopt.allowed().size() > 1;
      aligned_ok += b.alignment > 1;
      offset_moved += model_iova % kPage != addr % kPage;
      high_ok += model_iova > (u64{1} << 63);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t ok = outcomes[""], overflow = outcomes["iopt_map.alloc_iova_length_overflow"],
               underaligned = outcomes["iopt_map.alloc_iova_va_underaligned"],
               no_space = outcomes["iopt_map.alloc_iova_no_space"];
  std::printf("alloc_iova agreement: %zu cases compared (%zu not reaching iopt_alloc_iova) in %.1f s (%.1f s in Z3); "
              "success %zu (allowed %zu, several allowed %zu, alignment > 1 %zu, page offset moved %zu, "
              "above 2^63 %zu), EOVERFLOW %zu, EINVAL %zu, ENOSPC %zu; up to %zu busy ranges\n",
              compared, not_reached, secs, smt_secs, ok, with_allowed_ok, multi_allowed, aligned_ok, offset_moved,
              high_ok, overflow, underaligned, no_space, busy_max);
  EXPECT_GE(compared, 20000u);
  EXPECT_EQ(compared, ok + overflow + underaligned + no_space) << "an outcome outside iopt_alloc_iova's four";
  EXPECT_GE(ok, 3000u);
  EXPECT_GE(overflow, 500u);
  EXPECT_GE(underaligned, 500u);
  EXPECT_GE(no_space, 1000u);
  EXPECT_GE(with_allowed_ok, 500u);
  EXPECT_GE(multi_allowed, 50u);
  EXPECT_GE(aligned_ok, 500u);
  EXPECT_GE(offset_moved, 50u);
}

// alloc_iova()'s err == 0 implies alloc_iova_placement() of its IOVA, for
// fully symbolic inputs: three busy ranges, one allowed range, any VA, length
// and power-of-two IOAS alignment. Asked in one query, Z3 gives up after ten
// minutes (it has to see through the choice of the lowest hole and the
// ALIGN() arithmetic at once), so the proof goes in steps, each a query over
// the same free inputs, which chain soundly:
//  1. err == 0 => the IOVA is that of some passing candidate (alloc_iova_search);
//  2. for each candidate k: pass_k => start_k <= iova_k, [iova_k, +length) does
//     not wrap and ends by hole_last_k; pass_k => the hole [start_k, hole_last_k]
//     is placed (placement with alignment 1); pass_k => iova_k is aligned;
//  3. for any s <= i, [i, +length) inside [s, hl], [s, hl] placed and i
//     aligned: i is placed (free s, hl, i, so it holds for every candidate).
TEST(SmtAllocIova, PlacementFollowsFromTheExactEncoding) {
  z3::context c;
  const Expr zero = Expr::bv(c, 0), one = Expr::bv(c, 1);
  std::vector<smt::SymRange> busy, allowed;
  std::vector<Expr> given;  // what the IOAS state guarantees
  auto range = [&](const std::string& n) {
    smt::SymRange r{Expr::bool_var(c, n + ".valid"), Expr::bv_var(c, n + ".start"), Expr::bv_var(c, n + ".last")};
    given.push_back(r.valid.implies(r.start.ule(r.last)));
    return r;
  };
  for (int i = 0; i < 3; i++) busy.push_back(range("busy" + std::to_string(i)));
  allowed.push_back(range("allowed0"));
  const Expr addr = Expr::bv_var(c, "addr"), length = Expr::bv_var(c, "length"), align = Expr::bv_var(c, "align");
  given.push_back(align != zero && (align & (align - one)) == zero);

  double total = 0;
  size_t queries = 0;
  // Proves `claim` under `given` (its negation is unsat).
  auto prove = [&](const std::string& what, const Expr& claim) {
    z3::solver s(c);
    for (const Expr& g : given) s.add(g.z3());
    s.add((!claim).z3());
    z3::params p(c);
    p.set("timeout", 300000u);
    s.set(p);
    const auto t0 = std::chrono::steady_clock::now();
    const z3::check_result r = s.check();
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    queries++;
    EXPECT_EQ(r, z3::unsat) << what << (r == z3::sat ? ": counterexample\n" + s.get_model().to_string() : ": unknown");
  };

  const smt::AllocIova a = smt::alloc_iova(c, busy, allowed, addr, length, align);
  const smt::AllocIovaSearch search = smt::alloc_iova_search(c, busy, allowed, addr, length, align);
  Expr some = Expr::boolean(c, false);
  for (const auto& k : search.candidates) some = some || (k.pass && a.iova == k.iova);
  prove("1. the IOVA is a passing candidate's", (a.err == zero).implies(some));

  auto fits = [&](const Expr& s, const Expr& hl, const Expr& i) {
    return s.ule(i) && !i.add_overflows(length - one) && (i + length - one).ule(hl);
  };
  auto placed_hole = [&](const Expr& s, const Expr& hl) {
    return hl.uge(s) && smt::alloc_iova_placement(c, busy, allowed, addr, hl - s + one, one, s);
  };
  auto aligned = [&](const Expr& i) { return (i & (align - one)) == zero; };
  for (size_t n = 0; n < search.candidates.size(); n++) {
    const auto& k = search.candidates[n];
    const std::string name = "2. candidate " + std::to_string(n);
    prove(name + " fits its hole", k.pass.implies(fits(k.start, k.hole_last, k.iova)));
    prove(name + "'s hole is placed", k.pass.implies(placed_hole(k.start, k.hole_last)));
    prove(name + " is aligned", k.pass.implies(aligned(k.iova)));
  }

  const Expr s = Expr::bv_var(c, "s"), hl = Expr::bv_var(c, "hl"), i = Expr::bv_var(c, "i");
  const Expr placed = smt::alloc_iova_placement(c, busy, allowed, addr, length, align, i);
  prove("3. inside a placed hole is placed", (fits(s, hl, i) && placed_hole(s, hl) && aligned(i)).implies(placed));
  std::printf("alloc_iova => placement (3 busy, 1 allowed, all symbolic): %zu queries, %zu candidates, %.1f s\n",
              queries, search.candidates.size(), total);
}

// The kernel's own arithmetic, worked by hand from iopt_alloc_iova() and
// __alloc_iova_check_range(), on the encoding and (where an ioctl reaches it)
// on the model.
TEST(SmtAllocIova, HandWorkedCasesFromTheKernelCode) {
  z3::context c;
  const std::vector<ConcreteRange> none;
  auto busy = [](std::initializer_list<std::pair<u64, u64>> v) {
    std::vector<ConcreteRange> out;
    for (auto [s, l] : v) out.push_back({true, s, l});
    return out;
  };
  // The encoding's answer, checked against the model's where the ioctl path reaches it.
  auto eval = [&](z3::context& ctx, const std::vector<ConcreteRange>& busy, const std::vector<ConcreteRange>& allowed,
                  u64 addr, u64 length, u64 iopt_alignment) {
    const Outcome o = ::eval(ctx, busy, allowed, addr, length, iopt_alignment);
    if (auto m = model_outcome(busy, allowed, addr, length, iopt_alignment)) {
      EXPECT_EQ(o.err, m->err) << "addr " << addr << " length " << length;
      EXPECT_EQ(o.iova, m->iova) << "addr " << addr << " length " << length;
    }
    return o;
  };
  const u64 einval = errno_of("iopt_map.alloc_iova_va_underaligned");
  const u64 enospc = errno_of("iopt_map.alloc_iova_no_space");
  const u64 eoverflow = errno_of("iopt_map.alloc_iova_length_overflow");
  ASSERT_EQ(einval, static_cast<u64>(EINVAL));
  ASSERT_EQ(enospc, static_cast<u64>(ENOSPC));
  ASSERT_EQ(eoverflow, static_cast<u64>(EOVERFLOW));

  // Empty IOAS, a 2 MiB map from a 2 MiB-aligned VA: alignment
  // min(roundup_pow_of_two(2M), 1 << __ffs64(va)) = 2M; the window starts at
  // PAGE_SIZE, ALIGN(4096, 2M) = 0x200000.
  Outcome o = eval(c, none, none, 0x7f0000200000, kHuge, 1);
  EXPECT_EQ(o.err, 0u);
  EXPECT_EQ(o.iova, 0x200000u);
  // A 4 GiB-aligned VA and a 1 GiB length: the alignment is capped at HPAGE_SIZE.
  o = eval(c, busy({{0, 0x2fffff}}), none, u64{1} << 32, u64{1} << 30, 1);
  EXPECT_EQ(o.err, 0u);
  EXPECT_EQ(o.iova, 0x400000u);

  // A one-byte hole [0x2000, 0x2000] and a one-byte map: `aligned_start >= last`
  // refuses it (ENOSPC), though the byte is free; a two-byte hole is taken.
  o = eval(c, busy({{0, 0x1fff}, {0x2001, kU64Max}}), none, 0x2000, 1, 1);
  EXPECT_EQ(o.err, enospc);
  o = eval(c, busy({{0, 0x1fff}, {0x2002, kU64Max}}), none, 0x2000, 1, 1);
  EXPECT_EQ(o.err, 0u);
  EXPECT_EQ(o.iova, 0x2000u);

  // The page offset is OR-ed, not added: VA offset 0x200, length 0x100, so the
  // alignment is 0x100. The window starts at ALIGN(0x1000, 0x100) | 0x200 =
  // 0x1200; busy up to 0x12ff leaves the hole at 0x1300, and
  // ALIGN(0x1300, 0x100) | 0x200 = 0x1300: the IOVA's page offset is 0x300.
  o = eval(c, busy({{0, 0x12ff}}), none, 0x7f0000000200, 0x100, 1);
  EXPECT_EQ(o.err, 0u);
  EXPECT_EQ(o.iova, 0x1300u);
  // From a hole at 0x1400 the same request lands at 0x1400 | 0x200 = 0x1600.
  o = eval(c, busy({{0, 0x13ff}}), none, 0x7f0000000200, 0x100, 1);
  EXPECT_EQ(o.iova, 0x1600u);

  // ALIGN() would carry out: the only hole, [2^64 - 0x180000, 2^64 - 0x1001],
  // is 1.5 MiB - 4 KiB long and a 1 MiB + 1 map fits it, but its alignment is
  // roundup_pow_of_two(0x100001) = 2 MiB and 2^64 - 0x180000 + 2M - 1 wraps:
  // ENOSPC (a wrapping ALIGN() would have handed out IOVA 0).
  o = eval(c, busy({{0, kU64Max - 0x180000}}), none, 0, 0x100001, 1);
  EXPECT_EQ(o.err, enospc);

  // Allowed ranges that touch form one span: [0x10000, 0x10fff] and
  // [0x11000, 0x11fff] take an 8 KiB map at 0x10000; with a byte between them
  // neither fits it.
  o = eval(c, none, busy({{0x10000, 0x10fff}, {0x11000, 0x11fff}}), 0x10000, 0x2000, 1);
  EXPECT_EQ(o.err, 0u);
  EXPECT_EQ(o.iova, 0x10000u);
  // (the second span's aligned start, ALIGN(0x11001, 0x2000) = 0x12000, leaves 0x1000 bytes).
  o = eval(c, none, busy({{0x10000, 0x10fff}, {0x11001, 0x12fff}}), 0x10000, 0x2000, 1);
  EXPECT_EQ(o.err, enospc);

  // Overlapping allowed ranges are one span, walked from the span's aligned
  // start only: [0x1100, 0x11ff] and [0x1180, 0x12ff] make [0x1100, 0x12ff];
  // with the VA's page offset 0x200 and alignment 0x100 its aligned start is
  // ALIGN(0x1100, 0x100) | 0x200 = 0x1300 > 0x12ff: ENOSPC. (Walked from the
  // second range's own start, ALIGN(0x1180, 0x100) | 0x200 = 0x1200 would fit.)
  o = eval(c, none, busy({{0x1100, 0x11ff}, {0x1180, 0x12ff}}), 0x7f0000000200, 0x100, 1);
  EXPECT_EQ(o.err, enospc);
  o = eval(c, none, busy({{0x1180, 0x12ff}}), 0x7f0000000200, 0x100, 1);
  EXPECT_EQ(o.err, 0u);
  EXPECT_EQ(o.iova, 0x1200u);

  // The errors: length 0 and length >= ULONG_MAX / 2 (EOVERFLOW); a VA aligned
  // to 2 KiB with a domain's 4 KiB alignment (EINVAL).
  EXPECT_EQ(eval(c, none, none, 0x1000, 0, 1).err, eoverflow);
  EXPECT_EQ(eval(c, none, none, 0x1000, kU64Max / 2, 1).err, eoverflow);
  // Just below: the VA's 4 KiB alignment wins over the length's 2^63, so the
  // window's first page is taken.
  o = eval(c, none, none, 0x1000, kU64Max / 2 - 1, 1);
  EXPECT_EQ(o.err, 0u);
  EXPECT_EQ(o.iova, kPage);
  EXPECT_EQ(eval(c, none, none, 0x7f0000000800, 0x1000, kPage).err, einval);
}
