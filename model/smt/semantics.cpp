// The iommufd semantics for Z3; see semantics.h. Each branch follows the C++
// model's order (model/ioas.cpp, io_pagetable.cpp, device.cpp, model.cpp), which
// follows the kernel's; the comments name the spec rule of each errno.
#include "model/smt/semantics.h"

#include <cerrno>

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
  }
  return "?";
}

std::vector<Mutant> all_mutants() {
  return {Mutant::unmap_skips_domain, Mutant::pin_leak_on_failure, Mutant::destroy_ignores_reference,
          Mutant::attach_ignores_reserved, Mutant::attach_ignores_group};
}

std::optional<Mutant> mutant_from_string(const std::string& s) {
  for (Mutant m : all_mutants())
    if (s == to_string(m)) return m;
  if (s == "none") return Mutant::none;
  return std::nullopt;
}

std::vector<UnencodedMutant> unencoded_mutants() {
  return {{"copy_accepts_partial_area", "IOMMU_IOAS_COPY is not in the SMT fragment yet"},
          {"pasid_dma_falls_back_to_rid", "PASID attach is not modelled yet"}};
}

SymState Encoding::initial(const Expr& grouped) const {
  // Expr has no empty value, so the arrays are spelled out (kIoas = 2, kSlots = 3).
  static_assert(kIoas == 2 && kSlots == 3 && kDevices == 2);
  const SymArea e{boolean(false), bv(0), bv(0), bv(0), bv(0)};
  const std::array<SymArea, kSlots> row{e, e, e};
  const std::array<Expr, kSlots> zeros{bv(0), bv(0), bv(0)};
  return SymState{{boolean(true), boolean(true)}, {row, row}, {row, row}, {bv(0), bv(0)}, grouped, {zeros, zeros}};
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
    }
  }
  for (int d = 0; d < kDevices; d++) s.att[d] = Expr::bv_var(ctx, p + ".att" + std::to_string(d));
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) s.npinned[i][k] = Expr::bv_var(ctx, p + ".npinned" + std::to_string(i) + std::to_string(k));
  return s;
}

SymOp Encoding::fresh_op(const std::string& p) const {
  auto v = [&](const char* n) { return Expr::bv_var(ctx, p + "." + n); };
  return SymOp{v("kind"), v("id"), v("dev"), v("iova"), v("length"), v("off"), v("flags")};
}

Expr Encoding::op_in_domain(const SymState& s, const SymOp& op) const {
  // kind in range; fixed maps only; flags fit the u32 field; a buffer offset
  // inside buf0 (the VA is buf0's VA + off, so every scenario the solver writes
  // can be replayed on the kernel).
  Expr id_ok = op.id == bv(0) || op.id == bv(kFirstDeviceId) || op.id == bv(kFirstDeviceId + 1);
  for (int i = 0; i < kIoas; i++) id_ok = id_ok || (op.id == bv(kFirstIoasId + i) && s.alive[i]);
  return op.kind.ult(bv(kOpKinds)) && id_ok && op.dev.ult(bv(kDevices)) && ((op.flags & bv(kFixed)) == bv(kFixed)) &&
         op.flags.ult(bv(std::uint64_t{1} << 32)) && op.off.ult(bv(buf_len));
}

Expr Encoding::domain_ioas(const SymState& s, const Expr& dev) const {
  Expr own = ite(dev == bv(0), s.att[0], s.att[1]);
  Expr sibling = ite(dev == bv(0), s.att[1], s.att[0]);
  return ite(own != bv(0), own, ite(s.grouped, sibling, bv(0)));
}

Expr Encoding::has_domain(const SymState& s, int i) const {
  Expr id = bv(kFirstIoasId + i);
  Expr r = boolean(false);
  for (int d = 0; d < kDevices; d++) r = r || s.att[d] == id;
  return r;
}

Expr Encoding::total_pinned(const SymState& s) const {
  Expr sum = bv(0);
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) sum = sum + s.npinned[i][k];
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

SymState select(const SymState& a, const SymState& b, const Expr& c) {
  SymState r = b;
  for (int i = 0; i < kIoas; i++) {
    r.alive[i] = ite(c, a.alive[i], b.alive[i]);
    for (int k = 0; k < kSlots; k++) {
      r.areas[i][k] = select(a.areas[i][k], b.areas[i][k], c);
      r.domain[i][k] = select(a.domain[i][k], b.domain[i][k], c);
    }
  }
  for (int d = 0; d < kDevices; d++) r.att[d] = ite(c, a.att[d], b.att[d]);
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) r.npinned[i][k] = ite(c, a.npinned[i][k], b.npinned[i][k]);
  return r;
}

// A cascade of checks: the first failing one decides the errno.
struct Checks {
  Expr err;
  Expr decided;
  void add(const Expr& cond, int errno_value, z3::context& ctx) {
    Expr e = Expr::bv(ctx, static_cast<std::uint64_t>(errno_value));
    err = ite(!decided && cond, e, err);
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
    r = r && a.alive[i] == b.alive[i];
    for (int k = 0; k < kSlots; k++)
      r = r && same(a.areas[i][k], b.areas[i][k]) && same(a.domain[i][k], b.domain[i][k]) &&
          a.npinned[i][k] == b.npinned[i][k];
  }
  for (int d = 0; d < kDevices; d++) r = r && a.att[d] == b.att[d];
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
    for (int k = 0; k < kSlots; k++) simp(r.areas[i][k]), simp(r.domain[i][k]);
  }
  for (int d = 0; d < kDevices; d++) r.att[d] = r.att[d].simplify();
  r.grouped = r.grouped.simplify();
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) r.npinned[i][k] = r.npinned[i][k].simplify();
  return r;
}

StepOut Encoding::step(const SymState& s, const SymOp& op) const {
  const Expr zero = bv(0), page_mask = bv(kPage - 1);
  const Expr no = boolean(false);
  // Per-IOAS views of the op's target (id 1 -> slot 0, id 2 -> slot 1).
  std::array<Expr, kIoas> is_target{op.id == bv(kFirstIoasId), op.id == bv(kFirstIoasId + 1)};
  Expr target_alive = (is_target[0] && s.alive[0]) || (is_target[1] && s.alive[1]);
  Expr target_has_domain = (is_target[0] && has_domain(s, 0)) || (is_target[1] && has_domain(s, 1));

  // ---- IOMMU_IOAS_MAP (fixed IOVA) --------------------------------------------------
  SymState map_next = s;
  Checks map{zero, no};
  Expr map_oob = no;
  {
    const Expr& iova = op.iova;
    const Expr& len = op.length;
    Expr va_off = op.off;
    Expr prot = ite((op.flags & bv(kRead)) != zero, bv(1), zero) | ite((op.flags & bv(kWrite)) != zero, bv(2), zero);
    Expr align_mask = ite(target_has_domain, page_mask, zero);  // iova_alignment 4096 with a VT-d domain, else 1
    Expr last = iova + len - bv(1);
    Expr reserved_hit = target_has_domain && (intersects(iova, last, bv(kMsiStart), bv(kMsiLast)) || last.ugt(bv(kApertureEnd)));
    Expr area_hit = no;
    for (int i = 0; i < kIoas; i++)
      for (int k = 0; k < kSlots; k++) {
        const SymArea& a = s.areas[i][k];
        area_hit = area_hit || (is_target[i] && a.valid && intersects(iova, last, a.iova, a.last));
      }
    Expr backed = !(va_off.add_overflows(len)) && (va_off + len).ule(bv(buf_len));
    map.add((op.flags & ~bv(kFixed | kWrite | kRead)) != zero, EOPNOTSUPP, ctx);       // ioas_map.flags_unsupported
    map.add(iova == bv(kU64Max) || len == bv(kU64Max), EOVERFLOW, ctx);                 // ioas_map.u64_max_argument
    map.add(prot == zero, EINVAL, ctx);                                                  // ioas_map.no_access
    map.add(!target_alive, ENOENT, ctx);                                                 // object.ioas_not_found
    Expr va = bv(buf_va) + va_off;
    map.add(va.add_overflows(len), EOVERFLOW, ctx);                                     // ioas_map.user_va_wraps (7.2 order)
    map.add(len == zero || len.ugt(bv(kU64Max - kPage)), EINVAL, ctx);                 // ioas_map.length_zero
    map.add((len & align_mask) != zero, EINVAL, ctx);                                   // iopt_map.length_unaligned
    map.add((iova & align_mask) != zero, EINVAL, ctx);                                  // iopt_map.iova_unaligned
    map.add(iova.add_overflows(len - bv(1)), EOVERFLOW, ctx);                           // iopt_map.iova_wraps
    map.add(reserved_hit, EINVAL, ctx);                                                  // iopt_map.iova_reserved
    map.add(area_hit, EEXIST, ctx);                                                      // iopt_map.iova_in_use
    map.add(((va_off & page_mask) & align_mask) != zero, EINVAL, ctx);                  // iopt_map.page_offset_unaligned
    map.add(target_has_domain && !backed, EFAULT, ctx);                                 // ioas_map.pin_failed
    if (abstract_map_guard) {
      map.decided = Expr::bool_var(ctx, "map_guard_free");
      map.err = ite(map.decided, bv(EINVAL), zero);
    }
    // Insert into the first free slot of the target IOAS; fill its domain.
    SymArea fresh{boolean(true), iova, last, va_off, prot};
    Expr placed = map.decided;  // nothing is placed on failure
    for (int i = 0; i < kIoas; i++) {
      for (int k = 0; k < kSlots; k++) {
        Expr here = !placed && is_target[i] && !s.areas[i][k].valid;
        map_next.areas[i][k] = select(fresh, s.areas[i][k], here);
        map_next.domain[i][k] = select(fresh, s.domain[i][k], here && has_domain(s, i));
        map_next.npinned[i][k] = ite(here && has_domain(s, i), s.npinned[i][k] + pages(fresh), s.npinned[i][k]);
        placed = placed || here;
      }
    }
    map_oob = !placed;  // every slot of the target was full
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
        if (mutant != Mutant::unmap_skips_domain)
          unmap_next.domain[i][k].valid = s.domain[i][k].valid && !removed;
        unmap_next.npinned[i][k] = ite(removed && has_domain(s, i), s.npinned[i][k] - pages(a), s.npinned[i][k]);
      }
    }
    unmap.add(sticks, ENOENT, ctx);                                                      // ioas_unmap.area_sticks_out
    unmap.add(!all && unmapped == zero, ENOENT, ctx);                                    // ioas_unmap.nothing_mapped
  }

  // ---- VFIO_DEVICE_ATTACH_IOMMUFD_PT ---------------------------------------------------
  SymState attach_next = s;
  Checks attach{zero, no};
  {
    Expr is_dev_id = op.id == bv(kFirstDeviceId) || op.id == bv(kFirstDeviceId + 1);
    Expr cur = ite(op.dev == zero, s.att[0], s.att[1]);
    Expr other = ite(op.dev == zero, s.att[1], s.att[0]);
    attach.add(!target_alive && !is_dev_id, ENOENT, ctx);                               // attach.pt_not_found
    attach.add(is_dev_id, EINVAL, ctx);                                                  // attach.pt_wrong_type
    Expr same_ioas = cur == op.id;        // replace onto the IOAS already attached: a no-op
    Expr reuse = other == op.id;          // the other device made the automatic domain already
    // A first attach joins the group's domain or none: the sibling attached to
    // another IOAS's HWPT makes every candidate HWPT refuse (the new automatic
    // one too), before reserved regions or filling (device.c:iommufd_hw_pagetable_attach).
    Expr group_elsewhere = s.grouped && cur == zero && other != zero && other != op.id;
    if (mutant == Mutant::attach_ignores_group) group_elsewhere = no;
    attach.add(group_elsewhere, EINVAL, ctx);                                            // attach.group_in_other_domain
    // Replace moves the whole group: the attached sibling goes along
    // (device.c:iommufd_device_do_replace switches the group's domain).
    Expr moves_sibling = s.grouped && cur != zero && other != zero;
    // A new automatic domain on the target: reserve the MSI window, raise the
    // alignment, reserve beyond the aperture, pin every area (device.cpp change_pt).
    Expr resv_conflict = no, misaligned = no, outside = no, unbacked = no;
    for (int i = 0; i < kIoas; i++)
      for (int k = 0; k < kSlots; k++) {
        const SymArea& a = s.areas[i][k];
        Expr in = is_target[i] && a.valid;
        resv_conflict = resv_conflict || (in && intersects(a.iova, a.last, bv(kMsiStart), bv(kMsiLast)));
        misaligned = misaligned || (in && (((a.iova | (a.last - a.iova + bv(1)) | a.off) & page_mask) != zero));
        outside = outside || (in && a.last.ugt(bv(kApertureEnd)));
        unbacked = unbacked || (in && (a.off + (a.last - a.iova)).uge(bv(buf_len)));
      }
    if (mutant == Mutant::attach_ignores_reserved) resv_conflict = no;
    Expr fresh_domain = !same_ioas && !reuse;
    // A first attach reserves the device's regions before the domain joins the
    // IOAS (immediate attach); a replace adds the domain first and reserves the
    // group's regions after (device.c:iommufd_device_auto_get_domain).
    const Expr replacing = cur != zero;
    attach.add(fresh_domain && !replacing && resv_conflict, EADDRINUSE, ctx);            // attach.resv_region_conflict
    attach.add(fresh_domain && misaligned, EADDRINUSE, ctx);                             // attach.areas_misaligned
    attach.add(fresh_domain && outside, EADDRINUSE, ctx);                                // attach.aperture_conflict
    attach.add(fresh_domain && unbacked, EFAULT, ctx);                                   // attach.fill_domain_pin_failed
    attach.add(fresh_domain && replacing && resv_conflict, EADDRINUSE, ctx);             // attach.resv_region_conflict
    Expr ok = !attach.decided;
    Expr other_after = ite(ok && moves_sibling, op.id, other);
    // Leaving the old IOAS: its automatic domain goes when the other device is not (or no longer) on it.
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
        n = ite(leaving && a.valid, n - pages(a), n);
        n = ite((entering || leak) && a.valid, n + pages(a), n);
        attach_next.npinned[i][k] = n;
      }
    }
    for (int d = 0; d < kDevices; d++)
      attach_next.att[d] = ite(op.dev == bv(d), ite(ok, op.id, s.att[d]), other_after);
  }

  // ---- VFIO_DEVICE_DETACH_IOMMUFD_PT ---------------------------------------------------
  SymState detach_next = s;
  {
    Expr cur = ite(op.dev == zero, s.att[0], s.att[1]);
    Expr other = ite(op.dev == zero, s.att[1], s.att[0]);
    for (int i = 0; i < kIoas; i++) {
      Expr id = bv(kFirstIoasId + i);
      Expr last_one = cur == id && other != id;  // the automatic domain is destroyed with its last device
      for (int k = 0; k < kSlots; k++) {
        detach_next.domain[i][k].valid = s.domain[i][k].valid && !last_one;
        detach_next.npinned[i][k] = ite(last_one && s.areas[i][k].valid, s.npinned[i][k] - pages(s.areas[i][k]), s.npinned[i][k]);
      }
    }
    for (int d = 0; d < kDevices; d++) detach_next.att[d] = ite(op.dev == bv(d), zero, s.att[d]);
  }

  // ---- IOMMU_DESTROY --------------------------------------------------------------------
  SymState destroy_next = s;
  Checks destroy{zero, no};
  {
    Expr is_dev_id = op.id == bv(kFirstDeviceId) || op.id == bv(kFirstDeviceId + 1);
    Expr referenced = target_has_domain;  // an attached device's HWPT holds the IOAS
    if (mutant == Mutant::destroy_ignores_reference) referenced = no;
    destroy.add(!target_alive && !is_dev_id, ENOENT, ctx);                              // destroy.no_object
    destroy.add(is_dev_id || referenced, EBUSY, ctx);                                   // destroy.object_busy
    Expr ok = !destroy.decided;
    for (int i = 0; i < kIoas; i++) {
      Expr gone = ok && is_target[i];
      destroy_next.alive[i] = s.alive[i] && !gone;
      for (int k = 0; k < kSlots; k++) {
        destroy_next.areas[i][k].valid = s.areas[i][k].valid && !gone;
        destroy_next.domain[i][k].valid = s.domain[i][k].valid && !gone;
      }
    }
  }

  // ---- choose by kind ------------------------------------------------------------------
  Expr is_map = op.kind == bv(kMap), is_unmap = op.kind == bv(kUnmap), is_attach = op.kind == bv(kAttach);
  Expr is_detach = op.kind == bv(kDetach);
  SymState next = select(map_next, select(unmap_next, select(attach_next, select(detach_next, destroy_next, is_detach),
                                                             is_attach), is_unmap), is_map);
  Expr err = ite(is_map, map.err, ite(is_unmap, unmap.err, ite(is_attach, attach.err, ite(is_detach, zero, destroy.err))));
  return StepOut{next, err, ite(is_unmap && unmap.err == zero, unmapped, zero), is_map && !map.decided && map_oob,
                 is_unmap && sticks, removed_by_unmap, unmap_start, unmap_last};
}

namespace {
// The walk both translate() forms share: the device's IOAS, then the first entry
// of `table` (the domain, or the areas) that covers the IOVA with the right.
std::pair<Expr, Expr> walk(const Encoding& enc, const SymState& s,
                           const std::array<std::array<SymArea, kSlots>, kIoas>& table, const Expr& dev,
                           const Expr& iova, const Expr& write) {
  Expr att = enc.domain_ioas(s, dev);
  Expr ok = enc.boolean(false), off = enc.bv(0);
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) {
      const SymArea& e = table[i][k];
      Expr hit = att == enc.bv(kFirstIoasId + i) && e.valid && e.iova.ule(iova) && iova.ule(e.last) &&
                 ite(write, (e.prot & enc.bv(2)) != enc.bv(0), (e.prot & enc.bv(1)) != enc.bv(0));
      Expr byte = e.off + (iova - e.iova);
      hit = hit && byte.ult(enc.bv(enc.buf_len));  // a VA beyond buf0 reaches no buffer
      ok = ok || hit;
      off = ite(hit, byte, off);
    }
  return {ok, ite(ok, off, enc.bv(0))};
}
}  // namespace

std::pair<Expr, Expr> Encoding::translate(const SymState& s, const Expr& dev, const Expr& iova, const Expr& write) const {
  return walk(*this, s, s.domain, dev, iova, write);
}

std::pair<Expr, Expr> Encoding::translate_by_areas(const SymState& s, const Expr& dev, const Expr& iova,
                                                   const Expr& write) const {
  return walk(*this, s, s.areas, dev, iova, write);
}

}  // namespace ioconform::smt
