// The iommufd semantics for Z3; see semantics.h. Each branch follows the C++
// model's order (model/ioas.cpp, io_pagetable.cpp, device.cpp, model.cpp), which
// follows the kernel's; the comments name the spec rule of each errno.
#include "model/smt/semantics.h"

#include "model/smt/alloc_iova.h"

#include <cerrno>
#include <tuple>
#include <vector>

namespace ioconform::smt {

namespace {

constexpr std::uint64_t kU64Max = ~std::uint64_t{0};
constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kMsiStart = 0xfee00000, kMsiLast = 0xfeefffff;
constexpr std::uint64_t kApertureEnd = (std::uint64_t{1} << 39) - 1;
constexpr std::uint64_t kFixed = 1, kWrite = 2, kRead = 4;

Expr intersects(const Expr& a_start, const Expr& a_last, const Expr& b_start, const Expr& b_last) {
  return a_start.ule(b_last) && b_start.ule(a_last);
}

}  // namespace

const char* to_string(Mutant m) {
  switch (m) {
    case Mutant::none: return "none";
    case Mutant::unmap_skips_domain: return "unmap_skips_domain";
    case Mutant::pin_leak_on_failure: return "pin_leak_on_failure";
    case Mutant::destroy_ignores_reference: return "destroy_ignores_reference";
    case Mutant::attach_ignores_reserved: return "attach_ignores_reserved";
    case Mutant::attach_ignores_group: return "attach_ignores_group";
    case Mutant::copy_accepts_partial_area: return "copy_accepts_partial_area";
    case Mutant::pasid_dma_falls_back_to_rid: return "pasid_dma_falls_back_to_rid";
    case Mutant::allow_ignores_reserved: return "allow_ignores_reserved";
  }
  return "?";
}

std::vector<Mutant> all_mutants() {
  return {Mutant::unmap_skips_domain, Mutant::pin_leak_on_failure, Mutant::destroy_ignores_reference,
          Mutant::attach_ignores_reserved, Mutant::attach_ignores_group, Mutant::copy_accepts_partial_area,
          Mutant::pasid_dma_falls_back_to_rid, Mutant::allow_ignores_reserved};
}

std::optional<Mutant> mutant_from_string(const std::string& s) {
  for (Mutant m : all_mutants())
    if (s == to_string(m)) return m;
  if (s == "none") return Mutant::none;
  return std::nullopt;
}

std::vector<UnencodedMutant> unencoded_mutants() { return {}; }

SymState Encoding::initial(const Expr& grouped) const { return initial(grouped, boolean(true), boolean(true)); }

SymState Encoding::initial(const Expr& grouped, const Expr& bound0, const Expr& bound1) const {
  // Expr has no empty value, so the arrays are spelled out (kIoas = 2, kSlots = 3).
  static_assert(kIoas == 2 && kSlots == 3 && kDevices == 2);
  const SymArea e{boolean(false), bv(0), bv(0), bv(0), bv(0)};
  const std::array<SymArea, kSlots> row{e, e, e};
  const std::array<Expr, kSlots> zeros{bv(0), bv(0), bv(0)};
  const SymPagesRef p{bv(0), boolean(false), bv(0), bv(0), bv(0)};
  const std::array<SymPagesRef, kSlots> prow{p, p, p};
  const AllowedRange none{boolean(false), bv(0), bv(0)};
  return SymState{{boolean(true), boolean(true)}, {row, row}, {row, row}, {bv(0), bv(0)}, grouped, {zeros, zeros},
                  {prow, prow}, bv(0), {bound0, bound1}, {bv(0), bv(0)}, {boolean(false), boolean(false)},
                  {boolean(false), boolean(false)}, {row, row}, {none, none}};
}

SymState Encoding::fresh_state(const std::string& p) const {
  auto area = [&](const std::string& n) {
    return SymArea{Expr::bool_var(ctx, n + ".valid"), Expr::bv_var(ctx, n + ".iova"), Expr::bv_var(ctx, n + ".last"),
                   Expr::bv_var(ctx, n + ".off"), Expr::bv_var(ctx, n + ".prot")};
  };
  SymState s = initial(Expr::bool_var(ctx, p + ".grouped"));
  for (int i = 0; i < kIoas; i++) {
    s.alive[i] = Expr::bool_var(ctx, p + ".alive" + std::to_string(i));
    for (int k = 0; k < kSlots; k++) {
      s.areas[i][k] = area(p + ".a" + std::to_string(i) + std::to_string(k));
      s.domain[i][k] = area(p + ".d" + std::to_string(i) + std::to_string(k));
      s.cdomain[i][k] = area(p + ".c" + std::to_string(i) + std::to_string(k));
    }
    s.calive[i] = Expr::bool_var(ctx, p + ".calive" + std::to_string(i));
    s.cpasid[i] = Expr::bool_var(ctx, p + ".cpasid" + std::to_string(i));
    const std::string a = p + ".allowed" + std::to_string(i);
    s.allowed[i] = AllowedRange{Expr::bool_var(ctx, a + ".valid"), Expr::bv_var(ctx, a + ".start"),
                                Expr::bv_var(ctx, a + ".last")};
  }
  for (int d = 0; d < kDevices; d++) s.bound[d] = Expr::bool_var(ctx, p + ".bound" + std::to_string(d));
  for (int d = 0; d < kDevices; d++) s.att[d] = Expr::bv_var(ctx, p + ".att" + std::to_string(d));
  for (int d = 0; d < kDevices; d++) s.patt[d] = Expr::bv_var(ctx, p + ".patt" + std::to_string(d));
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) {
      const std::string n = p + ".p" + std::to_string(i) + std::to_string(k);
      s.npinned[i][k] = Expr::bv_var(ctx, p + ".npinned" + std::to_string(i) + std::to_string(k));
      s.pages_of[i][k] = SymPagesRef{Expr::bv_var(ctx, n + ".id"), Expr::bool_var(ctx, n + ".writable"),
                                     Expr::bv_var(ctx, n + ".first"), Expr::bv_var(ctx, n + ".last"),
                                     Expr::bv_var(ctx, n + ".area_last")};
    }
  s.pages_seq = Expr::bv_var(ctx, p + ".pages_seq");
  return s;
}

SymOp Encoding::fresh_op(const std::string& p) const {
  auto v = [&](const char* n) { return Expr::bv_var(ctx, p + "." + n); };
  return SymOp{v("kind"), v("id"), v("dev"), v("iova"), v("length"), v("off"), v("flags"), v("src_id"), v("src_iova")};
}

Expr Encoding::op_in_domain(const SymState& s, const SymOp& op) const {
  // kind in range; flags fit the u32 field; a buffer offset
  // inside buf0 (the VA is buf0's VA + off, so every scenario the solver writes
  // can be replayed on the kernel).
  auto id_ok = [&](const Expr& id) {
    Expr ok = id == bv(0) || (id == bv(kFirstDeviceId) && s.bound[0]) || (id == bv(kFirstDeviceId + 1) && s.bound[1]);
    for (int i = 0; i < kIoas; i++)
      ok = ok || (id == bv(kFirstIoasId + i) && s.alive[i]) || (id == bv(kFirstCompatId + i) && s.calive[i]);
    return ok;
  };
  // IOMMU_HWPT_ALLOC names its device by id: only a bound one has one.
  const Expr dev_bound = ite(op.dev == bv(0), s.bound[0], s.bound[1]);
  return op.kind.ult(bv(kOpKinds)) && id_ok(op.id) && id_ok(op.src_id) && op.dev.ult(bv(kDevices)) &&
         op.flags.ult(bv(std::uint64_t{1} << 32)) && op.off.ult(bv(buf_len)) &&
         (op.kind == bv(kHwptAlloc)).implies(dev_bound) && (op.kind == bv(kAllowIovas)).implies(op.length.ule(bv(1)));
}

Expr Encoding::domain_ioas(const SymState& s, const Expr& dev) const {
  Expr own = ite(dev == bv(0), s.att[0], s.att[1]);
  Expr sibling = ite(dev == bv(0), s.att[1], s.att[0]);
  return ite(own != bv(0), own, ite(s.grouped, sibling, bv(0)));
}

Expr Encoding::pasid_domain(const SymState& s, const Expr& dev) const {
  Expr own = ite(dev == bv(0), s.patt[0], s.patt[1]);
  Expr sibling = ite(dev == bv(0), s.patt[1], s.patt[0]);
  return ite(own != bv(0), own, ite(s.grouped, sibling, bv(0)));
}

Expr Encoding::attached_domain(const SymState& s, const Expr& dev, const Expr& pasid) const {
  return ite(pasid, pasid_domain(s, dev), domain_ioas(s, dev));
}

Expr Encoding::ioas_behind(const Expr& pt) const {
  Expr r = pt;
  for (int i = 0; i < kIoas; i++) r = ite(pt == bv(kFirstCompatId + i), bv(kFirstIoasId + i), r);
  return r;
}

Expr Encoding::has_auto_domain(const SymState& s, int i) const {
  Expr id = bv(kFirstIoasId + i);
  Expr r = boolean(false);
  for (int d = 0; d < kDevices; d++) r = r || s.att[d] == id;
  return r;
}

Expr Encoding::has_domain(const SymState& s, int i) const { return has_auto_domain(s, i) || s.calive[i]; }

Expr Encoding::rid_reserves(const SymState& s, int i) const {
  Expr r = boolean(false);
  for (int d = 0; d < kDevices; d++) r = r || s.att[d] == bv(kFirstIoasId + i) || s.att[d] == bv(kFirstCompatId + i);
  return r;
}

Expr Encoding::total_pinned(const SymState& s) const {
  // The per-area counts hold each filled area's pages; areas sharing a pages
  // object pin a page once, so the union is taken per pages object by
  // inclusion-exclusion over every set of two or more areas with one pages
  // object: (-1)^(|S|+1) times the pages all of S cover.
  Expr sum = bv(0);
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) sum = sum + s.npinned[i][k];
  constexpr int kAreas = kIoas * kSlots;
  // Areas that are certainly not pinned (a concrete state's empty slots, or
  // slots of an IOAS without a domain) join no set: the agreement test
  // evaluates this after every step, and most of the 57 sets fall away.
  unsigned maybe_pinned = 0;
  for (int n = 0; n < kAreas; n++)
    if (!(s.areas[n / kSlots][n % kSlots].valid && has_domain(s, n / kSlots)).simplify().z3().is_false())
      maybe_pinned |= 1u << n;
  for (unsigned set = 1; set < (1u << kAreas); set++) {
    const int size = __builtin_popcount(set);
    if (size < 2 || (set & ~maybe_pinned)) continue;
    Expr counted = boolean(true), first = bv(0), last = bv(~std::uint64_t{0});
    std::optional<Expr> id;
    for (int n = 0; n < kAreas; n++) {
      if (!((set >> n) & 1)) continue;
      const int i = n / kSlots, k = n % kSlots;
      const SymArea& a = s.areas[i][k];
      counted = counted && a.valid && has_domain(s, i);
      if (id) counted = counted && s.pages_of[i][k].id == *id;
      id = s.pages_of[i][k].id;
      const Expr a_first = a.off.lshr(12), a_last = (a.off + (a.last - a.iova)).lshr(12);
      first = ite(a_first.ugt(first), a_first, first);
      last = ite(a_last.ult(last), a_last, last);
    }
    const Expr common = ite(counted && first.ule(last), last - first + bv(1), bv(0));
    sum = size % 2 ? sum + common : sum - common;
  }
  return sum;
}

Expr Encoding::pages(const SymArea& a) const {
  if (abstract_page_count) {
    z3::sort bv64 = ctx.bv_sort(64);
    z3::func_decl f = ctx.function("page_count", bv64, bv64, bv64, bv64);
    return Expr(f(a.iova.z3(), a.last.z3(), a.off.z3()));
  }
  // user pages from the page of `off` to the page of `off + length - 1`
  Expr last_off = a.off + (a.last - a.iova);
  return last_off.lshr(12) - a.off.lshr(12) + bv(1);
}

namespace {

SymArea select(const SymArea& a, const SymArea& b, const Expr& c) {
  return {ite(c, a.valid, b.valid), ite(c, a.iova, b.iova), ite(c, a.last, b.last), ite(c, a.off, b.off),
          ite(c, a.prot, b.prot)};
}

SymPagesRef select(const SymPagesRef& a, const SymPagesRef& b, const Expr& c) {
  return {ite(c, a.id, b.id), ite(c, a.writable, b.writable), ite(c, a.first, b.first), ite(c, a.last, b.last),
          ite(c, a.area_last, b.area_last)};
}

SymState select(const SymState& a, const SymState& b, const Expr& c) {
  SymState r = b;
  for (int i = 0; i < kIoas; i++) {
    r.alive[i] = ite(c, a.alive[i], b.alive[i]);
    for (int k = 0; k < kSlots; k++) {
      r.areas[i][k] = select(a.areas[i][k], b.areas[i][k], c);
      r.domain[i][k] = select(a.domain[i][k], b.domain[i][k], c);
      r.cdomain[i][k] = select(a.cdomain[i][k], b.cdomain[i][k], c);
    }
    r.calive[i] = ite(c, a.calive[i], b.calive[i]);
    r.cpasid[i] = ite(c, a.cpasid[i], b.cpasid[i]);
    r.allowed[i] = {ite(c, a.allowed[i].valid, b.allowed[i].valid), ite(c, a.allowed[i].start, b.allowed[i].start),
                    ite(c, a.allowed[i].last, b.allowed[i].last)};
  }
  for (int d = 0; d < kDevices; d++) r.bound[d] = ite(c, a.bound[d], b.bound[d]);
  for (int d = 0; d < kDevices; d++) r.att[d] = ite(c, a.att[d], b.att[d]);
  for (int d = 0; d < kDevices; d++) r.patt[d] = ite(c, a.patt[d], b.patt[d]);
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) {
      r.npinned[i][k] = ite(c, a.npinned[i][k], b.npinned[i][k]);
      r.pages_of[i][k] = select(a.pages_of[i][k], b.pages_of[i][k], c);
    }
  r.pages_seq = ite(c, a.pages_seq, b.pages_seq);
  return r;
}

// Puts `fresh` (with its pages object) into the first free slot of the op's
// target IOAS and fills its domain, pinning the area's pages when the IOAS has
// one, as iopt_map_pages() does; nothing when `failed`. False when every slot
// of the target was full (outside the fragment). `here` receives, per slot, the
// term saying the area goes there.
Expr insert_area_into(const Encoding& enc, const std::array<Expr, kIoas>& is_target, const SymState& s, SymState& next,
                      const Expr& failed, const SymArea& fresh, const SymPagesRef& pages_obj, SlotFlags& slot_here) {
  Expr placed = failed;
  for (int i = 0; i < kIoas; i++) {
    for (int k = 0; k < kSlots; k++) {
      Expr here = !placed && is_target[i] && !s.areas[i][k].valid;
      slot_here[i][k] = here;
      // Every domain of the IOAS maps it; its pages are pinned once.
      Expr fill = here && enc.has_domain(s, i);
      next.areas[i][k] = select(fresh, s.areas[i][k], here);
      next.pages_of[i][k] = select(pages_obj, s.pages_of[i][k], here);
      next.domain[i][k] = select(fresh, s.domain[i][k], here && enc.has_auto_domain(s, i));
      next.cdomain[i][k] = select(fresh, s.cdomain[i][k], here && s.calive[i]);
      next.npinned[i][k] = ite(fill, s.npinned[i][k] + enc.pages(fresh), s.npinned[i][k]);
      placed = placed || here;
    }
  }
  return placed;
}

// A cascade of checks: the first failing one decides the errno.
struct Checks {
  Expr err;
  Expr decided;
  void add(const Expr& cond, int errno_value, z3::context& ctx) {
    add(cond, Expr::bv(ctx, static_cast<std::uint64_t>(errno_value)));
  }
  void add(const Expr& cond, const Expr& errno_value) {
    err = ite(!decided && cond, errno_value, err);
    decided = decided || cond;
  }
};

}  // namespace

namespace {
// State equality; `observable` ignores the fields of invalid slots (what a
// failed op must leave unchanged), otherwise every field counts (tying a fresh
// state to a term).
Expr states_equal(const Encoding& enc, const SymState& a, const SymState& b, bool observable) {
  Expr r = enc.boolean(true);
  auto same = [&](const SymArea& x, const SymArea& y) {
    Expr fields = x.iova == y.iova && x.last == y.last && x.off == y.off && x.prot == y.prot;
    return x.valid == y.valid && (observable ? x.valid.implies(fields) : fields);
  };
  for (int i = 0; i < kIoas; i++) {
    r = r && a.alive[i] == b.alive[i] && a.calive[i] == b.calive[i] && a.cpasid[i] == b.cpasid[i];
    const AllowedRange &x = a.allowed[i], &y = b.allowed[i];
    const Expr range_same = x.start == y.start && x.last == y.last;
    r = r && x.valid == y.valid && (observable ? x.valid.implies(range_same) : range_same);
    for (int k = 0; k < kSlots; k++) {
      const SymPagesRef &p = a.pages_of[i][k], &q = b.pages_of[i][k];
      const Expr pages_same = p.id == q.id && p.writable == q.writable && p.first == q.first && p.last == q.last &&
                              p.area_last == q.area_last;
      r = r && same(a.areas[i][k], b.areas[i][k]) && same(a.domain[i][k], b.domain[i][k]) &&
          same(a.cdomain[i][k], b.cdomain[i][k]) &&
          a.npinned[i][k] == b.npinned[i][k] && (observable ? a.areas[i][k].valid.implies(pages_same) : pages_same);
    }
  }
  for (int d = 0; d < kDevices; d++) r = r && a.att[d] == b.att[d] && a.patt[d] == b.patt[d] && a.bound[d] == b.bound[d];
  // pages_seq is an id allocator, not state anyone observes (and a failed op leaves it alone anyway).
  if (!observable) r = r && a.pages_seq == b.pages_seq;
  return r && a.grouped == b.grouped;
}
}  // namespace

Expr Encoding::equal(const SymState& a, const SymState& b) const { return states_equal(*this, a, b, true); }

Expr Encoding::identical(const SymState& a, const SymState& b) const { return states_equal(*this, a, b, false); }

SymState Encoding::simplified(const SymState& s) const {
  SymState r = s;
  auto simp = [](SymArea& a) {
    a = {a.valid.simplify(), a.iova.simplify(), a.last.simplify(), a.off.simplify(), a.prot.simplify()};
  };
  for (int i = 0; i < kIoas; i++) {
    r.alive[i] = r.alive[i].simplify();
    r.calive[i] = r.calive[i].simplify();
    r.cpasid[i] = r.cpasid[i].simplify();
    AllowedRange& al = r.allowed[i];
    al = {al.valid.simplify(), al.start.simplify(), al.last.simplify()};
    for (int k = 0; k < kSlots; k++) simp(r.areas[i][k]), simp(r.domain[i][k]), simp(r.cdomain[i][k]);
  }
  for (int d = 0; d < kDevices; d++)
    r.att[d] = r.att[d].simplify(), r.patt[d] = r.patt[d].simplify(), r.bound[d] = r.bound[d].simplify();
  r.grouped = r.grouped.simplify();
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) {
      r.npinned[i][k] = r.npinned[i][k].simplify();
      SymPagesRef& p = r.pages_of[i][k];
      p = {p.id.simplify(), p.writable.simplify(), p.first.simplify(), p.last.simplify(), p.area_last.simplify()};
    }
  r.pages_seq = r.pages_seq.simplify();
  return r;
}

StepOut Encoding::step(const SymState& s, const SymOp& op) const {
  const Expr zero = bv(0), page_mask = bv(kPage - 1);
  const Expr no = boolean(false);
  // Per-IOAS views of the op's target (id 1 -> slot 0, id 2 -> slot 1).
  std::array<Expr, kIoas> is_target{op.id == bv(kFirstIoasId), op.id == bv(kFirstIoasId + 1)};
  Expr target_alive = (is_target[0] && s.alive[0]) || (is_target[1] && s.alive[1]);
  Expr target_has_domain = (is_target[0] && has_domain(s, 0)) || (is_target[1] && has_domain(s, 1));
  // The op's id as a manual HWPT (5 -> IOAS slot 0, 6 -> slot 1), alive, and
  // whether that one is PASID-compatible; the IOAS behind the op's page table,
  // whichever kind it names.
  std::array<Expr, kIoas> is_compat{op.id == bv(kFirstCompatId), op.id == bv(kFirstCompatId + 1)};
  const Expr to_compat = (is_compat[0] && s.calive[0]) || (is_compat[1] && s.calive[1]);
  auto pasid_hwpt = [&](const Expr& pt) {
    return (pt == bv(kFirstCompatId) && s.cpasid[0]) || (pt == bv(kFirstCompatId + 1) && s.cpasid[1]);
  };
  const Expr to_pasid_hwpt = to_compat && pasid_hwpt(op.id);
  // The op's device is bound: VFIO's device ioctls other than bind refuse an
  // unbound device fd (vfio_main.c:vfio_device_fops_unl_ioctl, access_granted).
  const Expr dev_bound = ite(op.dev == zero, s.bound[0], s.bound[1]);
  std::array<Expr, kIoas> behind{is_target[0] || is_compat[0], is_target[1] || is_compat[1]};
  auto insert_area = [&](const SymState& from, SymState& next, const Expr& failed, const SymArea& fresh,
                         const SymPagesRef& pages_obj, SlotFlags& slot_here) {
    return insert_area_into(*this, is_target, from, next, failed, fresh, pages_obj, slot_here);
  };
  SlotFlags map_here{{{no, no, no}, {no, no, no}}}, copy_here = map_here;
  SymArea copy_src{no, zero, zero, zero, zero};
  SlotFlags copy_src_slot = map_here;
  // MAP's and COPY's common parts (iopt_map_pages()): the access the flags
  // ask for (1 read | 2 write), and the checks on the IOVA range [iova, last]
  // in the target IOAS: a reserved region or beyond the aperture when it has a
  // domain, and an area already there.
  const Expr prot = ite((op.flags & bv(kRead)) != zero, bv(1), zero) | ite((op.flags & bv(kWrite)) != zero, bv(2), zero);
  // The MSI window is reserved while a device's RID is attached to a HWPT of
  // the IOAS (attach_resv: the RID only); beyond the aperture while it has a domain.
  const Expr target_rid_reserves = (is_target[0] && rid_reserves(s, 0)) || (is_target[1] && rid_reserves(s, 1));
  auto reserved_hit = [&](const Expr& iova, const Expr& last) {
    return (target_rid_reserves && intersects(iova, last, bv(kMsiStart), bv(kMsiLast))) ||
           (target_has_domain && last.ugt(bv(kApertureEnd)));
  };
  // The kernel-chosen IOVA for `len` bytes at user address `addr` in the
  // target IOAS (io_pagetable.c:iopt_alloc_iova): clear of its areas and
  // reserved ranges, inside its allowed range, aligned to the IOAS. `tag`
  // names the free IOVA of the induction form.
  auto kernel_iova = [&](const Expr& addr, const Expr& len, const std::string& tag) {
    // A concrete fixed IOVA (the agreement test's ops) needs no allocator term.
    if ((op.flags & bv(kFixed)).simplify().z3().is_numeral() && (op.flags & bv(kFixed)).simplify().as_u64())
      return AllocIova{zero, zero};
    std::vector<SymRange> busy, allowed;
    for (int k = 0; k < kSlots; k++) {
      const SymArea &a0 = s.areas[0][k], &a1 = s.areas[1][k];
      busy.push_back({ite(is_target[0], a0.valid, is_target[1] && a1.valid), ite(is_target[0], a0.iova, a1.iova),
                      ite(is_target[0], a0.last, a1.last)});
    }
    busy.push_back({target_rid_reserves, bv(kMsiStart), bv(kMsiLast)});
    busy.push_back({target_has_domain, bv(kApertureEnd + 1), bv(kU64Max)});
    const AllowedRange &l0 = s.allowed[0], &l1 = s.allowed[1];
    allowed.push_back({ite(is_target[0], l0.valid, is_target[1] && l1.valid), ite(is_target[0], l0.start, l1.start),
                       ite(is_target[0], l0.last, l1.last)});
    const Expr alignment = ite(target_has_domain, bv(kPage), bv(1));
    if (!abstract_alloc_iova) return alloc_iova(ctx, busy, allowed, addr, len, alignment);
    // Only what the invariants rest on: a range that does not wrap and is
    // clear of every area and reserved range. Weaker than
    // alloc_iova_placement() (no alignment, no allowed range), which the unit
    // test SmtAllocIova.PlacementFollowsFromTheExactEncoding proves of every
    // IOVA alloc_iova() returns: a larger superset, still sound, and cheaper.
    const Expr free_iova = Expr::bv_var(ctx, "alloc_iova_free_" + tag);
    Expr fits = len != zero && !free_iova.add_overflows(len - bv(1)) && !Expr::bool_var(ctx, "alloc_iova_fails_" + tag);
    for (const SymRange& b : busy) fits = fits && !(b.valid && intersects(free_iova, free_iova + len - bv(1), b.start, b.last));
    return AllocIova{ite(fits, zero, bv(ENOSPC)), free_iova};
  };
  auto area_hit = [&](const Expr& iova, const Expr& last) {
    Expr hit = no;
    for (int i = 0; i < kIoas; i++)
      for (int k = 0; k < kSlots; k++) {
        const SymArea& a = s.areas[i][k];
        hit = hit || (is_target[i] && a.valid && intersects(iova, last, a.iova, a.last));
      }
    return hit;
  };

  // iopt_map_pages()'s checks on the IOVA range [iova, last], MAP's and
  // COPY's alike: the caller's IOVA (io_pagetable.c:iopt_check_iova), or the
  // kernel's choice (iopt_alloc_iova), which fails on its own terms.
  const Expr fixed = (op.flags & bv(kFixed)) != zero;
  auto check_iova = [&](Checks& c, const Expr& iova, const Expr& last, const Expr& len, const Expr& align_mask,
                        const AllocIova& chosen) {
    c.add(fixed && (iova & align_mask) != zero, EINVAL, ctx);                           // iopt_map.iova_unaligned
    c.add(fixed && iova.add_overflows(len - bv(1)), EOVERFLOW, ctx);                    // iopt_map.iova_wraps
    c.add(fixed && reserved_hit(iova, last), EINVAL, ctx);                               // iopt_map.iova_reserved
    c.add(fixed && area_hit(iova, last), EEXIST, ctx);                                   // iopt_map.iova_in_use
    c.add(!fixed && chosen.err != zero, chosen.err);                                    // iopt_map.alloc_iova_*
  };

  // ---- IOMMU_IOAS_MAP ---------------------------------------------------------------
  SymState map_next = s;
  Checks map{zero, no};
  Expr map_oob = no, map_iova = zero;
  {
    const Expr& len = op.length;
    Expr va_off = op.off;
    Expr align_mask = ite(target_has_domain, page_mask, zero);  // iova_alignment 4096 with a VT-d domain, else 1
    const AllocIova chosen = kernel_iova(bv(buf_va) + va_off, len, "map");
    const Expr iova = ite(fixed, op.iova, chosen.iova);
    map_iova = iova;
    Expr last = iova + len - bv(1);
    Expr backed = !(va_off.add_overflows(len)) && (va_off + len).ule(bv(buf_len));
    map.add((op.flags & ~bv(kFixed | kWrite | kRead)) != zero, EOPNOTSUPP, ctx);       // ioas_map.flags_unsupported
    map.add(op.iova == bv(kU64Max) || len == bv(kU64Max), EOVERFLOW, ctx);               // ioas_map.u64_max_argument
    map.add(prot == zero, EINVAL, ctx);                                                  // ioas_map.no_access
    map.add(!target_alive, ENOENT, ctx);                                                 // object.ioas_not_found
    Expr va = bv(buf_va) + va_off;
    map.add(va.add_overflows(len), EOVERFLOW, ctx);                                     // ioas_map.user_va_wraps (7.2 order)
    map.add(len == zero || len.ugt(bv(kU64Max - kPage)), EINVAL, ctx);                 // ioas_map.length_zero
    map.add((len & align_mask) != zero, EINVAL, ctx);                                   // iopt_map.length_unaligned
    check_iova(map, iova, last, len, align_mask, chosen);
    map.add(((va_off & page_mask) & align_mask) != zero, EINVAL, ctx);                  // iopt_map.page_offset_unaligned
    map.add(target_has_domain && !backed, EFAULT, ctx);                                 // ioas_map.pin_failed
    if (abstract_map_guard) {
      // Free, except for the checks the pages object's span relies on: a map
      // that succeeds has a length and a VA range that does not wrap.
      map.decided = Expr::bool_var(ctx, "map_guard_free") || len == zero || va.add_overflows(len);
      map.err = ite(map.decided, bv(EINVAL), zero);
    }
    // A new pages object over exactly the mapped bytes (iopt_alloc_user_pages):
    // its last byte is the area's.
    const SymArea fresh{boolean(true), iova, last, va_off, prot};
    const Expr area_last = va_off + (last - iova);
    const SymPagesRef pages_obj{s.pages_seq + bv(1), (prot & bv(2)) != zero, va_off, area_last, area_last};
    map_next.pages_seq = ite(map.decided, s.pages_seq, s.pages_seq + bv(1));
    map_oob = !insert_area(s, map_next, map.decided, fresh, pages_obj, map_here);
  }

  // ---- IOMMU_IOAS_COPY (a range inside one source area) --------------------------------
  // ioas.c:iommufd_ioas_copy(): the source's pages through iopt_get_pages(),
  // then iopt_map_pages() into the destination, sharing the pages objects.
  SymState copy_next = s;
  Checks copy{zero, no};
  Expr copy_oob = no, copy_iova = zero;
  {
    const Expr& len = op.length;
    std::array<Expr, kIoas> is_src{op.src_id == bv(kFirstIoasId), op.src_id == bv(kFirstIoasId + 1)};
    Expr src_alive = (is_src[0] && s.alive[0]) || (is_src[1] && s.alive[1]);
    copy.add((op.flags & ~bv(kFixed | kWrite | kRead)) != zero, EOPNOTSUPP, ctx);      // ioas_copy.flags_unsupported
    copy.add(len == bv(kU64Max) || op.src_iova == bv(kU64Max) || op.iova == bv(kU64Max), EOVERFLOW, ctx);  // ioas_copy.u64_max_argument
    copy.add(prot == zero, EINVAL, ctx);                                                 // ioas_copy.no_access
    copy.add(!src_alive, ENOENT, ctx);                                                   // object.ioas_not_found
    copy.add(len == zero, EINVAL, ctx);                                                  // ioas_copy.length_zero
    copy.add(op.src_iova.add_overflows(len - bv(1)), EOVERFLOW, ctx);                    // ioas_copy.src_wraps
    // iopt_get_pages(): the area holding src_iova, and whether the range runs on
    // past its end into an area that starts right after it.
    const Expr src_last = op.src_iova + len - bv(1);
    SymArea src{no, zero, zero, zero, zero};
    SymPagesRef src_pages{zero, no, zero, zero, zero};
    for (int i = 0; i < kIoas; i++)
      for (int k = 0; k < kSlots; k++) {
        const SymArea& a = s.areas[i][k];
        Expr holds = is_src[i] && a.valid && a.iova.ule(op.src_iova) && op.src_iova.ule(a.last);
        copy_src_slot[i][k] = holds;
        src = select(a, src, holds);
        src_pages = select(s.pages_of[i][k], src_pages, holds);
      }
    copy_src = src;
    const Expr runs_on = src.valid && src_last.ugt(src.last);
    Expr next_contiguous = no;
    for (int i = 0; i < kIoas; i++)
      for (int k = 0; k < kSlots; k++) {
        const SymArea& a = s.areas[i][k];
        next_contiguous = next_contiguous || (is_src[i] && a.valid && a.iova == src.last + bv(1));
      }
    // The mutant takes the range from the first area as it is, gap or not.
    const Expr gap = mutant == Mutant::copy_accepts_partial_area ? no : runs_on && !next_contiguous;
    copy.add(!src.valid || gap, ENOENT, ctx);                                            // ioas_copy.src_not_contiguous
    const Expr second_area = !copy.decided && runs_on && next_contiguous;                // outside the fragment
    copy.add(!target_alive, ENOENT, ctx);                                                // object.ioas_not_found (dst)
    // iopt_map_pages() into the destination, as MAP: alignment, IOVA, slice.
    // A kernel-chosen IOVA follows the alignment of the first byte copied
    // (ioas.c:iommufd_ioas_copy passes the pages' address to iopt_alloc_iova).
    const Expr align_mask = ite(target_has_domain, page_mask, zero);
    const Expr slice_off = src.off + (op.src_iova - src.iova);  // buf0 offset of the first byte copied
    const AllocIova chosen = kernel_iova(bv(buf_va) + slice_off, len, "copy");
    const Expr dst_iova = ite(fixed, op.iova, chosen.iova);
    copy_iova = dst_iova;
    const Expr dst_last = dst_iova + len - bv(1);
    Expr backed = !(slice_off.add_overflows(len)) && (slice_off + len).ule(bv(buf_len));
    copy.add((len & align_mask) != zero, EINVAL, ctx);                                  // iopt_map.length_unaligned
    check_iova(copy, dst_iova, dst_last, len, align_mask, chosen);
    copy.add((prot & bv(2)) != zero && !src_pages.writable, EPERM, ctx);                // iopt_map.write_to_readonly_pages
    copy.add(((slice_off & page_mask) & align_mask) != zero, EINVAL, ctx);              // iopt_map.page_offset_unaligned
    copy.add(target_has_domain && !backed, EFAULT, ctx);                                // ioas_copy.pin_failed
    if (abstract_map_guard) {
      // Free, except for what the pages object's span relies on: a copy that
      // succeeds found its source area and a range inside it (or, for the
      // mutant, starting in it) that does not wrap.
      // (A range running on into a contiguous area either failed earlier or is
      // outside the fragment: no copy that succeeds has one.)
      copy.decided = Expr::bool_var(ctx, "copy_guard_free") || !src.valid || gap || (runs_on && next_contiguous) ||
                     len == zero || op.src_iova.add_overflows(len - bv(1));
      copy.err = ite(copy.decided, bv(EINVAL), zero);
    }
    const Expr failed = copy.decided || second_area;
    SymPagesRef dst_pages = src_pages;  // shared: the same pages object
    dst_pages.area_last = slice_off + (dst_last - dst_iova);
    const Expr placed = insert_area(s, copy_next, failed, SymArea{boolean(true), dst_iova, dst_last, slice_off, prot},
                                    dst_pages, copy_here);
    copy_oob = second_area || !placed;
  }

  // ---- IOMMU_IOAS_UNMAP ---------------------------------------------------------------
  SymState unmap_next = s;
  Checks unmap{zero, no};
  Expr unmapped = zero, sticks = no;
  const Expr unmap_all = op.iova == zero && op.length == bv(kU64Max);
  const Expr unmap_start = ite(unmap_all, zero, op.iova);
  const Expr unmap_last = ite(unmap_all, bv(kU64Max), op.iova + op.length - bv(1));
  std::array<std::array<Expr, kSlots>, kIoas> removed_by_unmap{{{no, no, no}, {no, no, no}}};
  {
    const Expr& all = unmap_all;
    const Expr& start = unmap_start;
    const Expr& last = unmap_last;
    unmap.add(!target_alive, ENOENT, ctx);                                               // object.ioas_not_found
    unmap.add(!all && (op.iova == bv(kU64Max) || op.length == bv(kU64Max)), EOVERFLOW, ctx);  // ioas_unmap.u64_max_argument
    unmap.add(!all && op.length == zero, EINVAL, ctx);                                  // ioas_unmap.length_zero
    unmap.add(!all && op.iova.add_overflows(op.length - bv(1)), EOVERFLOW, ctx);        // ioas_unmap.range_wraps
    Expr checked = !unmap.decided;
    // iopt_unmap_iova_range(): areas in IOVA order; the first that sticks out stops it.
    for (int i = 0; i < kIoas; i++) {
      std::array<Expr, kSlots> bad{no, no, no}, inside{no, no, no};
      for (int k = 0; k < kSlots; k++) {
        const SymArea& a = s.areas[i][k];
        Expr hit = checked && is_target[i] && a.valid && intersects(a.iova, a.last, start, last);
        bad[k] = hit && (a.iova.ult(start) || a.last.ugt(last));
        inside[k] = hit && !bad[k];
        sticks = sticks || bad[k];
      }
      for (int k = 0; k < kSlots; k++) {
        Expr before_bad = boolean(true);
        for (int j = 0; j < kSlots; j++) before_bad = before_bad && bad[j].implies(s.areas[i][k].iova.ult(s.areas[i][j].iova));
        Expr removed = inside[k] && before_bad;
        removed_by_unmap[i][k] = removed;
        const SymArea& a = s.areas[i][k];
        unmapped = ite(removed, unmapped + (a.last - a.iova + bv(1)), unmapped);
        unmap_next.areas[i][k].valid = a.valid && !removed;
        if (mutant != Mutant::unmap_skips_domain) {
          unmap_next.domain[i][k].valid = s.domain[i][k].valid && !removed;
          unmap_next.cdomain[i][k].valid = s.cdomain[i][k].valid && !removed;
        }
        unmap_next.npinned[i][k] = ite(removed && has_domain(s, i), s.npinned[i][k] - pages(a), s.npinned[i][k]);
      }
    }
    unmap.add(sticks, ENOENT, ctx);                                                      // ioas_unmap.area_sticks_out
    unmap.add(!all && unmapped == zero, ENOENT, ctx);                                    // ioas_unmap.nothing_mapped
  }

  // What a new domain on the IOAS behind the op's page table meets: the
  // device's MSI window against the areas (reserved at a RID attach only), and
  // what iopt_table_add_domain() checks and fills: alignment, aperture, pinning
  // every area's pages (device.cpp change_pt, hw_pagetable.cpp hwpt_paging_alloc).
  Expr resv_conflict = no, misaligned = no, outside = no, unbacked = no;
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) {
      const SymArea& a = s.areas[i][k];
      Expr in = behind[i] && a.valid;
      resv_conflict = resv_conflict || (in && intersects(a.iova, a.last, bv(kMsiStart), bv(kMsiLast)));
      misaligned = misaligned || (in && (((a.iova | (a.last - a.iova + bv(1)) | a.off) & page_mask) != zero));
      outside = outside || (in && a.last.ugt(bv(kApertureEnd)));
      unbacked = unbacked || (in && (a.off + (a.last - a.iova)).uge(bv(buf_len)));
    }
  // iopt_reserve_iova() refuses an allowed range as it refuses an area: the
  // MSI window over it, or the IOVAs beyond a new domain's aperture.
  for (int i = 0; i < kIoas; i++) {
    const AllowedRange& al = s.allowed[i];
    const Expr in = behind[i] && al.valid;
    resv_conflict = resv_conflict || (in && intersects(al.start, al.last, bv(kMsiStart), bv(kMsiLast)));
    outside = outside || (in && al.last.ugt(bv(kApertureEnd)));
  }
  const Expr is_dev_id = op.id == bv(kFirstDeviceId) || op.id == bv(kFirstDeviceId + 1);
  // The group's attachments: its RID's page table, and whether it holds PASID 1.
  const Expr group_rid = domain_ioas(s, op.dev);
  const Expr group_pasid = pasid_domain(s, op.dev);

  // ---- VFIO_DEVICE_ATTACH_IOMMUFD_PT ---------------------------------------------------
  SymState attach_next = s;
  Checks attach{zero, no};
  {
    Expr cur = ite(op.dev == zero, s.att[0], s.att[1]);
    Expr other = ite(op.dev == zero, s.att[1], s.att[0]);
    attach.add(!dev_bound, EINVAL, ctx);                                                 // vfio_device.not_bound
    attach.add(!target_alive && !is_dev_id && !to_compat, ENOENT, ctx);                 // attach.pt_not_found
    attach.add(is_dev_id, EINVAL, ctx);                                                  // attach.pt_wrong_type
    Expr same_ioas = cur == op.id;  // replace onto the page table already attached: a no-op
    // The other device made the IOAS's automatic domain already (never a
    // manual HWPT: automatic selection skips them, device.c:iommufd_device_auto_get_domain).
    Expr reuse = !to_compat && other == op.id;
    const Expr replacing = cur != zero;
    // A first attach joins the group's domain or none: the sibling attached to
    // another HWPT makes every candidate HWPT refuse (the new automatic
    // one too), before reserved regions or filling (device.c:iommufd_hw_pagetable_attach).
    Expr group_elsewhere = s.grouped && !replacing && other != zero && other != op.id;
    if (mutant == Mutant::attach_ignores_group) group_elsewhere = no;
    attach.add(group_elsewhere, EINVAL, ctx);                                            // attach.group_in_other_domain
    // Replace moves the whole group: the attached sibling goes along
    // (device.c:iommufd_device_do_replace switches the group's domain).
    Expr moves_sibling = s.grouped && replacing && other != zero;
    // The group's first RID attach checks the HWPT against the group's PASIDs:
    // while one is attached, only a PASID-compatible HWPT takes the RID
    // (device.c:iommufd_hwpt_pasid_compat:450); automatic ones never are. A
    // member joining the group's HWPT is not checked again.
    const Expr first = !(s.grouped && other != zero);
    const Expr pasid_refuses = !to_pasid_hwpt && group_pasid != zero;
    if (mutant == Mutant::attach_ignores_reserved) resv_conflict = no;
    // A new automatic domain on the target: reserve the MSI window, raise the
    // alignment, reserve beyond the aperture, pin every area (device.cpp change_pt).
    Expr fresh_domain = !to_compat && !same_ioas && !reuse;
    // A first attach reserves the device's regions before the domain joins the
    // IOAS (immediate attach); a replace adds the domain first and reserves the
    // group's regions after (device.c:iommufd_device_auto_get_domain), and only
    // when it changes IOAS (device.c:iommufd_group_do_replace_reserved_iova).
    const Expr moves_ioas = ioas_behind(cur) != ioas_behind(op.id);
    attach.add(!replacing && resv_conflict, EADDRINUSE, ctx);                           // attach.resv_region_conflict
    attach.add(!replacing && first && pasid_refuses, EINVAL, ctx);                     // attach.rid_hwpt_not_pasid_compat
    attach.add(fresh_domain && misaligned, EADDRINUSE, ctx);                             // attach.areas_misaligned
    attach.add(fresh_domain && outside, EADDRINUSE, ctx);                                // attach.aperture_conflict
    attach.add(fresh_domain && unbacked, EFAULT, ctx);                                   // attach.fill_domain_pin_failed
    attach.add(replacing && !same_ioas && moves_ioas && resv_conflict, EADDRINUSE, ctx);  // attach.resv_region_conflict
    attach.add(replacing && !same_ioas && pasid_refuses, EINVAL, ctx);                  // attach.rid_hwpt_not_pasid_compat
    Expr ok = !attach.decided;
    Expr other_after = ite(ok && moves_sibling, op.id, other);
    // Leaving the old IOAS: its automatic domain goes when the other device is
    // not (or no longer) on it. A PASID-compatible HWPT stays (it is destroyed
    // only by IOMMU_DESTROY), and while it lives the IOAS's pages stay pinned.
    for (int i = 0; i < kIoas; i++) {
      Expr id = bv(kFirstIoasId + i);
      Expr leaving = ok && !same_ioas && cur == id && other_after != id;
      Expr entering = ok && fresh_domain && is_target[i];
      for (int k = 0; k < kSlots; k++) {
        SymArea emptied = s.domain[i][k];
        emptied.valid = boolean(false);
        attach_next.domain[i][k] = select(emptied, select(s.areas[i][k], s.domain[i][k], entering), leaving);
      }
      // Filling a new domain pins each area's pages; the old domain going unpins them.
      Expr leak = no;
      if (mutant == Mutant::pin_leak_on_failure)  // the fill's pins survive a failed attach
        leak = attach.decided && fresh_domain && is_target[i] && target_alive && !resv_conflict;
      for (int k = 0; k < kSlots; k++) {
        const SymArea& a = s.areas[i][k];
        Expr n = s.npinned[i][k];
        n = ite(leaving && !s.calive[i] && a.valid, n - pages(a), n);
        n = ite(((entering && !s.calive[i]) || leak) && a.valid, n + pages(a), n);
        attach_next.npinned[i][k] = n;
      }
    }
    for (int d = 0; d < kDevices; d++)
      attach_next.att[d] = ite(op.dev == bv(d), ite(ok, op.id, s.att[d]), other_after);
  }

  // ---- VFIO_DEVICE_DETACH_IOMMUFD_PT ---------------------------------------------------
  SymState detach_next = s;
  const Expr detach_err = ite(dev_bound, zero, bv(EINVAL));                              // vfio_device.not_bound
  {
    Expr cur = ite(op.dev == zero, s.att[0], s.att[1]);
    Expr other = ite(op.dev == zero, s.att[1], s.att[0]);
    for (int i = 0; i < kIoas; i++) {
      Expr id = bv(kFirstIoasId + i);
      Expr last_one = cur == id && other != id;  // the automatic domain is destroyed with its last device
      for (int k = 0; k < kSlots; k++) {
        detach_next.domain[i][k].valid = s.domain[i][k].valid && !last_one;
        detach_next.npinned[i][k] = ite(last_one && !s.calive[i] && s.areas[i][k].valid,
                                        s.npinned[i][k] - pages(s.areas[i][k]), s.npinned[i][k]);
      }
    }
    for (int d = 0; d < kDevices; d++) detach_next.att[d] = ite(op.dev == bv(d), zero, s.att[d]);
    detach_next = select(detach_next, s, dev_bound);
  }

  // ---- VFIO_DEVICE_ATTACH_IOMMUFD_PT, flags PASID, pasid 1 -----------------------------
  // drivers/vfio/iommufd.c:vfio_iommufd_physical_pasid_attach_ioas: a PASID the
  // device holds already is replaced (iommufd_device_replace), else attached
  // (iommufd_device_attach). edu has max_pasids 0, so there is no PASID-range
  // check (iommu.c:iommu_attach_device_pasid skips such members), and a PASID
  // attach reserves no IOVA (attach_resv is for the RID only).
  SymState pattach_next = s;
  Checks pattach{zero, no};
  {
    const Expr own = ite(op.dev == zero, s.patt[0], s.patt[1]);
    const Expr other = ite(op.dev == zero, s.patt[1], s.patt[0]);
    const Expr held = own != zero;
    pattach.add(!dev_bound, EINVAL, ctx);                                               // vfio_device.not_bound
    pattach.add(!target_alive && !is_dev_id && !to_compat, ENOENT, ctx);              // attach.pt_not_found
    pattach.add(is_dev_id, EINVAL, ctx);                                                // attach.pt_wrong_type
    // An IOAS: iommufd_device_auto_get_domain. Every automatic HWPT refuses a
    // PASID with EINVAL (not pasid_compat, device.c:iommufd_hwpt_pasid_compat:460),
    // so the loop goes on to a new one, allocated with flags 0: not compatible
    // either. Attaching, it is attached at once (immediate_attach) and refused
    // before it is filled; replacing, it is filled first
    // (hw_pagetable.c:iommufd_hwpt_paging_alloc: iopt_table_add_domain) and
    // the replace refuses it after (device.c:iommufd_hwpt_replace_device). Either
    // way it is destroyed again: no state changes.
    const Expr to_ioas = !to_compat;
    pattach.add(to_ioas && held && misaligned, EADDRINUSE, ctx);                        // attach.areas_misaligned
    pattach.add(to_ioas && held && outside, EADDRINUSE, ctx);                           // attach.aperture_conflict
    pattach.add(to_ioas && held && unbacked, EFAULT, ctx);                              // attach.fill_domain_pin_failed
    pattach.add(to_ioas, EINVAL, ctx);                                                  // attach.pasid_hwpt_not_pasid_compat
    // A manual HWPT made without IOMMU_HWPT_ALLOC_PASID: a first attach at the
    // PASID finds the group elsewhere or refuses it in the compat check, a
    // replace refuses it in the compat check: EINVAL either way.
    pattach.add(!to_pasid_hwpt, EINVAL, ctx);                                           // attach.pasid_hwpt_not_pasid_compat
    // A PASID-compatible HWPT. Attaching: the group is at one HWPT per PASID
    // (device.c:iommufd_hw_pagetable_attach:632); the group's first attach at
    // the PASID checks that its RID, if attached, is in a PASID-compatible
    // HWPT too (iommufd_hwpt_pasid_compat:463). Replacing: the same HWPT is a
    // no-op (device.c:iommufd_device_do_replace:803), else the compat checks.
    const Expr rid_refuses = group_rid != zero && !pasid_hwpt(group_rid);
    const Expr first = !(s.grouped && other != zero);
    pattach.add(!held && !first && other != op.id, EINVAL, ctx);                       // attach.group_in_other_domain
    pattach.add(!held && first && rid_refuses, EINVAL, ctx);                           // attach.pasid_rid_not_pasid_compat
    pattach.add(held && own != op.id && rid_refuses, EINVAL, ctx);                     // attach.pasid_rid_not_pasid_compat
    const Expr ok = !pattach.decided;
    // A replace moves the group's attachment: a sibling holding it goes along.
    const Expr moves_sibling = ok && held && s.grouped && other != zero;
    for (int d = 0; d < kDevices; d++)
      pattach_next.patt[d] = ite(op.dev == bv(d), ite(ok, op.id, s.patt[d]), ite(moves_sibling, op.id, s.patt[d]));
  }

  // ---- VFIO_DEVICE_DETACH_IOMMUFD_PT, flags PASID, pasid 1 -----------------------------
  // Always succeeds; a PASID the device does not hold is left alone
  // (drivers/vfio/iommufd.c:vfio_iommufd_physical_pasid_detach_ioas). The last
  // holder in the group takes the PASID back to the blocked domain
  // (device.c:iommufd_hw_pagetable_detach, iommu.c:iommu_detach_device_pasid).
  SymState pdetach_next = s;
  for (int d = 0; d < kDevices; d++) pdetach_next.patt[d] = ite(op.dev == bv(d) && dev_bound, zero, s.patt[d]);

  // ---- IOMMU_HWPT_ALLOC, flags 0 or IOMMU_HWPT_ALLOC_PASID -------------------------------
  // hw_pagetable.c:iommufd_hwpt_alloc: the page table by id (any object; none
  // is EINVAL here, not ENOENT), a paging HWPT as the parent wants nesting data
  // (iommufd_hwpt_nested_alloc: EOPNOTSUPP), any other type EINVAL; then
  // iommufd_hwpt_paging_alloc without immediate attach: the domain joins the
  // IOAS (iopt_table_add_domain: alignment, aperture, filling pins the pages)
  // and the HWPT holds the IOAS. No device is attached, so no region is reserved.
  SymState halloc_next = s;
  Checks halloc{zero, no};
  Expr halloc_oob = no;
  {
    halloc.add(!target_alive && !is_dev_id && !to_compat, EINVAL, ctx);               // hwpt_alloc.pt_not_found
    halloc.add(to_compat, EOPNOTSUPP, ctx);                                             // hwpt_alloc.nested_unsupported
    halloc.add(is_dev_id, EINVAL, ctx);                                                 // hwpt_alloc.pt_wrong_type
    halloc.add(misaligned, EADDRINUSE, ctx);                                            // attach.areas_misaligned
    halloc.add(outside, EADDRINUSE, ctx);                                               // attach.aperture_conflict
    halloc.add(unbacked, EFAULT, ctx);                                                  // attach.fill_domain_pin_failed
    // A second manual HWPT on one IOAS: outside the fragment.
    halloc_oob = !halloc.decided && ((is_target[0] && s.calive[0]) || (is_target[1] && s.calive[1]));
    const Expr ok = !halloc.decided && !halloc_oob;
    for (int i = 0; i < kIoas; i++) {
      const Expr made = ok && is_target[i];
      halloc_next.calive[i] = s.calive[i] || made;
      halloc_next.cpasid[i] = ite(made, (op.flags & bv(kHwptAllocPasid)) != zero, s.cpasid[i]);
      for (int k = 0; k < kSlots; k++) {
        const SymArea& a = s.areas[i][k];
        halloc_next.cdomain[i][k] = select(a, s.cdomain[i][k], made);
        halloc_next.npinned[i][k] =
            ite(made && !has_domain(s, i) && a.valid, s.npinned[i][k] + pages(a), s.npinned[i][k]);
      }
    }
  }

  // ---- IOMMU_IOAS_ALLOC --------------------------------------------------------------------
  // ioas.c:iommufd_ioas_alloc_ioctl: a new, empty IOAS with no allowed range
  // (flags 0 here: nothing fails). The fragment puts it in the first dead slot.
  SymState ialloc_next = s;
  const Expr ialloc_oob = s.alive[0] && s.alive[1];
  for (int i = 0; i < kIoas; i++) {
    Expr earlier_free = no;
    for (int j = 0; j < i; j++) earlier_free = earlier_free || !s.alive[j];
    const Expr made = !s.alive[i] && !earlier_free;
    ialloc_next.alive[i] = s.alive[i] || made;
    ialloc_next.allowed[i].valid = s.allowed[i].valid && !made;
  }

  // ---- VFIO_DEVICE_BIND_IOMMUFD ---------------------------------------------------------
  // device_cdev.c:vfio_df_ioctl_bind_iommufd: once per device fd. The device
  // is blocked until it attaches (iommufd_device_bind claims DMA ownership).
  SymState bind_next = s;
  const Expr bind_err = ite(dev_bound, bv(EINVAL), zero);                               // vfio_bind.already_bound
  for (int d = 0; d < kDevices; d++) bind_next.bound[d] = s.bound[d] || op.dev == bv(d);

  // ---- IOMMU_IOAS_ALLOW_IOVAS -----------------------------------------------------------
  // ioas.c:iommufd_ioas_allow_iovas: the IOAS, the range (start < last), then
  // io_pagetable.c:iopt_set_allow_iova: no reserved range may lie in it. The
  // reserved ranges of an IOAS: the MSI window while a RID is attached to one
  // of its HWPTs, beyond the aperture while it has a domain.
  SymState allow_next = s;
  Checks allow{zero, no};
  {
    const Expr one = op.length == bv(1);
    const Expr &start = op.iova, &last = op.src_iova;
    allow.add(!target_alive, ENOENT, ctx);                                                // object.ioas_not_found
    allow.add(one && start.uge(last), EINVAL, ctx);                                       // ioas_allow_iovas.start_not_below_last
    Expr reserved_in = no;
    for (int i = 0; i < kIoas; i++)
      reserved_in = reserved_in || (is_target[i] && ((rid_reserves(s, i) && intersects(start, last, bv(kMsiStart), bv(kMsiLast))) ||
                                                     (has_domain(s, i) && last.ugt(bv(kApertureEnd)))));
    if (mutant == Mutant::allow_ignores_reserved) reserved_in = no;
    allow.add(one && reserved_in, EADDRINUSE, ctx);                                       // ioas_allow_iovas.reserved_overlap
    for (int i = 0; i < kIoas; i++) {
      const Expr set = !allow.decided && is_target[i];
      allow_next.allowed[i] = {ite(set, one, s.allowed[i].valid), ite(set, start, s.allowed[i].start),
                               ite(set, last, s.allowed[i].last)};
    }
  }

  // ---- IOMMU_DESTROY --------------------------------------------------------------------
  SymState destroy_next = s;
  Checks destroy{zero, no};
  {
    // An IOAS is held by its automatic HWPT (an attached device) and by its
    // PASID-compatible HWPT (hw_pagetable.c:iommufd_hwpt_paging_alloc takes a
    // reference); a PASID-compatible HWPT by every RID and PASID attached to it.
    Expr referenced = target_has_domain;
    if (mutant == Mutant::destroy_ignores_reference) referenced = no;
    Expr compat_used = no;
    for (int d = 0; d < kDevices; d++) compat_used = compat_used || s.att[d] == op.id || s.patt[d] == op.id;
    destroy.add(!target_alive && !is_dev_id && !to_compat, ENOENT, ctx);               // destroy.no_object
    destroy.add(is_dev_id || referenced || (to_compat && compat_used), EBUSY, ctx);     // destroy.object_busy
    Expr ok = !destroy.decided;
    for (int i = 0; i < kIoas; i++) {
      Expr gone = ok && is_target[i];
      Expr compat_gone = ok && is_compat[i];
      destroy_next.alive[i] = s.alive[i] && !gone;
      destroy_next.calive[i] = s.calive[i] && !compat_gone;
      for (int k = 0; k < kSlots; k++) {
        destroy_next.areas[i][k].valid = s.areas[i][k].valid && !gone;
        destroy_next.domain[i][k].valid = s.domain[i][k].valid && !gone;
        destroy_next.cdomain[i][k].valid = s.cdomain[i][k].valid && !gone && !compat_gone;
        // The HWPT's domain leaves the IOAS (iopt_table_remove_domain); the
        // last domain unpins the pages.
        destroy_next.npinned[i][k] = ite(compat_gone && !has_auto_domain(s, i) && s.areas[i][k].valid,
                                         s.npinned[i][k] - pages(s.areas[i][k]), s.npinned[i][k]);
      }
    }
  }

  // ---- choose by kind ------------------------------------------------------------------
  // (kind, next state, errno); IOMMU_DESTROY is what no other kind is.
  const std::vector<std::tuple<std::uint64_t, const SymState*, Expr>> by_kind{
      {kMap, &map_next, map.err},           {kUnmap, &unmap_next, unmap.err},
      {kAttach, &attach_next, attach.err},  {kDetach, &detach_next, detach_err},
      {kCopy, &copy_next, copy.err},        {kPasidAttach, &pattach_next, pattach.err},
      {kPasidDetach, &pdetach_next, ite(dev_bound, zero, bv(EINVAL))},  // vfio_device.not_bound
      {kHwptAlloc, &halloc_next, halloc.err}, {kIoasAlloc, &ialloc_next, zero},
      {kBind, &bind_next, bind_err},        {kAllowIovas, &allow_next, allow.err}};
  SymState next = destroy_next;
  Expr err = destroy.err;
  for (auto it = by_kind.rbegin(); it != by_kind.rend(); ++it) {
    const Expr is = op.kind == bv(std::get<0>(*it));
    next = select(*std::get<1>(*it), next, is);
    err = ite(is, std::get<2>(*it), err);
  }
  const Expr is_map = op.kind == bv(kMap), is_unmap = op.kind == bv(kUnmap), is_copy = op.kind == bv(kCopy);
  const Expr is_halloc = op.kind == bv(kHwptAlloc), is_ialloc = op.kind == bv(kIoasAlloc);
  Expr out_of_bound = (is_map && !map.decided && map_oob) || (is_copy && copy_oob) || (is_halloc && halloc_oob) ||
                      (is_ialloc && ialloc_oob);
  const Expr out_iova = ite(is_map && map.err == zero, map_iova, ite(is_copy && copy.err == zero, copy_iova, zero));
  return StepOut{next,           err,       ite(is_unmap && unmap.err == zero, unmapped, zero), out_iova, out_of_bound,
                 is_unmap && sticks, removed_by_unmap, unmap_start, unmap_last, map_here, copy_here, copy_src,
                 copy_src_slot, fixed, copy_iova};
}

namespace {
using Table = std::array<std::array<SymArea, kSlots>, kIoas>;
// The walk both translate() forms share: the page table `att` names (an
// IOAS's automatic HWPT, or a PASID-compatible HWPT), then the first entry of
// its table (the domain, or the IOAS's areas) that covers the IOVA with the right.
std::pair<Expr, Expr> walk(const Encoding& enc, const Table& auto_table, const Table& compat_table, const Expr& att,
                           const Expr& iova, const Expr& write) {
  Expr ok = enc.boolean(false), off = enc.bv(0);
  // A concrete page table (the agreement test's states) walks its own table
  // only: the same answer, a quarter of the terms.
  const Expr folded = att.simplify();
  const bool concrete = folded.z3().is_numeral();
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < kIoas; i++)
      for (int k = 0; k < kSlots; k++) {
        const std::uint64_t table_id = (c ? kFirstCompatId : kFirstIoasId) + i;
        if (concrete && folded.as_u64() != table_id) continue;
        const SymArea& e = (c ? compat_table : auto_table)[i][k];
        Expr hit = att == enc.bv(table_id) && e.valid && e.iova.ule(iova) &&
                   iova.ule(e.last) && ite(write, (e.prot & enc.bv(2)) != enc.bv(0), (e.prot & enc.bv(1)) != enc.bv(0));
        Expr byte = e.off + (iova - e.iova);
        hit = hit && byte.ult(enc.bv(enc.buf_len));  // a VA beyond buf0 reaches no buffer
        ok = ok || hit;
        off = ite(hit, byte, off);
      }
  return {ok, ite(ok, off, enc.bv(0))};
}
}  // namespace

std::pair<Expr, Expr> Encoding::translate(const SymState& s, const Expr& dev, const Expr& pasid, const Expr& iova,
                                          const Expr& write) const {
  Expr att = attached_domain(s, dev, pasid);
  // The mutant: a PASID with nothing attached borrows the RID's domain.
  if (mutant == Mutant::pasid_dma_falls_back_to_rid)
    att = ite(pasid && pasid_domain(s, dev) == bv(0), domain_ioas(s, dev), att);
  return walk(*this, s.domain, s.cdomain, att, iova, write);
}

std::pair<Expr, Expr> Encoding::translate_by_areas(const SymState& s, const Expr& dev, const Expr& pasid,
                                                   const Expr& iova, const Expr& write) const {
  return walk(*this, s.areas, s.areas, attached_domain(s, dev, pasid), iova, write);
}

}  // namespace ioconform::smt
