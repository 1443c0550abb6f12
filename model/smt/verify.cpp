// Bounded model checking and induction over the SMT encoding; see verify.h.
#include "model/smt/verify.h"

#include <chrono>
#include <map>
#include <sstream>

#include "model/memory.h"

namespace ioconform::smt {

namespace {

constexpr std::uint64_t kMsiStart = 0xfee00000, kMsiLast = 0xfeefffff;
constexpr std::uint64_t kApertureEnd = (std::uint64_t{1} << 39) - 1;

struct Trace {
  std::vector<SymState> states;  // states[t] before op t; states[depth] after the last
  std::vector<SymOp> ops;
  std::vector<StepOut> outs;
  std::vector<Expr> constraints_up_to;  // [t]: steps 0..t; the last entry constrains the whole trace
};

// Each step's state is a fresh set of constants tied to the step's result by
// equalities: the formula stays linear in the depth instead of nesting terms.
Trace unroll(const Encoding& enc, int depth) {
  // The initial state leaves the group topology open: one run covers both.
  // So does it whether each device is bound yet (bound in the setup, or by a later step).
  Trace tr{{enc.initial(Expr::bool_var(enc.ctx, "platform.grouped"), Expr::bool_var(enc.ctx, "platform.bound0"),
                        Expr::bool_var(enc.ctx, "platform.bound1"))},
           {},
           {},
           {}};
  Expr constraints = enc.boolean(true);
  for (int t = 0; t < depth; t++) {
    SymOp op = enc.fresh_op("op" + std::to_string(t));
    StepOut out = enc.step(tr.states[t], op);
    SymState next = enc.fresh_state("s" + std::to_string(t + 1));
    constraints = constraints && enc.op_in_domain(tr.states[t], op) && !out.out_of_bound && enc.identical(next, out.next);
    tr.constraints_up_to.push_back(constraints);
    out.next = next;
    tr.ops.push_back(op);
    tr.outs.push_back(out);
    tr.states.push_back(next);
  }
  return tr;
}

// A state property's violation in `s`; `w` names fresh witnesses (device,
// PASID 1 or none, IOVA, access).
struct Witness {
  Expr dev, pasid, iova, write;
};
Witness fresh_witness(const Encoding& enc, const std::string& p) {
  return {Expr::bv_var(enc.ctx, p + ".dev"), Expr::bool_var(enc.ctx, p + ".pasid"), Expr::bv_var(enc.ctx, p + ".iova"),
          Expr::bool_var(enc.ctx, p + ".write")};
}

// I-DMA for (device, PASID): the domain behind the device's attachment at that
// PASID (the RID's for none) translates exactly what the areas of that
// domain's IOAS map.
Expr dma_violation(const Encoding& enc, const SymState& s, const Witness& w) {
  auto [ok_d, off_d] = enc.translate(s, w.dev, w.pasid, w.iova, w.write);
  auto [ok_a, off_a] = enc.translate_by_areas(s, w.dev, w.pasid, w.iova, w.write);
  return w.dev.ult(enc.bv(kDevices)) && (ok_d != ok_a || (ok_d && off_d != off_a));
}

// I-PIN per area: each area's pages are pinned exactly while its IOAS has a
// domain (a pages object's count is the union over its areas, so it follows),
// and an area references only bytes of its pages object: what a domain maps
// is what the pages object pinned, never memory past it.
Expr pin_violation(const Encoding& enc, const SymState& s) {
  Expr bad = enc.boolean(false);
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) {
      const SymArea& a = s.areas[i][k];
      const SymPagesRef& p = s.pages_of[i][k];
      // Inside its pages object: from its first byte to its last, without wrapping.
      const Expr inside_pages = p.first.ule(a.off) && a.off.ule(p.area_last) && p.area_last.ule(p.last);
      bad = bad || s.npinned[i][k] != ite(enc.has_domain(s, i) && a.valid, enc.pages(a), enc.bv(0)) ||
            (a.valid && !inside_pages);
    }
  return bad;
}

// I-RESV: no area of an IOAS, and no IOVA range ALLOW_IOVAS allowed in it,
// intersects the reserved region (MSI window) of a device whose RID is
// attached to a HWPT of that IOAS, or lies beyond the aperture of a domain the
// IOAS has. A PASID attach reserves nothing (device.c:iommufd_hw_pagetable_attach:
// attach_resv only for IOMMU_NO_PASID).
Expr resv_violation(const Encoding& enc, const SymState& s) {
  Expr bad = enc.boolean(false);
  auto reserved_hit = [&](int i, const Expr& valid, const Expr& start, const Expr& last) {
    return valid && ((enc.rid_reserves(s, i) && start.ule(enc.bv(kMsiLast)) && enc.bv(kMsiStart).ule(last)) ||
                     (enc.has_domain(s, i) && last.ugt(enc.bv(kApertureEnd))));
  };
  for (int i = 0; i < kIoas; i++) {
    for (int k = 0; k < kSlots; k++) {
      const SymArea& a = s.areas[i][k];
      bad = bad || reserved_hit(i, a.valid, a.iova, a.last);
    }
    bad = bad || reserved_hit(i, s.allowed[i].valid, s.allowed[i].start, s.allowed[i].last);
  }
  return bad;
}

// I-LIFE: an attachment (RID or PASID) names a live page table and holds a
// bound device (the attachment holds the device object, device.c:
// iommufd_device_attach), and a manual HWPT's IOAS lives as long as the HWPT.
Expr life_violation(const Encoding& enc, const SymState& s) {
  Expr bad = enc.boolean(false);
  for (int d = 0; d < kDevices; d++)
    for (int i = 0; i < kIoas; i++) {
      const Expr compat = enc.bv(kFirstCompatId + i);
      bad = bad || (s.att[d] == enc.bv(kFirstIoasId + i) && !s.alive[i]) || (s.att[d] == compat && !s.calive[i]) ||
            (s.patt[d] == compat && !s.calive[i]);
    }
  for (int d = 0; d < kDevices; d++)
    bad = bad || ((s.att[d] != enc.bv(0) || s.patt[d] != enc.bv(0)) && !s.bound[d]);
  for (int i = 0; i < kIoas; i++) bad = bad || (s.calive[i] && !s.alive[i]);
  return bad;
}

// I-UNMAP for one step from `before` to `after`: after a successful unmap of
// [start, last] of the IOAS whose domain the device (at the PASID, or its RID)
// DMAs through, or after the device's detach (of the RID, or of the PASID),
// the device translates nothing there (at that PASID, or its RID). Restated to
// the kernel's group semantics: a detached device whose sibling keeps the
// group attached (at that PASID) still DMAs through the group's domain
// (device.c:iommufd_hw_pagetable_detach leaves the group domain to the last device).
Expr unmap_violation(const Encoding& enc, const SymState& before, const SymOp& op, const StepOut& out,
                     const SymState& after, const Witness& w) {
  Expr all = op.iova == enc.bv(0) && op.length == enc.bv(~std::uint64_t{0});
  Expr in_range = all || (op.iova.ule(w.iova) && w.iova.ule(op.iova + op.length - enc.bv(1)));
  Expr unmapped_range = op.kind == enc.bv(kUnmap) && out.err == enc.bv(0) && in_range &&
                        enc.ioas_behind(enc.attached_domain(before, w.dev, w.pasid)) == op.id;
  Expr sibling_keeps_group = after.grouped && ite(w.dev == enc.bv(0), after.att[1], after.att[0]) != enc.bv(0);
  Expr sibling_keeps_pasid = after.grouped && ite(w.dev == enc.bv(0), after.patt[1], after.patt[0]) != enc.bv(0);
  Expr detached = w.dev == op.dev && ((op.kind == enc.bv(kDetach) && !w.pasid && !sibling_keeps_group) ||
                                      (op.kind == enc.bv(kPasidDetach) && w.pasid && !sibling_keeps_pasid));
  return w.dev.ult(enc.bv(kDevices)) && (unmapped_range || detached) &&
         enc.translate(after, w.dev, w.pasid, w.iova, w.write).first;
}

// I-ATOMIC, restated to what the kernel guarantees: a failed op leaves the state
// unchanged, except IOMMU_IOAS_UNMAP failing on an area that sticks out after
// removing the areas before it (io_pagetable.c:iopt_unmap_iova_range).
Expr atomic_violation(const Encoding& enc, const Trace& tr, int t) {
  return tr.outs[t].err != enc.bv(0) && !tr.outs[t].sticks_out && !enc.equal(tr.states[t], tr.states[t + 1]);
}

// I-GROUP: the devices of one group DMA through one domain (or both are
// blocked), at the RID and at PASID 1 alike.
Expr group_violation(const Encoding& enc, const SymState& s) {
  return s.grouped && (enc.domain_ioas(s, enc.bv(0)) != enc.domain_ioas(s, enc.bv(1)) ||
                       enc.pasid_domain(s, enc.bv(0)) != enc.pasid_domain(s, enc.bv(1)));
}

// Well-formed states for induction: attachments name live IOASes, dead IOASes
// hold nothing, and a group DMAs through one domain (I-GROUP, which the other
// invariants' inductions need: a replace moves the sibling along).
// The valid areas of an IOAS do not overlap (part of well-formedness).
Expr areas_disjoint(const Encoding& enc, const SymState& s) {
  Expr wf = enc.boolean(true);
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++)
      for (int j = k + 1; j < kSlots; j++) {
        const SymArea &a = s.areas[i][k], &b = s.areas[i][j];
        wf = wf && (a.valid && b.valid).implies(a.last.ult(b.iova) || b.last.ult(a.iova));
      }
  return wf;
}

Expr well_formed(const Encoding& enc, const SymState& s) {
  Expr wf = enc.boolean(true);
  // The RID is attached to nothing, an IOAS's automatic HWPT or a manual
  // HWPT; PASID 1 only ever to a manual HWPT made PASID-compatible.
  const Expr compat0 = enc.bv(kFirstCompatId), compat1 = enc.bv(kFirstCompatId + 1);
  for (int d = 0; d < kDevices; d++)
    wf = wf && (s.att[d].ule(enc.bv(kIoas)) || s.att[d] == compat0 || s.att[d] == compat1) &&
         (s.patt[d] == enc.bv(0) || (s.patt[d] == compat0 && s.cpasid[0]) || (s.patt[d] == compat1 && s.cpasid[1]));
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) {
      const SymArea& a = s.areas[i][k];
      wf = wf && (!s.alive[i]).implies(!a.valid && !s.domain[i][k].valid && !s.cdomain[i][k].valid) &&
           a.valid.implies(a.iova.ule(a.last));
      // The area's recorded last byte is its last byte (what I-PIN reads).
      wf = wf && a.valid.implies(s.pages_of[i][k].area_last == a.off + (a.last - a.iova));
    }
  return wf && areas_disjoint(enc, s) && !life_violation(enc, s) && !group_violation(enc, s);
}

// Each domain mirrors the areas exactly while it exists (the automatic HWPT's
// while a device is attached to the IOAS, the PASID-compatible HWPT's while it
// lives): the inductive strengthening of I-DMA.
Expr domain_mirrors_areas(const Encoding& enc, const SymState& s) {
  Expr m = enc.boolean(true);
  for (int i = 0; i < kIoas; i++)
    for (int k = 0; k < kSlots; k++) {
      const SymArea& a = s.areas[i][k];
      for (int c = 0; c < 2; c++) {
        const SymArea& d = c ? s.cdomain[i][k] : s.domain[i][k];
        m = m && d.valid == (a.valid && (c ? s.calive[i] : enc.has_auto_domain(s, i))) &&
            d.valid.implies(d.iova == a.iova && d.last == a.last && d.off == a.off && d.prot == a.prot);
      }
    }
  return m;
}

// Vacuity (Alive2's rule): the fragment's constraints admit real work, a
// device attached and a map that succeeds into its domain, so a "proved" or
// "bounded" is not the emptiness of the precondition speaking.
bool vacuity_ok(const Encoding& enc, const z3::params& p) {
  Trace tr = unroll(enc, 2);
  z3::solver v(enc.ctx);
  v.set(p);
  v.add(tr.constraints_up_to.back().z3());
  v.add((tr.ops[1].kind == enc.bv(kMap) && tr.outs[1].err == enc.bv(0) &&
         (enc.has_domain(tr.states[1], 0) || enc.has_domain(tr.states[1], 1))).z3());
  return v.check() == z3::sat;
}

std::string hex(std::uint64_t v) {
  std::ostringstream o;
  o << "0x" << std::hex << v;
  return o.str();
}

std::uint64_t value(z3::model& m, const Expr& e) {
  z3::expr v = m.eval(e.z3(), true);
  std::uint64_t out = 0;
  Z3_get_numeral_uint64(v.ctx(), v, reinterpret_cast<uint64_t*>(&out));
  return out;
}

// PASID ops, or IOMMU_HWPT_ALLOC_PASID: the uAPI of 6.15 on.
bool pasid_ops_in(z3::model& m, const Trace& tr, int steps, bool with_alloc = false) {
  for (int t = 0; t < steps; t++) {
    const std::uint64_t kind = value(m, tr.ops[t].kind);
    if (kind == kPasidAttach || kind == kPasidDetach) return true;
    if (with_alloc && kind == kHwptAlloc && (value(m, tr.ops[t].flags) & kHwptAllocPasid)) return true;
  }
  return false;
}

// The $names a scenario binds to the objects the trace makes: the fragment's
// ids (IOASes 1 and 2, devices 3 and 4, manual HWPTs 5 and 6) are names, not
// the kernel's numbers, which depend on the automatic HWPTs the fragment does
// not track. An op's id as the scenario writes it: its $name, or the number
// (0, or an id the trace never made).
struct Names {
  std::map<std::uint64_t, std::string> name;
  nlohmann::json ref(std::uint64_t id) const {
    auto it = name.find(id);
    return it == name.end() ? nlohmann::json(id) : nlohmann::json(it->second);
  }
  // The output of the op at step `t` that makes object `id`: its name, bound when it succeeds.
  std::string made(const std::string& kind, int t, std::uint64_t id, bool ok) {
    const std::string n = "$" + kind + (t < 0 ? std::to_string(id) : std::to_string(t));
    if (ok) name[id] = n;
    return n;
  }
};

// The IOAS slot IOMMU_IOAS_ALLOC fills in `before`: the first dead one.
std::uint64_t allocated_ioas(z3::model& m, const SymState& before) {
  for (int i = 0; i < kIoas; i++)
    if (!m.eval(before.alive[i].z3(), true).is_true()) return kFirstIoasId + i;
  return 0;
}

// IOMMU_IOAS_ALLOW_IOVAS at one step: no range, or [iova, src_iova].
nlohmann::json allow_step(z3::model& m, const SymOp& op, const Names& names) {
  nlohmann::json ranges = nlohmann::json::array();
  if (value(m, op.length) == 1)
    ranges.push_back({{"start", hex(value(m, op.iova))}, {"last", hex(value(m, op.src_iova))}});
  return {{"op", "IOMMU_IOAS_ALLOW_IOVAS"}, {"args", {{"ioas_id", names.ref(value(m, op.id))}, {"ranges", ranges}}}};
}

// IOMMU_HWPT_ALLOC's flags as a scenario names them.
nlohmann::json hwpt_alloc_flags(z3::model& m, const SymOp& op) {
  return (value(m, op.flags) & kHwptAllocPasid) ? nlohmann::json::array({"PASID"}) : nlohmann::json(0);
}

// Whether a counterexample is about PASID: a PASID op in its steps, or a probe at PASID 1.
bool involves_pasid(z3::model& m, const Trace& tr, int steps, const Witness* w) {
  return pasid_ops_in(m, tr, steps) || (w && m.eval(w->pasid.z3(), true).is_true());
}

// The CONFIG_IOMMUFD_TEST mock is where the kernel lets PASID attachments be
// observed (IOMMU_TEST_OP_PASID_CHECK_HWPT; edu issues no PASID-tagged DMA).
// The mock IOMMU's domains differ from VT-d's: aperture [2^24, 2^31 - 1],
// 2048-byte pages, no reserved regions, and every mock device is alone in its
// IOMMU group (model/platform.h Platform::mock()). These constraints keep a
// trace inside what both platforms answer alike: devices in groups of their
// own, ids naming no device, and every MAP/COPY range inside the mock aperture
// (so also clear of VT-d's MSI window) and 4096-aligned (so both alignments
// agree), with a copy's source 4096-aligned too.
Expr mock_replayable(const Encoding& enc, const Trace& tr, int steps) {
  constexpr std::uint64_t kMockFirst = std::uint64_t{1} << 24, kMockLast = (std::uint64_t{1} << 31) - 1;
  const Expr page = enc.bv(4095), zero = enc.bv(0);
  // Mock devices are made bound (no VFIO bind), and the mock aperture
  // reserves other IOVAs than VT-d's, which ALLOW_IOVAS would see.
  Expr ok = !tr.states[0].grouped && tr.states[0].bound[0] && tr.states[0].bound[1];
  for (int t = 0; t < steps; t++) {
    const SymOp& op = tr.ops[t];
    ok = ok && op.kind != enc.bv(kBind) && op.kind != enc.bv(kAllowIovas);
    auto not_device = [&](const Expr& id) { return id != enc.bv(kFirstDeviceId) && id != enc.bv(kFirstDeviceId + 1); };
    ok = ok && not_device(op.id) && not_device(op.src_id);
    const Expr inserts = op.kind == enc.bv(kMap) || op.kind == enc.bv(kCopy);
    // The mock IOMMU reserves below its aperture: a kernel-chosen IOVA differs there.
    ok = ok && inserts.implies((op.flags & enc.bv(1)) == enc.bv(1));
    const Expr in_aperture = op.length != zero && op.iova.uge(enc.bv(kMockFirst)) && op.length.ule(enc.bv(kMockLast)) &&
                             (op.iova + op.length - enc.bv(1)).ule(enc.bv(kMockLast)) &&
                             (op.iova + op.length - enc.bv(1)).uge(op.iova);
    const Expr aligned = (op.iova & page) == zero && (op.length & page) == zero && (op.off & page) == zero &&
                         (op.kind != enc.bv(kCopy) || (op.src_iova & page) == zero);
    ok = ok && inserts.implies(in_aperture && aligned);
  }
  return ok;
}

// A PASID counterexample on mock devices (requires iommufd_test, kernel >=
// 6.15): each fragment device the trace names becomes a mock device with
// MOCK_FLAGS_DEVICE_PASID, created on IOAS 1 while that is still empty and
// detached at once (PASID_DETACH 0 is the mock's RID detach), so it starts
// bound and blocked as the fragment's edus do. Then a RID attach is
// PASID_ATTACH 0 (or MOCK_DOMAIN_REPLACE while the RID is attached, as VFIO
// replaces), a RID detach PASID_DETACH 0, a PASID attach PASID_ATTACH 1 (or
// PASID_REPLACE when the device holds it, as VFIO replaces), a PASID detach
// PASID_DETACH 1. The probe becomes PASID_CHECK_HWPT: at PASID 1, against
// nothing and against the RID's HWPT (a PASID never falls back to it); at the
// RID, against the RID's HWPT. PASIDs still attached are detached last (a mock
// destroyed with a PASID attached WARNs, iommufd_selftest_destroy).
// The step of an op on IOAS mappings (MAP, UNMAP, COPY), the same in the
// VFIO and the mock form of a counterexample.
nlohmann::json ioas_step(z3::model& m, const SymOp& op, const Names& names) {
  const std::uint64_t kind = value(m, op.kind);
  const nlohmann::json idv = names.ref(value(m, op.id));
  if (kind == kMap)
    return {{"op", "IOMMU_IOAS_MAP"},
            {"args", {{"ioas_id", idv}, {"user_va", "buf0+" + hex(value(m, op.off))}, {"length", hex(value(m, op.length))},
                      {"iova", hex(value(m, op.iova))}, {"flags", value(m, op.flags)}}}};
  if (kind == kUnmap)
    return {{"op", "IOMMU_IOAS_UNMAP"},
            {"args", {{"ioas_id", idv}, {"iova", hex(value(m, op.iova))}, {"length", hex(value(m, op.length))}}}};
  return {{"op", "IOMMU_IOAS_COPY"},
          {"args", {{"dst_ioas_id", idv}, {"src_ioas_id", names.ref(value(m, op.src_id))}, {"length", hex(value(m, op.length))},
                    {"dst_iova", hex(value(m, op.iova))}, {"src_iova", hex(value(m, op.src_iova))},
                    {"flags", value(m, op.flags)}}}};
}

nlohmann::json mock_counterexample_scenario(const std::string& id, z3::model& m, const Trace& tr, int steps,
                                            const Witness* w, const Mutant mutant) {
  nlohmann::json out = nlohmann::json::array();
  Names names;
  for (int i = 0; i < kIoas; i++)
    out.push_back({{"op", "IOMMU_IOAS_ALLOC"}, {"out", {{"out_ioas_id", names.made("ioas", -1, kFirstIoasId + i, true)}}}});
  std::array<std::string, kDevices> stdev, rid_hwpt;  // $names: the mock device, its RID's current HWPT
  std::array<bool, kDevices> used{false, false};  // devices the trace names
  for (int t = 0; t < steps; t++) {
    const std::uint64_t kind = value(m, tr.ops[t].kind);
    if (kind == kAttach || kind == kDetach || kind == kPasidAttach || kind == kPasidDetach || kind == kHwptAlloc)
      used[value(m, tr.ops[t].dev) & 1] = true;
  }
  if (w) used[value(m, w->dev) & 1] = true;
  for (int d = 0; d < kDevices; d++) {
    if (!used[d]) continue;
    const std::string n = std::to_string(d);
    stdev[d] = "$stdev" + n;
    out.push_back({{"op", "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS"},
                   {"args", {{"id", names.ref(kFirstIoasId)}, {"dev_flags", {"PASID"}}}},
                   {"out", {{"out_stdev_id", stdev[d]}, {"out_hwpt_id", "$setup_hwpt" + n}, {"out_idev_id", "$idev" + n}}}});
    names.name[kFirstDeviceId + d] = "$idev" + n;
    out.push_back({{"op", "IOMMU_TEST_OP_PASID_DETACH"}, {"args", {{"id", stdev[d]}, {"pasid", 0}}}});
  }
  std::array<std::string, kDevices> pasid_hwpt;  // $name of the HWPT each device holds PASID 1 on
  for (int t = 0; t < steps; t++) {
    const SymOp& op = tr.ops[t];
    const SymState& before = tr.states[t];
    const std::uint64_t kind = value(m, op.kind), idv = value(m, op.id), dev = value(m, op.dev) & 1;
    const bool ok = value(m, tr.outs[t].err) == 0;
    const std::string bound = "$pt" + std::to_string(t);
    const nlohmann::json pt = names.ref(idv);
    switch (kind) {
      case kMap:
      case kUnmap:
      case kCopy:
        out.push_back(ioas_step(m, op, names));
        break;
      case kIoasAlloc:
        out.push_back({{"op", "IOMMU_IOAS_ALLOC"}, {"out", {{"out_ioas_id", names.made("ioas", t, allocated_ioas(m, before), true)}}}});
        break;
      case kAttach: {
        const bool attached = value(m, before.att[dev]) != 0;
        nlohmann::json step = attached ? nlohmann::json{{"op", "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE"},
                                                        {"args", {{"id", stdev[dev]}, {"pt_id", pt}}}}
                                       : nlohmann::json{{"op", "IOMMU_TEST_OP_PASID_ATTACH"},
                                                        {"args", {{"id", stdev[dev]}, {"pasid", 0}, {"pt_id", pt}}}};
        step["out"] = {{"pt_id", bound}};
        if (ok) rid_hwpt[dev] = bound;
        out.push_back(step);
        break;
      }
      case kDetach:
        out.push_back({{"op", "IOMMU_TEST_OP_PASID_DETACH"}, {"args", {{"id", stdev[dev]}, {"pasid", 0}}}});
        rid_hwpt[dev].clear();
        break;
      case kPasidAttach: {
        const bool held = value(m, before.patt[dev]) != 0;
        out.push_back({{"op", held ? "IOMMU_TEST_OP_PASID_REPLACE" : "IOMMU_TEST_OP_PASID_ATTACH"},
                       {"args", {{"id", stdev[dev]}, {"pasid", kPasid}, {"pt_id", pt}}},
                       {"out", {{"pt_id", bound}}}});
        if (ok) pasid_hwpt[dev] = bound;
        break;
      }
      case kPasidDetach:
        out.push_back({{"op", "IOMMU_TEST_OP_PASID_DETACH"}, {"args", {{"id", stdev[dev]}, {"pasid", kPasid}}}});
        pasid_hwpt[dev].clear();
        break;
      case kHwptAlloc: {
        const std::string n = names.made("hwpt", t, kFirstCompatId + (idv - kFirstIoasId), ok);
        out.push_back({{"op", "IOMMU_HWPT_ALLOC"},
                       {"args", {{"dev_id", "$idev" + std::to_string(dev)}, {"pt_id", pt}, {"flags", hwpt_alloc_flags(m, op)}}},
                       {"out", {{"out_hwpt_id", n}}}});
        break;
      }
      default:
        out.push_back({{"op", "IOMMU_DESTROY"}, {"args", {{"id", pt}}}});
    }
  }
  std::string probe;
  if (w) {
    const std::uint64_t dev = value(m, w->dev) & 1;
    const bool pasid = m.eval(w->pasid.z3(), true).is_true();
    const std::uint64_t at = pasid ? kPasid : 0;
    // What the domain at (device, PASID) is: nothing or the HWPT attached
    // there, and (when the RID is in one) whether it is the RID's HWPT: a
    // PASID never falls back to it.
    const std::string& own = pasid ? pasid_hwpt[dev] : rid_hwpt[dev];
    out.push_back({{"op", "IOMMU_TEST_OP_PASID_CHECK_HWPT"},
                   {"args", {{"id", stdev[dev]}, {"pasid", at}, {"hwpt_id", own.empty() ? nlohmann::json(0) : nlohmann::json(own)}}}});
    if (pasid && !rid_hwpt[dev].empty() && rid_hwpt[dev] != own)
      out.push_back({{"op", "IOMMU_TEST_OP_PASID_CHECK_HWPT"},
                     {"args", {{"id", stdev[dev]}, {"pasid", at}, {"hwpt_id", rid_hwpt[dev]}}}});
    probe = std::string(" The probe: ") + (pasid ? "PASID 1" : "the RID") + " of mock device " + std::to_string(dev) +
            " at IOVA " + hex(value(m, w->iova)) + (m.eval(w->write.z3(), true).is_true() ? " (write)" : " (read)") +
            ", observed as the domain IOMMU_TEST_OP_PASID_CHECK_HWPT reports there.";
  }
  for (int d = 0; d < kDevices; d++)
    if (value(m, tr.states[steps].patt[d]) != 0)
      out.push_back({{"op", "IOMMU_TEST_OP_PASID_DETACH"}, {"args", {{"id", stdev[d]}, {"pasid", kPasid}}}});
  std::string name = "verify_" + id.substr(2) + (mutant == Mutant::none ? "" : std::string("_") + to_string(mutant));
  for (auto& c : name) c = c == '-' ? '_' : static_cast<char>(std::tolower(c));
  return {{"name", name},
          {"description", "Counterexample to " + id + " found by ioconform verify" +
                              (mutant == Mutant::none ? "" : std::string(" with mutant ") + to_string(mutant)) +
                              ", on CONFIG_IOMMUFD_TEST mock devices (each created on IOAS 1 and detached, so it "
                              "starts bound and blocked); replay on the model and the kernel unchanged." + probe},
          {"kernel", ">=6.15"},
          {"requires", {"iommufd_test"}},
          {"setup", {{"buffers", {{{"name", "buf0"}, {"pages", buffer0().len / 4096}, {"kind", "anon"}, {"align", 65536}}}}}},
          {"steps", out}};
}

nlohmann::json counterexample_scenario(const std::string& id, z3::model& m, const Trace& tr, int steps,
                                       const Witness* w, const Mutant mutant) {
  const char* devs[] = {"dev0", "dev1"};
  nlohmann::json out = nlohmann::json::array();
  Names names;
  for (int i = 0; i < kIoas; i++)
    out.push_back({{"op", "IOMMU_IOAS_ALLOC"}, {"out", {{"out_ioas_id", names.made("ioas", -1, kFirstIoasId + i, true)}}}});
  // The devices the trace starts with bound are bound in the setup.
  for (int d = 0; d < kDevices; d++)
    if (m.eval(tr.states[0].bound[d].z3(), true).is_true())
      out.push_back({{"op", "VFIO_DEVICE_BIND_IOMMUFD"},
                     {"args", {{"dev", devs[d]}}},
                     {"out", {{"out_devid", names.made("devid", -1, kFirstDeviceId + d, true)}}}});
  for (int t = 0; t < steps; t++) {
    const SymOp& op = tr.ops[t];
    const std::uint64_t kind = value(m, op.kind), idv = value(m, op.id), dev = value(m, op.dev) & 1;
    const bool ok = value(m, tr.outs[t].err) == 0;
    const nlohmann::json pt = names.ref(idv);
    switch (kind) {
      case kMap:
      case kUnmap:
      case kCopy:
        out.push_back(ioas_step(m, op, names));
        break;
      case kIoasAlloc:
        out.push_back({{"op", "IOMMU_IOAS_ALLOC"},
                       {"out", {{"out_ioas_id", names.made("ioas", t, allocated_ioas(m, tr.states[t]), true)}}}});
        break;
      case kBind: {
        nlohmann::json step{{"op", "VFIO_DEVICE_BIND_IOMMUFD"}, {"args", {{"dev", devs[dev]}}}};
        if (ok) step["out"] = {{"out_devid", names.made("devid", t, kFirstDeviceId + dev, true)}};
        out.push_back(step);
        break;
      }
      case kAllowIovas:
        out.push_back(allow_step(m, op, names));
        break;
      case kAttach:
        out.push_back({{"op", "VFIO_DEVICE_ATTACH_IOMMUFD_PT"}, {"args", {{"dev", devs[dev]}, {"pt_id", pt}}}});
        break;
      case kDetach:
        out.push_back({{"op", "VFIO_DEVICE_DETACH_IOMMUFD_PT"}, {"args", {{"dev", devs[dev]}}}});
        break;
      case kPasidAttach:
        out.push_back({{"op", "VFIO_DEVICE_ATTACH_IOMMUFD_PT"},
                       {"args", {{"dev", devs[dev]}, {"pt_id", pt}, {"flags", {"PASID"}}, {"pasid", kPasid}}}});
        break;
      case kHwptAlloc: {
        const std::string n = names.made("hwpt", t, kFirstCompatId + (idv - kFirstIoasId), ok);
        out.push_back({{"op", "IOMMU_HWPT_ALLOC"},
                       {"args", {{"dev_id", names.ref(kFirstDeviceId + dev)}, {"pt_id", pt}, {"flags", hwpt_alloc_flags(m, op)}}},
                       {"out", {{"out_hwpt_id", n}}}});
        break;
      }
      case kPasidDetach:
        out.push_back({{"op", "VFIO_DEVICE_DETACH_IOMMUFD_PT"},
                       {"args", {{"dev", devs[dev]}, {"flags", {"PASID"}}, {"pasid", kPasid}}}});
        break;
      default:
        out.push_back({{"op", "IOMMU_DESTROY"}, {"args", {{"id", pt}}}});
    }
  }
  // edu issues no PASID-tagged DMA: a PASID witness has no probe here (the
  // mock form, mock_counterexample_scenario, observes it instead).
  const bool pasid_probe = w && m.eval(w->pasid.z3(), true).is_true();
  if (w && !pasid_probe) {
    const bool write = m.eval(w->write.z3(), true).is_true();
    out.push_back({{"op", write ? "DMA_WRITE" : "DMA_READ"},
                   {"args", {{"dev", devs[value(m, w->dev) & 1]}, {"iova", hex(value(m, w->iova))}, {"length", 8}}}});
  }
  // The platform bit: both devices in one IOMMU group, or each in its own.
  nlohmann::json devices = nlohmann::json::array();
  const bool grouped = m.eval(tr.states[0].grouped.z3(), true).is_true();
  for (const char* d : devs) {
    devices.push_back({{"name", d}, {"kind", "edu"}});
    if (grouped) devices.back()["group"] = "g0";
  }
  std::string name = "verify_" + id.substr(2) + (mutant == Mutant::none ? "" : std::string("_") + to_string(mutant));
  for (auto& c : name) c = c == '-' ? '_' : static_cast<char>(std::tolower(c));
  return {{"name", name},
          {"description", "Counterexample to " + id + " found by ioconform verify" +
                              (mutant == Mutant::none ? "" : std::string(" with mutant ") + to_string(mutant)) +
                              "; replay on the model and the kernel unchanged." +
                              (pasid_probe ? " The violation is at PASID 1 of " + std::string(devs[value(m, w->dev) & 1]) +
                                                 ", IOVA " + hex(value(m, w->iova)) +
                                                 ", which an edu device cannot probe: no mock form was found."
                                           : "")},
          {"kernel", pasid_ops_in(m, tr, steps, true) ? ">=6.15" : ">=6.12"},
          {"setup", {{"buffers", {{{"name", "buf0"}, {"pages", buffer0().len / 4096}, {"kind", "anon"}, {"align", 65536}}}},
                     {"devices", devices}}},
          {"steps", out}};
}

}  // namespace

Buffer0 buffer0() {
  static const Buffer0 b = [] {
    model::UserMemory m;
    const auto& buf = m.add("buf0", 16, false, 65536);
    return Buffer0{buf.va, buf.length()};
  }();
  return b;
}

std::vector<std::string> encoded_invariants() { return {"I-DMA", "I-UNMAP", "I-PIN", "I-RESV", "I-LIFE", "I-ATOMIC", "I-GROUP"}; }

nlohmann::json to_json(const InvariantResult& r) {
  nlohmann::json j = {{"invariant", r.id}, {"verdict", r.verdict}, {"induction", r.induction},
                      {"vacuity_ok", r.vacuity_ok}, {"depth", r.depth}, {"seconds", r.seconds}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (!r.counterexample.is_null()) j["counterexample"] = r.counterexample;
  for (const auto& q : r.queries) j["queries"].push_back({{"what", q.what}, {"answer", q.answer}, {"seconds", q.seconds}});
  return j;
}

static z3::check_result timed_check(z3::solver& s, const std::string& what, InvariantResult& r) {
  const auto start = std::chrono::steady_clock::now();
  const z3::check_result res = s.check();
  const char* answer = res == z3::unsat ? "unsat" : res == z3::sat ? "sat" : "unknown";
  r.queries.push_back({what, answer, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()});
  return res;
}

// Terms a case's condition pins, with their values. Substituting them in a
// query's formula is sound: in every model of the condition those terms have
// those values. The solver then works on the folded formula.
using Pinned = std::vector<std::pair<Expr, Expr>>;

static Expr fold(const Expr& e, const Pinned& pinned) {
  if (pinned.empty()) return e;
  z3::expr_vector from(e.ctx()), to(e.ctx());
  for (const auto& [term, value] : pinned) from.push_back(term.z3()), to.push_back(value.z3());
  z3::expr unfolded = e.z3();
  return Expr(unfolded.substitute(from, to)).simplify();
}

// A case of an induction query: its condition and the terms it pins.
struct InductionCase {
  Expr cond;
  Pinned fixed;
  // False for a case that disjoint areas alone exclude (every goal assumes
  // well-formedness, which includes them): its query is then that and the
  // condition, without the goal.
  bool needs_goal = true;
};

// The cases of an UNMAP: its id names no IOAS, or it names IOAS i and removes
// exactly the set S of i's areas (every S, the empty one included; none of the
// other IOAS's). Each case pins the removal flags, which fold the kernel's
// byte sum.
static std::vector<InductionCase> unmap_cases_by_removed_set(const Encoding& enc, const SymOp& op, const StepOut& out) {
  std::vector<InductionCase> cases;
  Expr names_an_ioas = enc.boolean(false);
  for (int i = 0; i < kIoas; i++) {
    Expr target = op.id == enc.bv(kFirstIoasId + i);
    names_an_ioas = names_an_ioas || target;
    Expr others_kept = enc.boolean(true);
    Pinned others_fixed;
    for (int j = 0; j < kIoas; j++)
      for (int k = 0; k < kSlots && j != i; k++) {
        others_kept = others_kept && !out.unmap_removed[j][k];
        others_fixed.push_back({out.unmap_removed[j][k], enc.boolean(false)});
      }
    cases.push_back({target && !others_kept, {}});  // another IOAS loses an area: never (is_target gates removal)
    for (unsigned set = 0; set < (1u << kSlots); set++) {
      Expr c = target && others_kept;
      auto fixed = others_fixed;
      for (int k = 0; k < kSlots; k++) {
        const bool removed = (set >> k) & 1;
        c = c && (out.unmap_removed[i][k] == enc.boolean(removed));
        fixed.push_back({out.unmap_removed[i][k], enc.boolean(removed)});
      }
      cases.push_back({c, fixed});
    }
  }
  cases.push_back({!names_an_ioas, {}});
  return cases;
}

// The cases of an op that inserts an area (MAP, COPY): which slot receives it,
// or none; each pins the branch's slot flags, so the state's per-slot selects
// fold to the new area or the old one. The flags exclude each other by
// construction; the last case (two or more set) keeps the split exhaustive
// without relying on that, and is refuted unfolded.
static std::vector<InductionCase> insertion_cases(const Encoding& enc, const SlotFlags& inserted) {
  std::vector<InductionCase> cases;
  for (int n = -1; n < kIoas * kSlots; n++) {  // n == -1: no slot
    Expr c = enc.boolean(true);
    Pinned fixed;
    for (int i = 0; i < kIoas; i++)
      for (int k = 0; k < kSlots; k++) {
        const bool here = i * kSlots + k == n;
        c = c && inserted[i][k] == enc.boolean(here);
        fixed.push_back({inserted[i][k], enc.boolean(here)});
      }
    cases.push_back({c, fixed});
  }
  Expr two_or_more = enc.boolean(false);
  for (int n = 0; n < kIoas * kSlots; n++)
    for (int m = n + 1; m < kIoas * kSlots; m++)
      two_or_more = two_or_more || (inserted[n / kSlots][n % kSlots] && inserted[m / kSlots][m % kSlots]);
  cases.push_back({two_or_more, {}});
  return cases;
}

// MAP's and COPY's cases again, split by whether the caller fixed the IOVA
// (which pins the branch's flag term: the IOVA folds to the caller's or to
// the kernel's).
static std::vector<InductionCase> split_by_fixed_iova(const Encoding& enc, const std::vector<InductionCase>& cases,
                                                      const Expr& fixed_iova) {
  std::vector<InductionCase> out;
  for (const auto& c : cases) {
    if (!c.needs_goal) {
      out.push_back(c);
      continue;
    }
    for (bool fixed : {true, false}) {
      InductionCase split = c;
      split.cond = c.cond && fixed_iova == enc.boolean(fixed);
      split.fixed.push_back({fixed_iova, enc.boolean(fixed)});
      out.push_back(split);
    }
  }
  return out;
}

// The byte-sum lemma. iopt_unmap_iova_range() fails an unmap that removed
// nothing by testing its byte sum (`if (!unmapped) rc = -ENOENT`,
// io_pagetable.c), so "an unmap that removed all three areas of an IOAS
// succeeded" needs: three pairwise disjoint non-empty intervals inside a range
// shorter than 2^64 have a byte sum that is not 0 mod 2^64. Bit-blasted, the
// solver does not find this within 60 s, whether split by IOVA order or given
// two-interval steps. Over the integers it is linear: byte_sum_lemma_holds()
// proves it there, once, and each UNMAP query assumes its instance for each
// IOAS's areas. Sound: the bit-vector instance is an instance of the integer
// theorem, since bvule is ≤ on naturals below 2^64 and bvadd/bvsub are + and -
// mod 2^64 (so the bit-vector sum is 0 iff the integer sum is a multiple of 2^64).
static bool byte_sum_lemma_holds(z3::context& ctx, const z3::params& p, InvariantResult& r) {
  z3::solver s(ctx);
  s.set(p);
  const z3::expr two64 = ctx.int_val("18446744073709551616");
  auto u64 = [&](const std::string& name) {
    z3::expr v = ctx.int_const(name.c_str());
    s.add(v >= 0 && v < two64);
    return v;
  };
  const z3::expr start = u64("lemma.start"), last = u64("lemma.last");
  s.add(start <= last && last - start != two64 - 1);
  std::vector<z3::expr> iova, end;
  z3::expr sum = ctx.int_val(0);
  for (int k = 0; k < kSlots; k++) {
    iova.push_back(u64("lemma.iova" + std::to_string(k)));
    end.push_back(u64("lemma.last" + std::to_string(k)));
    s.add(iova[k] <= end[k] && start <= iova[k] && end[k] <= last);
    sum = sum + (end[k] - iova[k] + 1);
  }
  for (int k = 0; k < kSlots; k++)
    for (int j = k + 1; j < kSlots; j++) s.add(end[k] < iova[j] || end[j] < iova[k]);
  s.add(sum == ctx.int_const("lemma.q") * two64);  // the sum is 0 mod 2^64
  return timed_check(s, "lemma over the integers: three disjoint areas inside a range shorter than 2^64 have a "
                        "byte sum that is not 0 mod 2^64", r) == z3::unsat;
}

// The lemma's instance for IOAS i's areas and the range the UNMAP walks (the
// step's own terms), its sum built as Encoding::step builds the byte sum, so
// the two fold to one term.
static Expr byte_sum_instance(const Encoding& enc, const SymState& s, const StepOut& out, int i) {
  const Expr& start = out.unmap_start;
  const Expr& last = out.unmap_last;
  Expr premise = start.ule(last) && (last - start) != enc.bv(~std::uint64_t{0});
  Expr sum = enc.bv(0);
  for (int k = 0; k < kSlots; k++) {
    const SymArea& a = s.areas[i][k];
    premise = premise && a.iova.ule(a.last) && start.ule(a.iova) && a.last.ule(last);
    for (int j = k + 1; j < kSlots; j++) premise = premise && (a.last.ult(s.areas[i][j].iova) || s.areas[i][j].last.ult(a.iova));
    sum = sum + (a.last - a.iova + enc.bv(1));
  }
  return premise.implies(sum != enc.bv(0));
}

// The copy-span lemma: a range [x, x + len - 1] inside a source area [I, L]
// whose bytes start at buffer offset o (and do not wrap) is copied to bytes
// that lie inside the area's: slice o + (x - I), last byte slice + ((d + len -
// 1) - d) for the destination IOVA d, both within [o, o + (L - I)]. Inside a
// COPY query the solver does not find this chain of no-wrap comparisons within
// 60 s. Each COPY query of I-PIN assumes its instance for the step's own
// source area and arguments: an instance of a valid formula, so sound.
struct CopySpanTerms {
  Expr o, iova, last, x, len, d;
};
static Expr copy_span_claim(const CopySpanTerms& t) {
  const Expr one = Expr::bv(t.o.ctx(), 1);
  const Expr area_end = t.o + (t.last - t.iova);
  const Expr slice = t.o + (t.x - t.iova);
  const Expr slice_last = slice + ((t.d + t.len - one) - t.d);
  const Expr premise = t.o.ule(area_end) && t.iova.ule(t.x) && t.x.ule(t.last) && t.len != Expr::bv(t.o.ctx(), 0) &&
                       !t.x.add_overflows(t.len - one) && (t.x + t.len - one).ule(t.last);
  return premise.implies(t.o.ule(slice) && slice.ule(slice_last) && slice_last.ule(area_end));
}
// Bit-blasted, even alone, the lemma does not prove within 60 s (comparisons
// of sums are hard for SAT). So it is proved over the integers, with every
// bit-vector operation of copy_span_claim() written out exactly: each result
// is the integer in [0, 2^64) that a + b - k*2^64 (or a - b + k*2^64) gives
// for some k in {0, 1}, which is bvadd/bvsub; bvule is <= on those naturals.
// The query is linear.
static bool copy_span_lemma_holds(z3::context& ctx, const z3::params& p, InvariantResult& r) {
  z3::solver s(ctx);
  s.set(p);
  const z3::expr two64 = ctx.int_val("18446744073709551616");
  int fresh = 0;
  auto u64 = [&](const std::string& name) {
    z3::expr v = ctx.int_const(("copy_lemma." + name).c_str());
    s.add(v >= 0 && v < two64);
    return v;
  };
  auto wrap = [&]() {
    z3::expr k = ctx.int_const(("copy_lemma.k" + std::to_string(fresh++)).c_str());
    s.add(k == 0 || k == 1);
    return k;
  };
  auto add = [&](const z3::expr& a, const z3::expr& b) {
    z3::expr r = u64("add" + std::to_string(fresh));
    s.add(r == a + b - wrap() * two64);
    return r;
  };
  auto sub = [&](const z3::expr& a, const z3::expr& b) {
    z3::expr r = u64("sub" + std::to_string(fresh));
    s.add(r == a - b + wrap() * two64);
    return r;
  };
  const z3::expr o = u64("o"), iova = u64("iova"), last = u64("last"), x = u64("x"), len = u64("len"), d = u64("d");
  const z3::expr one = ctx.int_val(1);
  // The terms of copy_span_claim(), operation by operation.
  const z3::expr area_end = add(o, sub(last, iova));
  const z3::expr slice = add(o, sub(x, iova));
  const z3::expr slice_last = add(slice, sub(sub(add(d, len), one), d));
  const z3::expr len_1 = sub(len, one);
  const z3::expr x_no_wrap = !(add(x, len_1) < x);  // !x.add_overflows(len - 1)
  const z3::expr x_last = sub(add(x, len), one);
  s.add(o <= area_end && iova <= x && x <= last && len != 0 && x_no_wrap && x_last <= last);
  s.add(!(o <= slice && slice <= slice_last && slice_last <= area_end));
  return timed_check(s, "lemma over the integers: a copied range inside its source area copies bytes inside the "
                        "area's bytes", r) == z3::unsat;
}

// Inv ∧ WF ∧ step ⇒ Inv' over a fully symbolic state, one query per op kind;
// plus the vacuity check on a short trace from the initial state.
InvariantResult prove_by_induction(const std::string& id, const VerifyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  InvariantResult r;
  r.id = id;
  r.depth = 0;
  r.verdict = "unknown";
  auto done = [&]() -> InvariantResult {
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  };
  z3::context ctx;
  const Buffer0 b = buffer0();
  Encoding enc{ctx, b.va, b.len, options.mutant};
  z3::params p(ctx);
  p.set("timeout", options.timeout_ms);
  r.vacuity_ok = vacuity_ok(enc, p);  // on the exact semantics, before any abstraction
  // Kernel-chosen IOVAs by their placement, not the lowest hole: a superset of
  // the transitions (see semantics.h), for every query below.
  enc.abstract_alloc_iova = true;
  r.reason = "kernel-chosen IOVAs by their placement for induction";
  // --- induction: Inv(s) ∧ WF(s) ∧ step ⇒ Inv(s') over a fully symbolic state
  // Every induction below assumes the state is well formed; that is only sound
  // because well-formedness is itself inductive (with no abstraction of the
  // guards; kernel-chosen IOVAs by their placement, a superset of the
  // transitions) and holds in the initial state.
  {
    SymState ws = enc.fresh_state("wf");
    SymOp wop = enc.fresh_op("wfop");
    StepOut wout = enc.step(ws, wop);
    const Expr wf_goal = well_formed(enc, ws) && enc.op_in_domain(ws, wop) && !wout.out_of_bound &&
                         !well_formed(enc, wout.next);
    for (std::uint64_t kind = 0; kind < kOpKinds; kind++) {
      std::vector<InductionCase> cases{{enc.boolean(true), {}}};
      if (kind == kMap) cases = split_by_fixed_iova(enc, insertion_cases(enc, wout.map_inserted), wout.fixed_iova);
      if (kind == kCopy) cases = split_by_fixed_iova(enc, insertion_cases(enc, wout.copy_inserted), wout.fixed_iova);
      for (std::size_t c = 0; c < cases.size(); c++) {
        z3::solver wf(ctx);
        wf.set(p);
        wf.add((fold(wf_goal, cases[c].fixed) && wop.kind == enc.bv(kind) && cases[c].cond).z3());
        const std::string where = "op kind " + std::to_string(kind) + (cases.size() > 1 ? " case " + std::to_string(c) : "");
        const z3::check_result res = timed_check(wf, "well-formedness preserved by " + where, r);
        if (res != z3::unsat) {
          r.induction = res == z3::sat ? "failed" : "unknown";
          r.reason = "well-formedness is not inductive for " + where + (res == z3::sat ? "" : " (" + wf.reason_unknown() + ")");
          return done();
        }
      }
    }
    z3::solver init(ctx);
    init.set(p);
    init.add((!well_formed(enc, enc.initial(Expr::bool_var(ctx, "init.grouped"), Expr::bool_var(ctx, "init.bound0"),
                                            Expr::bool_var(ctx, "init.bound1"))))
                 .z3());
    if (timed_check(init, "well-formedness of the initial state", r) != z3::unsat) {
      r.induction = "failed";
      r.reason = "the initial state is not well formed";
      return done();
    }
  }
  // I-DMA and I-PIN do not depend on why a map failed: abstract its guard (sound, see semantics.h).
  enc.abstract_map_guard = id == "I-DMA" || id == "I-PIN";
  if (enc.abstract_map_guard) r.reason += std::string(r.reason.empty() ? "" : "; ") + "MAP's guard abstracted for induction";
  enc.abstract_page_count = id == "I-PIN";
  if (enc.abstract_page_count) r.reason += "; page count abstracted (uninterpreted) for induction";
  SymState s0 = enc.fresh_state("ind");
  SymOp op = enc.fresh_op("indop");
  StepOut out = enc.step(s0, op);
  Expr pre = well_formed(enc, s0) && enc.op_in_domain(s0, op) && !out.out_of_bound;
  Witness w = fresh_witness(enc, "indw");
  Expr goal_failure = enc.boolean(false);
  // The base case of a state invariant: it holds in the initial state. (I-UNMAP
  // and I-ATOMIC are properties of one step, with no base case; I-UNMAP's
  // assumption, the mirror, is I-DMA's invariant.)
  const SymState init = enc.initial(Expr::bool_var(ctx, "init.grouped"), Expr::bool_var(ctx, "init.bound0"),
                                    Expr::bool_var(ctx, "init.bound1"));
  Expr base_violation = enc.boolean(false);
  bool inductive_form = true;
  if (id == "I-DMA") {
    // Strengthened: the domain mirrors the areas; the mirror implies I-DMA.
    goal_failure = domain_mirrors_areas(enc, s0) && pre && !domain_mirrors_areas(enc, out.next);
    base_violation = !domain_mirrors_areas(enc, init);
    // The mirror implies I-DMA in any well-formed state. One query per probing
    // device and PASID (none or 1), the IOAS whose domain it DMAs through (or
    // none) and the set of that IOAS's valid areas; each case substitutes what
    // it pins (the attachment, the validity bits, and through the mirror the
    // domain entries' fields), so the two walks fold to the same terms. As one
    // query it took 54 s; split by device and IOAS only, 6-20 s each.
    for (int d = 0; d < kDevices * 2; d++) {  // d / 2: the device; d % 2: with PASID 1
      // t < kIoas: IOAS t's automatic HWPT; t < 2 kIoas: IOAS t - kIoas's
      // PASID-compatible HWPT; t == 2 kIoas: attached to nothing.
      for (int t = 0; t <= 2 * kIoas; t++) {
        const int i = t % kIoas;
        const bool compat = t >= kIoas && t < 2 * kIoas, attached = t < 2 * kIoas;
        for (unsigned set = 0; set < (attached ? (1u << kSlots) : 1u); set++) {
          const Expr att = enc.bv(!attached ? 0 : compat ? kFirstCompatId + i : kFirstIoasId + i);
          const Expr domain = enc.attached_domain(s0, w.dev, w.pasid);  // the walks' own term
          const Expr pasid = enc.boolean(d % 2);
          Expr cond = w.dev == enc.bv(d / 2) && w.pasid == pasid && domain == att;
          Pinned pinned;
          auto fix = [&](const Expr& term, const Expr& value) { pinned.push_back({term, value}); };
          fix(domain, att);
          fix(w.dev, enc.bv(d / 2));
          fix(w.pasid, pasid);
          for (int k = 0; k < kSlots && attached; k++) {
            const SymArea &ar = s0.areas[i][k], &dm = compat ? s0.cdomain[i][k] : s0.domain[i][k];
            const Expr valid = enc.boolean((set >> k) & 1);
            cond = cond && ar.valid == valid;
            fix(ar.valid, valid);
            fix(dm.valid, valid);  // the mirror, with the page table attached (so it exists: WF)
            if ((set >> k) & 1) fix(dm.iova, ar.iova), fix(dm.last, ar.last), fix(dm.off, ar.off), fix(dm.prot, ar.prot);
          }
          Expr claim = domain_mirrors_areas(enc, s0) && well_formed(enc, s0) && dma_violation(enc, s0, w);
          z3::solver implied(ctx);
          implied.set(p);
          implied.add((cond && fold(claim, pinned)).z3());
          std::string what = "mirror implies I-DMA, device " + std::to_string(d / 2) + (d % 2 ? " PASID 1" : "") +
                             (attached ? std::string(compat ? ", on the PASID-compatible HWPT of IOAS " : ", on IOAS ") +
                                             std::to_string(kFirstIoasId + i) + ", valid areas " + std::to_string(set)
                                       : ", blocked (no domain)");
          const z3::check_result ir = timed_check(implied, what, r);
          if (ir != z3::unsat) {
            r.induction = ir == z3::sat ? "failed" : "unknown";
            r.reason += "; the mirror does not imply I-DMA (" + what + ": " +
                        std::string(ir == z3::sat ? "counterexample" : implied.reason_unknown()) + ")";
            return done();
          }
        }
      }
    }
    r.reason += std::string(r.reason.empty() ? "" : "; ") +
                "induction on the strengthened invariant: the domain mirrors the areas of IOASes with a domain";
  } else if (id == "I-PIN") {
    goal_failure = !pin_violation(enc, s0) && pre && pin_violation(enc, out.next);
    base_violation = pin_violation(enc, init);
  } else if (id == "I-RESV") {
    goal_failure = !resv_violation(enc, s0) && pre && resv_violation(enc, out.next);
    base_violation = resv_violation(enc, init);
  } else if (id == "I-GROUP") {
    goal_failure = !group_violation(enc, s0) && pre && group_violation(enc, out.next);
    base_violation = group_violation(enc, init);
  } else if (id == "I-LIFE") {
    goal_failure = pre && life_violation(enc, out.next);
    base_violation = life_violation(enc, init);
  } else if (id == "I-UNMAP") {
    goal_failure = domain_mirrors_areas(enc, s0) && pre && unmap_violation(enc, s0, op, out, out.next, w);
    r.reason += "; induction assuming the domain mirrors the areas (proved under I-DMA)";
  } else if (id == "I-ATOMIC") {
    goal_failure = pre && out.err != enc.bv(0) && !out.sticks_out && !enc.equal(s0, out.next);
  } else {
    inductive_form = false;
  }
  if (!inductive_form) {
    r.induction = "not_tried";
    return done();
  }
  {
    z3::solver base(ctx);
    base.set(p);
    base.add(base_violation.z3());
    if (timed_check(base, "invariant holds in the initial state", r) != z3::unsat) {
      r.induction = "failed";
      r.reason += (r.reason.empty() ? "" : "; ") + std::string("the initial state violates it");
      return done();
    }
  }
  // One query per op kind: with the kind fixed the other branches fold away.
  // Some kinds are split further into cases that together cover every value:
  // I-ATOMIC's UNMAP by the set of areas removed. Every query runs even after
  // one is unknown, so the answer names all the parts that did not go through.
  r.induction = "proved";
  std::vector<std::string> unknown_parts;
  Expr unmap_lemmas = enc.boolean(true);
  if (id == "I-ATOMIC") {
    if (!byte_sum_lemma_holds(ctx, p, r)) {
      r.induction = "unknown";
      r.reason += (r.reason.empty() ? "" : "; ") + std::string("the byte-sum lemma did not prove over the integers");
      return done();
    }
    for (int i = 0; i < kIoas; i++) unmap_lemmas = unmap_lemmas && byte_sum_instance(enc, s0, out, i);
  }
  Expr copy_lemmas = enc.boolean(true);
  if (id == "I-PIN") {
    if (!copy_span_lemma_holds(ctx, p, r)) {
      r.induction = "unknown";
      r.reason += (r.reason.empty() ? "" : "; ") + std::string("the copy-span lemma did not prove");
      return done();
    }
    const SymArea& src = out.copy_src;
    copy_lemmas = copy_span_claim({src.off, src.iova, src.last, op.src_iova, op.length, out.copy_dst});
  }
  for (std::uint64_t kind = 0; kind < kOpKinds && r.induction != "failed"; kind++) {
    std::vector<InductionCase> cases{{enc.boolean(true), {}}};
    if (id == "I-ATOMIC" && kind == kUnmap) cases = unmap_cases_by_removed_set(enc, op, out);
    if (kind == kCopy) cases = insertion_cases(enc, out.copy_inserted);
    // I-PIN's COPY cases need the source area's own fields, not the select
    // over the slots: split each again by the slot the source is in. Every
    // source-slot condition is a different slot's, so they exclude each other
    // unless two valid areas overlap, which well-formedness rules out; the
    // case with two or more set (refuted unfolded) keeps the split exhaustive.
    if (id == "I-PIN" && kind == kCopy) {
      std::vector<InductionCase> by_source;
      const auto sources = insertion_cases(enc, out.copy_src_slot);
      for (std::size_t j = 0; j < sources.size(); j++) {
        const auto& src = sources[j];
        if (j + 1 == sources.size()) {
          // Two source slots hold src_iova: two overlapping areas, which WF
          // excludes. One query per pair of slots, the smallest formulas.
          const SlotFlags& holds = out.copy_src_slot;
          for (int n = 0; n < kIoas * kSlots; n++)
            for (int m = n + 1; m < kIoas * kSlots; m++)
              by_source.push_back({holds[n / kSlots][n % kSlots] && holds[m / kSlots][m % kSlots], {}, false});
          continue;
        }
        for (const auto& dst : cases) {
          Pinned both = dst.fixed;
          both.insert(both.end(), src.fixed.begin(), src.fixed.end());
          by_source.push_back({dst.cond && src.cond, both});
        }
      }
      cases = by_source;
    }
    if (kind == kMap || (kind == kCopy && id != "I-PIN")) cases = split_by_fixed_iova(enc, cases, out.fixed_iova);
    for (std::size_t c = 0; c < cases.size() && r.induction != "failed"; c++) {
      z3::solver ind(ctx);
      ind.set(p);
      Expr lemmas = kind == kUnmap ? fold(unmap_lemmas, cases[c].fixed)
                    : kind == kCopy ? fold(copy_lemmas, cases[c].fixed)
                                    : enc.boolean(true);
      const Expr goal = cases[c].needs_goal ? fold(goal_failure, cases[c].fixed) : areas_disjoint(enc, s0);
      ind.add((goal && (cases[c].needs_goal ? lemmas : enc.boolean(true)) && op.kind == enc.bv(kind) && cases[c].cond).z3());
      const std::string where = "op kind " + std::to_string(kind) + (cases.size() > 1 ? " case " + std::to_string(c) : "");
      const z3::check_result ires = timed_check(ind, "step " + where, r);
      if (ires == z3::sat) {
        r.induction = "failed";
        r.reason += (r.reason.empty() ? "" : "; ") + std::string("induction fails for ") + where;
      } else if (ires == z3::unknown) {
        r.induction = "unknown";
        unknown_parts.push_back(where + " (" + ind.reason_unknown() + ")");
      }
    }
  }
  if (!unknown_parts.empty()) {
    std::string list;
    for (const auto& part : unknown_parts) list += (list.empty() ? "" : ", ") + part;
    r.reason += (r.reason.empty() ? "" : "; ") + std::string("induction unknown for ") + list;
  }
  if (r.induction == "proved" && r.vacuity_ok) r.verdict = "proved";
  return done();
}


InvariantResult verify_invariant(const std::string& id, const VerifyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  InvariantResult r;
  r.id = id;
  r.depth = options.depth;
  r.induction = "not_tried";  // until induction says otherwise
  auto done = [&]() -> InvariantResult {
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  };
  z3::context ctx;
  // Induction first: an inductive invariant holds at every depth. The bounded
  // search runs when induction does not go through, and always for a mutant,
  // whose counterexample must be a reachable sequence.
  bool vacuity_checked = false;
  if (options.induction && options.mutant == Mutant::none) {
    InvariantResult ind = prove_by_induction(id, options);
    if (ind.verdict == "proved") return ind;
    r.induction = ind.induction;
    r.reason = ind.reason;
    r.vacuity_ok = ind.vacuity_ok;
    r.queries = ind.queries;
    vacuity_checked = true;
  }
  const Buffer0 b = buffer0();
  Encoding enc{ctx, b.va, b.len, options.mutant};
  z3::params p(ctx);
  p.set("timeout", options.timeout_ms);

  // --- bounded model checking from the initial state
  Trace tr = unroll(enc, options.depth);
  std::vector<Expr> violation_at;  // per step index t: the property fails at/after step t
  std::vector<Witness> witnesses;
  for (int t = 0; t < options.depth; t++) {
    const SymState& after = tr.states[t + 1];
    Witness w = fresh_witness(enc, "w" + std::to_string(t));
    witnesses.push_back(w);
    if (id == "I-DMA") violation_at.push_back(!domain_mirrors_areas(enc, after));
    else if (id == "I-PIN") violation_at.push_back(pin_violation(enc, after));
    else if (id == "I-RESV") violation_at.push_back(resv_violation(enc, after));
    else if (id == "I-LIFE") violation_at.push_back(life_violation(enc, after));
    else if (id == "I-UNMAP") violation_at.push_back(unmap_violation(enc, tr.states[t], tr.ops[t], tr.outs[t], after, w));
    else if (id == "I-GROUP") violation_at.push_back(group_violation(enc, after));
    else if (id == "I-ATOMIC") violation_at.push_back(atomic_violation(enc, tr, t));
    else {
      r.verdict = "unknown";
      r.reason = "no such invariant";
      return done();
    }
  }
  if (!vacuity_checked) r.vacuity_ok = vacuity_ok(enc, p);
  // Depth by depth: the shortest counterexample comes first, and a timeout still
  // says how deep the bound holds. One solver per depth, never pushed: Z3 then
  // preprocesses the whole query (solving the equalities that tie each step's
  // fresh state to its terms, and rewriting the arithmetic) before bit-blasting;
  // after a push it falls back to its incremental core, which sees through
  // none of that (I-PIN at depth 1 took 58 s incrementally).
  for (int t = 0; t < options.depth; t++) {
    z3::solver s(ctx);
    s.set(p);
    s.add(tr.constraints_up_to[t].z3());
    Expr bad = violation_at[t];
    if (id == "I-DMA") {
      // The mirror fails here, or (it holds and) the device still sees something else:
      // the witness makes the scenario's probe.
      bad = bad || dma_violation(enc, tr.states[t + 1], witnesses[t]);
    }
    s.add(bad.z3());
    const z3::check_result res = s.check();
    if (res == z3::sat) {
      z3::model m = s.get_model();
      const bool needs_probe = id == "I-DMA" || id == "I-UNMAP";
      if (id == "I-DMA" && !m.eval(dma_violation(enc, tr.states[t + 1], witnesses[t]).z3(), true).is_true()) {
        // A mirror failure the model did not witness with a probe: ask for one.
        z3::solver s2(ctx);
        s2.set(p);
        s2.add(tr.constraints_up_to[t].z3());
        s2.add(dma_violation(enc, tr.states[t + 1], witnesses[t]).z3());
        if (s2.check() == z3::sat) m = s2.get_model();
      }
      const Witness* w = needs_probe ? &witnesses[t] : nullptr;
      bool mock = false;
      if (involves_pasid(m, tr, t + 1, w)) {
        // A PASID counterexample is observable on the mock only: ask for one
        // that behaves there as on the fragment's edus.
        z3::solver s3(ctx);
        s3.set(p);
        s3.add(tr.constraints_up_to[t].z3());
        s3.add((id == "I-DMA" ? dma_violation(enc, tr.states[t + 1], witnesses[t]) : bad).z3());
        s3.add(mock_replayable(enc, tr, t + 1).z3());
        if (s3.check() == z3::sat) {
          m = s3.get_model();
          mock = involves_pasid(m, tr, t + 1, w);
        }
      }
      r.verdict = "counterexample";
      r.depth = t + 1;
      r.counterexample = mock ? mock_counterexample_scenario(id, m, tr, t + 1, w, options.mutant)
                              : counterexample_scenario(id, m, tr, t + 1, w, options.mutant);
      return done();
    }
    if (res == z3::unknown) {
      r.verdict = "unknown";
      r.depth = t;
      r.reason += std::string(r.reason.empty() ? "" : "; ") + "bounded check at depth " + std::to_string(t + 1) + ": " +
                  s.reason_unknown() + " (holds to depth " + std::to_string(t) + ")";
      return done();
    }
  }
  r.verdict = r.vacuity_ok ? "bounded" : "unknown";
  if (!r.vacuity_ok) r.reason = "vacuity check failed: no sequence maps into a domain under the constraints";
  return done();
}

}  // namespace ioconform::smt
