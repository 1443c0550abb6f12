// The iommufd semantics for Z3: the same transitions as the C++ model, over a
// bounded symbolic state, with symbolic arguments.
//
// Bounds (the fragment the proofs cover): two IOAS slots (ids 1 and 2), two
// edu devices (ids 3 and 4, behind VT-d, either each in its own IOMMU group or
// both in one: a symbolic platform bit), three area slots per IOAS, one
// allowed IOVA range per IOAS, one user buffer ("buf0"). Ops:
// - IOMMU_IOAS_ALLOC into a dead IOAS slot (both alive: outside the fragment);
// - VFIO_DEVICE_BIND_IOMMUFD (a device starts bound or not: symbolic; there is
//   no unbind, which is closing the device fd);
// - IOMMU_IOAS_MAP; IOMMU_IOAS_COPY of a range inside one source area (a range
//   running on into a second, contiguous area is outside the fragment);
//   IOMMU_IOAS_UNMAP;
// - IOMMU_IOAS_ALLOW_IOVAS with no range or one range;
// - VFIO attach (to an IOAS: automatic HWPT, reuse, replace; or to a manual
//   HWPT), detach;
// - IOMMU_HWPT_ALLOC on an IOAS, with flags 0 or IOMMU_HWPT_ALLOC_PASID (at
//   most one manual HWPT per IOAS: a second is outside the fragment);
// - IOMMU_DESTROY (of an IOAS, a manual HWPT or a device);
// - VFIO PASID attach/detach of one fixed non-zero PASID (1) per device
//   (VFIO_DEVICE_ATTACH_IOMMUFD_PT / DETACH with the PASID flag).
// Automatic HWPTs are never PASID-compatible
// (device.c:iommufd_device_auto_get_domain allocates with flags 0), so a PASID
// attaches only to a manual one made with IOMMU_HWPT_ALLOC_PASID
// (device.c:iommufd_hwpt_pasid_compat). MAP and COPY take a fixed IOVA or let
// the kernel choose one (io_pagetable.c:iopt_alloc_iova, model/smt/alloc_iova.h).
// Not in the fragment yet: several allowed ranges, other PASID values.
//
// Ids: IOASes 1 and 2, devices 3 and 4, the manual HWPT of IOAS 1 (2) is 5
// (6). The kernel hands an object the lowest free id of its one table, which
// depends on the automatic HWPTs the fragment does not track, so these ids are
// the fragment's names: a scenario binds the real id (out_ioas_id, out_devid,
// out_hwpt_id) to a $name and the agreement test maps them.
//
// DMA is asked per (device, PASID): a PASID-tagged request goes through the
// group's domain at that PASID, else it is blocked; it never falls back to the
// RID's domain (iommu.c:iommu_remove_dev_pasid installs the blocked domain;
// uAPI vfio.h: "the device or the pasid should be in a blocking DMA state").
//
// The domain (the IOMMU page table the hardware walks) is state of its own,
// filled and unfilled by the ops as iopt_area_fill_domains()/unfill do, so a
// stale translation is expressible and I-DMA is a real theorem about it.
// Errnos are the Linux values; each branch names the spec rule it stands for in
// a comment so the agreement test and a reader can match them to model/.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "model/smt/expr.h"

namespace ioconform::smt {

constexpr int kIoas = 2, kDevices = 2, kSlots = 3;
constexpr std::uint64_t kFirstIoasId = 1, kFirstDeviceId = 3, kFirstCompatId = 5;

// Seeded bugs for the mutation self-test (`ioconform verify --mutant NAME`).
enum class Mutant {
  none,
  unmap_skips_domain,         // unmap leaves the translation in the domain (stale IOTLB)
  pin_leak_on_failure,        // a failed attach keeps the pins it took while filling the domain
  destroy_ignores_reference,  // IOMMU_DESTROY of an IOAS ignores the attached device's reference
  attach_ignores_reserved,    // attach does not reserve/check the device's MSI window
  attach_ignores_group,       // attach puts a device in another domain than its group's
  copy_accepts_partial_area,  // copy accepts a source range running past the end of its area
  pasid_dma_falls_back_to_rid,  // PASID DMA with nothing attached at the PASID uses the RID's domain
  allow_ignores_reserved,       // IOMMU_IOAS_ALLOW_IOVAS allows a range over a reserved region
};
const char* to_string(Mutant m);
std::optional<Mutant> mutant_from_string(const std::string& s);
std::vector<Mutant> all_mutants();

// Mutants from the issue that need ops or features outside the fragment.
struct UnencodedMutant {
  const char* name;
  const char* why;
};
std::vector<UnencodedMutant> unencoded_mutants();

struct AllowedRange {
  Expr valid, start, last;
};

struct SymArea {
  Expr valid, iova, last, off, prot;  // off: buffer offset of iova's byte; prot: 1 read | 2 write
};

// The pages object (struct iopt_pages) an area maps, as the area sees it. MAP
// makes a new one over exactly the bytes it maps; COPY shares the source
// area's. `first`/`last` are its bytes as buf0 offsets: an area may only
// reference bytes of its pages object (pages.c reads them by index).
struct SymPagesRef {
  Expr id;        // distinct per pages object: areas sharing one pin a page once
  Expr writable;  // Bool: made by a map with IOMMU_IOAS_MAP_WRITEABLE
  Expr first, last;
  // The buf0 offset of the area's own last byte, off + (last - iova), kept as
  // state: I-PIN compares it with `last` without redoing that sum after every
  // step (well-formedness proves it stays equal to the sum).
  Expr area_last;
};

struct SymState {
  std::array<Expr, kIoas> alive;
  std::array<std::array<SymArea, kSlots>, kIoas> areas;
  std::array<std::array<SymArea, kSlots>, kIoas> domain;  // what the IOMMU translates (the automatic HWPT's domain)
  // 0, or what the device itself attached its RID to: an IOAS id (that IOAS's
  // automatic HWPT) or a manual HWPT's id.
  std::array<Expr, kDevices> att;
  // The two devices share one IOMMU group (both behind one PCI bridge). Fixed
  // for a run: the platform, not the ops, decides it. The group is attached as
  // a whole: a device whose sibling is attached DMAs through the sibling's
  // domain even when it never attached itself (device.c:iommufd_hw_pagetable_attach).
  Expr grouped;
  // Pages pinned by each area's pages object, as the kernel counts them
  // (iopt_pages->npinned, updated incrementally by fill/unfill); the process's
  // total is their sum.
  std::array<std::array<Expr, kSlots>, kIoas> npinned;
  std::array<std::array<SymPagesRef, kSlots>, kIoas> pages_of;  // each area slot's pages object
  Expr pages_seq;  // the last pages-object id handed out (ids only need to be distinct)
  // The device is bound to the iommufd (VFIO_DEVICE_BIND_IOMMUFD): only then
  // do its attach/detach ioctls work and does its id name an object.
  std::array<Expr, kDevices> bound;
  // PASID 1: 0, or the page table the device itself attached PASID 1 to (VFIO's
  // per-device ida of PASIDs, vdev->pasids). As for the RID, the attachment
  // belongs to the group (igroup->pasid_attach[1]): a grouped sibling's PASID-1
  // DMA goes through it too (iommu.c:__iommu_set_group_pasid sets every member).
  std::array<Expr, kDevices> patt;
  // Per IOAS: its manual HWPT (IOMMU_HWPT_ALLOC) exists, whether it was made
  // with IOMMU_HWPT_ALLOC_PASID (PASID-compatible), and that HWPT's own domain,
  // filled from the IOAS's areas like an automatic one.
  std::array<Expr, kIoas> calive, cpasid;
  std::array<std::array<SymArea, kSlots>, kIoas> cdomain;
  // Per IOAS: the allowed IOVA range IOMMU_IOAS_ALLOW_IOVAS set (none when not
  // valid). Fixed IOVAs ignore it; reserving a region over it fails
  // (io_pagetable.c:iopt_reserve_iova), and so does allowing over a reserved one.
  std::array<AllowedRange, kIoas> allowed;
};

// kPasidAttach / kPasidDetach: VFIO_DEVICE_ATTACH_IOMMUFD_PT / DETACH with
// flags VFIO_DEVICE_ATTACH_PASID (resp. DETACH_PASID) and pasid 1 (op.dev, op.id = pt_id).
// kHwptAlloc: IOMMU_HWPT_ALLOC dev_id = op.dev's device, pt_id = op.id, flags
// op.flags & IOMMU_HWPT_ALLOC_PASID.
// kIoasAlloc: IOMMU_IOAS_ALLOC (no argument; the first dead slot).
// kBind: VFIO_DEVICE_BIND_IOMMUFD on op.dev.
// kAllowIovas: IOMMU_IOAS_ALLOW_IOVAS ioas_id = op.id, num_iovas = op.length
// (0 or 1), the range [op.iova, op.src_iova].
enum OpKind : std::uint64_t {
  kMap = 0, kUnmap = 1, kAttach = 2, kDetach = 3, kDestroy = 4, kCopy = 5, kPasidAttach = 6, kPasidDetach = 7,
  kHwptAlloc = 8, kIoasAlloc = 9, kBind = 10, kAllowIovas = 11, kOpKinds = 12
};
constexpr std::uint64_t kHwptAllocPasid = 8;  // IOMMU_HWPT_ALLOC_PASID
constexpr std::uint64_t kPasid = 1;  // the one non-zero PASID of the fragment

struct SymOp {
  Expr kind, id, dev, iova, length, off, flags;  // id: ioas_id / pt_id / destroy id / COPY's dst; dev: 0 or 1
  Expr src_id, src_iova;                         // COPY's source IOAS and IOVA (iova is its dst_iova)
};

using SlotFlags = std::array<std::array<Expr, kSlots>, kIoas>;

struct StepOut {
  SymState next;
  Expr err;           // 0 or errno
  Expr unmapped;      // IOMMU_IOAS_UNMAP's length output
  Expr out_iova;      // MAP's iova / COPY's dst_iova output: the IOVA the area went to (fixed or chosen)
  Expr out_of_bound;  // the op needed a fourth area slot, or a copy a second source area: outside the fragment
  Expr sticks_out;    // the failed unmap removed some areas first (kernel exception to I-ATOMIC)
  // Which areas IOMMU_IOAS_UNMAP's branch removes (meaningful when the op is an
  // UNMAP): the very terms inside that branch's state and byte sum, so a proof
  // that splits by the set removed substitutes them there.
  SlotFlags unmap_removed;
  // The range IOMMU_IOAS_UNMAP's branch walks (meaningful for an UNMAP): the
  // byte-sum lemma's instance is stated over these very terms.
  Expr unmap_start, unmap_last;
  // Which slot MAP's and COPY's branches put the new area in (each the
  // branch's own terms, meaningful for its op kind), for the same kind of split.
  SlotFlags map_inserted, copy_inserted;
  // The source area COPY's branch found (the branch's own select over the
  // slots): the copy-span lemma's instance is stated over its fields.
  SymArea copy_src;
  SlotFlags copy_src_slot;  // which slot copy_src selects (the select's own conditions)
  // MAP's and COPY's IOVA is the caller's (IOMMU_IOAS_MAP_FIXED_IOVA), else the
  // kernel's: the branches' own term, for a proof that splits on it; and
  // COPY's destination IOVA as its branch computes it.
  Expr fixed_iova, copy_dst;
};

struct Encoding {
  z3::context& ctx;
  std::uint64_t buf_va;   // buf0's user VA (as the model places it)
  std::uint64_t buf_len;  // bytes of buf0
  Mutant mutant = Mutant::none;
  // For induction only: replace MAP's guard (which checks fail) by a free
  // boolean. The transitions become a superset of the real ones (the real guard
  // is one value of it), so an invariant inductive over them is inductive over
  // the real semantics: sound, and far cheaper when the invariant does not
  // depend on why a map failed (I-DMA's mirror, I-PIN).
  bool abstract_map_guard = false;
  // For induction only: pages() as an uninterpreted function of the area's
  // (iova, last, off). A proof that holds for every function holds for the real
  // page count, so this is sound; it spares the solver the 64-bit shifts when
  // an invariant only needs "the same area pins the same number of pages"
  // (I-PIN).
  bool abstract_page_count = false;
  // For induction only: a kernel-chosen IOVA (MAP or COPY without
  // IOMMU_IOAS_MAP_FIXED_IOVA) is any range clear of every area and reserved
  // range of the IOAS that does not wrap: what alloc_iova_placement()
  // guarantees, less alignment and the allowed range, and not the lowest such
  // one. A superset of the real transitions, so sound, and it spares the
  // solver the search for the lowest hole.
  bool abstract_alloc_iova = false;

  // IOAS 1, 2 alive and empty; devices unattached, bound as `bound0`/`bound1`
  // say (both when not given); `grouped` says whether they share a group (a
  // constant, or a variable to cover both).
  SymState initial(const Expr& grouped) const;
  SymState initial(const Expr& grouped, const Expr& bound0, const Expr& bound1) const;
  SymState fresh_state(const std::string& prefix) const;  // fully symbolic (for induction)
  SymOp fresh_op(const std::string& prefix) const;
  // The arguments the fragment ranges over in state `s`. Ids name live IOASes,
  // live manual HWPTs, bound devices, or nothing (0): a destroyed object's
  // id is reused by the next object the kernel allocates (an automatic HWPT,
  // say), which the fragment does not track.
  Expr op_in_domain(const SymState& s, const SymOp& op) const;
  StepOut step(const SymState& s, const SymOp& op) const;

  // translate(device, pasid, iova, access) through the domain: ok and the
  // buffer offset. `pasid` (Bool): the request carries PASID 1, else none (the RID).
  std::pair<Expr, Expr> translate(const SymState& s, const Expr& dev, const Expr& pasid, const Expr& iova,
                                  const Expr& write) const;
  // The same question answered from the areas of the IOAS behind the attached
  // domain (the specification of I-DMA; no mutant applies here).
  std::pair<Expr, Expr> translate_by_areas(const SymState& s, const Expr& dev, const Expr& pasid, const Expr& iova,
                                           const Expr& write) const;

  // What translates `dev`'s DMA without PASID (0: the blocking domain): an
  // IOAS id (its automatic HWPT) or a manual HWPT's id; its own
  // attachment, else its group's through the sibling.
  Expr domain_ioas(const SymState& s, const Expr& dev) const;
  // The same for PASID 1: the group's PASID-1 attachment (0: blocked).
  Expr pasid_domain(const SymState& s, const Expr& dev) const;
  // The page table behind (dev, pasid): domain_ioas or pasid_domain. The term
  // both translate() forms walk (translate() adds the mutant's fallback).
  Expr attached_domain(const SymState& s, const Expr& dev, const Expr& pasid) const;
  // The IOAS behind a page table id (an IOAS id, or a manual HWPT's id).
  Expr ioas_behind(const Expr& pt) const;
  // IOAS i has a domain: its automatic HWPT's or its manual HWPT's
  // (what pins its areas, raises its alignment and reserves beyond the aperture).
  Expr has_domain(const SymState& s, int i) const;
  Expr has_auto_domain(const SymState& s, int i) const;  // its automatic HWPT exists (a device attached to the IOAS)
  // Some device's RID is attached to a HWPT of IOAS i: its reserved region
  // (the MSI window) is reserved there (a PASID attach reserves nothing).
  Expr rid_reserves(const SymState& s, int i) const;
  Expr pages(const SymArea& a) const;  // user pages an area spans
  // The process's pinned pages as the kernel counts them: per pages object,
  // the union of the pages its filled areas cover. Exact for concrete states
  // (the agreement test); the proofs state I-PIN per area instead.
  Expr total_pinned(const SymState& s) const;
  Expr equal(const SymState& a, const SymState& b) const;        // observably equal (invalid slots' fields ignored)
  Expr identical(const SymState& a, const SymState& b) const;    // every field equal (ties a fresh state to a term)
  SymState simplified(const SymState& s) const;

  Expr bv(std::uint64_t v) const { return Expr::bv(ctx, v); }
  Expr boolean(bool v) const { return Expr::boolean(ctx, v); }
};

}  // namespace ioconform::smt
