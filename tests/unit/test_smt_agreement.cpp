// The proofs are about the code that runs: random concrete sequences in the
// SMT fragment go through the C++ model and through the SMT encoding (folded to
// constants), and must agree on every errno, every unmap length, the pinned
// page count, and translate() at the edges of every area, for both devices and
// both access kinds, without PASID and at PASID 1, after every step. Half the
// sequences put the two devices in one IOMMU group, half in a group each.
// Three sequences in four draw the IOAS/RID ops (IOAS alloc, map, copy, unmap,
// allow, attach, detach, destroy, bind, HWPT alloc without PASID), each device
// starting bound or not; the fourth also IOMMU_HWPT_ALLOC with
// IOMMU_HWPT_ALLOC_PASID and VFIO PASID attach/detach (PASID 1), and aims
// attaches at the manual HWPTs. The fragment's ids are names: each is mapped
// to the id the C++ model handed out when the object was made.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <memory>
#include <random>

#include "model/model.h"
#include "model/smt/semantics.h"
#include "model/smt/verify.h"

using namespace ioconform;
using smt::Expr;

namespace {

constexpr std::uint64_t kU64Max = ~std::uint64_t{0};

struct Sequence {
  std::mt19937_64 rng;
  template <class T>
  T pick(std::initializer_list<T> v) {
    return *(v.begin() + rng() % v.size());
  }
};

// The C++ model in the fragment's initial state (Encoding::initial): buf0, two
// devices (in one IOMMU group when `grouped`), IOASes 1 and 2, the devices
// bound as `bound` says. Returns the model's ids by fragment id.
std::map<std::uint64_t, std::uint64_t> start_fragment(model::Model& m, const smt::Buffer0& buf, bool grouped,
                                                      std::array<bool, 2> bound = {true, true}) {
  std::map<std::uint64_t, std::uint64_t> real;
  m.add_buffer("buf0", buf.len / 4096, false, 65536);
  m.add_device("dev0", grouped ? "g0" : "");
  m.add_device("dev1", grouped ? "g0" : "");
  for (std::uint64_t i = 0; i < 2; i++)
    real[smt::kFirstIoasId + i] = m.apply({"IOMMU_IOAS_ALLOC", {}}).out["out_ioas_id"].get<std::uint64_t>();
  for (std::uint64_t d = 0; d < 2; d++)
    if (bound[d])
      real[smt::kFirstDeviceId + d] =
          m.apply({"VFIO_DEVICE_BIND_IOMMUFD", {{"dev", d ? "dev1" : "dev0"}}}).out["out_devid"].get<std::uint64_t>();
  return real;
}

}  // namespace

TEST(SmtAgreement, TenThousandRandomSequencesAgreeWithTheCppModel) {
  const auto buf = smt::buffer0();
  // A Z3 context keeps memory for every term it ever made (about 2 MB a
  // sequence here): a fresh one every 250 sequences keeps the test in a few GB.
  std::unique_ptr<z3::context> ctx;
  std::unique_ptr<smt::Encoding> encoding;
  Sequence g{std::mt19937_64(20261124)};
  const int kSequences = 10000, kSteps = 6;
  size_t steps = 0, successes = 0, translations = 0, grouped_refusals = 0, copies = 0, shared_pins = 0;
  size_t pasid_attached = 0, pasid_refused = 0, pasid_translations_ok = 0, compat_allocs = 0, rid_on_compat = 0;
  size_t pasid_sequences = 0, ioas_allocs = 0, binds = 0, allows = 0, allow_refusals = 0, plain_hwpts = 0,
         unbound_refusals = 0, allowed_refusals = 0, kernel_iovas = 0;
  for (int n = 0; n < kSequences; n++) {
    if (n % 250 == 0) {
      encoding.reset();
      ctx = std::make_unique<z3::context>();
      encoding.reset(new smt::Encoding{*ctx, buf.va, buf.len, smt::Mutant::none});
    }
    const smt::Encoding& enc = *encoding;
    const bool grouped = n % 2;
    const bool pasid_sequence = (n / 2) % 4 == 3;  // grouped and not alike
    pasid_sequences += pasid_sequence;
    model::Model m;
    // A device starts unbound one time in four.
    std::array<bool, 2> bound{g.rng() % 4 != 0, g.rng() % 4 != 0};
    std::map<std::uint64_t, std::uint64_t> real_id = start_fragment(m, buf, grouped, bound);
    smt::SymState s = enc.initial(enc.boolean(grouped), enc.boolean(bound[0]), enc.boolean(bound[1]));
    bool alive[2] = {true, true};
    // The manual HWPT of each IOAS: alive.
    bool compat_alive[2] = {false, false};
    auto real = [&](std::uint64_t id) { return real_id.count(id) ? real_id[id] : id; };
    for (int t = 0; t < kSteps; t++) {
      // A PASID sequence: in 16, map 3, unmap 1, copy 1, RID attach 3, detach 1,
      // destroy 1, HWPT_ALLOC 2, PASID attach 3, PASID detach 1.
      static constexpr std::uint64_t kPasidMix[16] = {
          smt::kMap,    smt::kMap,       smt::kMap,       smt::kUnmap,       smt::kCopy,        smt::kAttach,
          smt::kAttach, smt::kAttach,    smt::kDetach,    smt::kDestroy,     smt::kHwptAlloc,   smt::kHwptAlloc,
          smt::kPasidAttach, smt::kPasidAttach, smt::kPasidAttach, smt::kPasidDetach};
      // Any other sequence: in 16, map 3, unmap 1, copy 2, RID attach 2, detach 1,
      // destroy 1, IOAS alloc 1, bind 1, allow 2, HWPT_ALLOC 2.
      static constexpr std::uint64_t kMix[16] = {
          smt::kMap,     smt::kMap,    smt::kMap,       smt::kUnmap,      smt::kCopy,       smt::kCopy,
          smt::kAttach,  smt::kAttach, smt::kDetach,    smt::kDestroy,    smt::kIoasAlloc,  smt::kBind,
          smt::kAllowIovas, smt::kAllowIovas, smt::kHwptAlloc, smt::kHwptAlloc};
      std::uint64_t kind = pasid_sequence ? kPasidMix[g.rng() % 16] : kMix[g.rng() % 16];
      // With both IOAS slots alive an IOAS alloc is outside the fragment (the
      // sequence would end): destroy one instead, which may make room.
      if (kind == smt::kIoasAlloc && alive[0] && alive[1]) kind = smt::kDestroy;
      // A PASID sequence starts with a map that succeeds and a PASID-compatible
      // HWPT, on random IOASes, so later PASID attaches have pages to reach.
      const bool scripted = pasid_sequence && t < 2;
      if (scripted) kind = t == 0 ? smt::kMap : smt::kHwptAlloc;
      std::vector<std::uint64_t> ids{0}, compat_ids;
      for (int d = 0; d < 2; d++)
        if (bound[d]) ids.push_back(smt::kFirstDeviceId + d);
      for (int i = 0; i < 2; i++)
        if (alive[i]) ids.push_back(1 + i);
      for (int i = 0; i < 2; i++)
        if (compat_alive[i]) ids.push_back(smt::kFirstCompatId + i), compat_ids.push_back(smt::kFirstCompatId + i);
      std::uint64_t id = scripted ? 1 + g.rng() % 2 : ids[g.rng() % ids.size()];
      // Half the attaches and destroys of a PASID sequence name a live PASID-compatible HWPT.
      const bool at_compat = kind == smt::kAttach || kind == smt::kPasidAttach || kind == smt::kDestroy;
      if (pasid_sequence && at_compat && !compat_ids.empty() && g.rng() % 2) id = compat_ids[g.rng() % compat_ids.size()];
      std::uint64_t dev = g.rng() % 2;
      // IOMMU_HWPT_ALLOC names its device by id: a bound one, else the sequence binds one.
      if (kind == smt::kHwptAlloc && !bound[dev]) dev ^= 1;
      if (kind == smt::kHwptAlloc && !bound[dev]) kind = smt::kBind;
      // A PASID sequence's HWPTs are PASID-compatible; the others' are so half the time.
      const std::uint64_t hwpt_flags = pasid_sequence || g.rng() % 2 ? smt::kHwptAllocPasid : 0;
      std::uint64_t iova = g.pick<std::uint64_t>({0, 0x1000, 0x100000, 0x101000, 0x102000, 0x100800, 0xfee00000,
                                                  0xfedff000, 0x7ffffff000, 0x8000000000, kU64Max, kU64Max - 0xfff});
      std::uint64_t length = g.pick<std::uint64_t>({0, 1, 100, 0x1000, 0x2000, 0x3000, 0x10000, 0x20000, kU64Max,
                                                    0x8000000000000000ull});
      std::uint64_t off = g.pick<std::uint64_t>({0, 0x123, 0x800, 0x1000, 0x8000, 0xf000});
      // A MAP or COPY lets the kernel choose the IOVA one time in four.
      std::uint64_t flags = (g.rng() % 4 != 0) | g.pick<std::uint64_t>({0, 2, 4, 6, 6, 6, 0x16});
      if (kind == smt::kHwptAlloc) flags = 1 | hwpt_flags;
      // ALLOW_IOVAS: no range, or one range near the MSI window, the aperture's end or ordinary IOVAs.
      const std::uint64_t allow_num = g.rng() % 4 != 0;
      const std::uint64_t allow_start = g.pick<std::uint64_t>({0x1000, 0x100000, 0xfe000000, 0xfef00000, 0x7ffffff000, 0x200000});
      const std::uint64_t allow_last = g.pick<std::uint64_t>({0xfff, 0x1fffff, 0xfeffffff, 0xfee00000, 0x8000000000, kU64Max});
      if (scripted && t == 0) iova = 0x100000, length = 0x2000, off = 0, flags = 7;
      // A copy's source: mostly inside an area the model has (its start, half a
      // page or a page on; the rest of it, a page, or past its end), else fixed values.
      struct AreaAt {
        std::uint64_t ioas_id, iova, last;
      };
      std::vector<AreaAt> areas;
      // (The model's IOAS ids, named back to the fragment's.)
      for (const auto& [ioas_id, ioas] : m.state().ioas)
        for (std::uint64_t i = 0; i < 2; i++)
          if (alive[i] && real(smt::kFirstIoasId + i) == ioas_id)
            for (const auto& [start, a] : ioas.iopt.areas()) areas.push_back({smt::kFirstIoasId + i, a.iova, a.last});
      std::uint64_t src_id = ids[g.rng() % ids.size()];
      std::uint64_t src_iova = g.pick<std::uint64_t>({0, 0x100000, 0x101000, 0x100800, 0xfee00000, kU64Max});
      std::uint64_t copy_length = length;
      if (!areas.empty() && g.rng() % 4 != 0) {
        const AreaAt& a = areas[g.rng() % areas.size()];
        src_id = a.ioas_id;
        src_iova = a.iova + g.pick<std::uint64_t>({0, 0, 0x1000, 0x800});
        const std::uint64_t rest = src_iova <= a.last ? a.last - src_iova + 1 : 1;
        copy_length = g.pick<std::uint64_t>({rest, rest, 0x1000, rest + 0x1000, length});
      }
      const char* devname = dev ? "dev1" : "dev0";
      model::Op op;
      const std::uint64_t pt = real(id);
      switch (kind) {
        case smt::kMap:
          op = {"IOMMU_IOAS_MAP", {{"ioas_id", pt}, {"user_va", buf.va + off}, {"length", length}, {"iova", iova}, {"flags", flags}}};
          break;
        case smt::kUnmap: op = {"IOMMU_IOAS_UNMAP", {{"ioas_id", pt}, {"iova", iova}, {"length", length}}}; break;
        case smt::kAttach: op = {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", devname}, {"pt_id", pt}}}; break;
        case smt::kDetach: op = {"VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", devname}}}; break;
        case smt::kPasidAttach:
          op = {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", devname}, {"pt_id", pt}, {"flags", 1}, {"pasid", smt::kPasid}}};
          break;
        case smt::kPasidDetach:
          op = {"VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", devname}, {"flags", 1}, {"pasid", smt::kPasid}}};
          break;
        case smt::kHwptAlloc:
          op = {"IOMMU_HWPT_ALLOC", {{"dev_id", real(smt::kFirstDeviceId + dev)}, {"pt_id", pt}, {"flags", hwpt_flags}}};
          break;
        case smt::kIoasAlloc: op = {"IOMMU_IOAS_ALLOC", {}}; break;
        case smt::kBind: op = {"VFIO_DEVICE_BIND_IOMMUFD", {{"dev", devname}}}; break;
        case smt::kAllowIovas: {
          nlohmann::json ranges = nlohmann::json::array();
          if (allow_num) ranges.push_back({{"start", allow_start}, {"last", allow_last}});
          op = {"IOMMU_IOAS_ALLOW_IOVAS", {{"ioas_id", pt}, {"ranges", ranges}}};
          break;
        }
        case smt::kCopy:
          op = {"IOMMU_IOAS_COPY", {{"dst_ioas_id", pt}, {"src_ioas_id", real(src_id)}, {"length", copy_length},
                                    {"dst_iova", iova}, {"src_iova", src_iova}, {"flags", flags}}};
          break;
        default: op = {"IOMMU_DESTROY", {{"id", pt}}};
      }
      std::uint64_t op_length = kind == smt::kCopy ? copy_length : length;
      std::uint64_t op_iova = iova;
      if (kind == smt::kAllowIovas) op_length = allow_num, op_iova = allow_start, src_iova = allow_last;
      smt::SymOp sop{enc.bv(kind), enc.bv(id),     enc.bv(dev),    enc.bv(op_iova), enc.bv(op_length),
                     enc.bv(off),  enc.bv(flags), enc.bv(src_id), enc.bv(src_iova)};
      ASSERT_TRUE(enc.op_in_domain(s, sop).is_true()) << "sequence " << n << " step " << t << " " << op.name << " "
                                                       << op.args.dump();
      smt::StepOut out = enc.step(s, sop);
      if (out.out_of_bound.is_true()) break;  // a fourth area: outside the fragment, the sequence ends
      const model::StepResult want = m.apply(op);
      const std::uint64_t err = out.err.as_u64();
      steps++;
      ASSERT_EQ(err, static_cast<std::uint64_t>(want.err))
          << "sequence " << n << " step " << t << " " << op.name << " " << op.args.dump() << " rule " << want.rule;
      if (!want.err) successes++;
      if (want.rule == "attach.group_in_other_domain") grouped_refusals++;
      if (kind == smt::kCopy && !want.err) copies++;
      if (kind == smt::kPasidAttach) (want.err ? pasid_refused : pasid_attached)++;
      if (kind == smt::kHwptAlloc && !want.err) {
        (hwpt_flags ? compat_allocs : plain_hwpts)++;
        compat_alive[id - smt::kFirstIoasId] = true;
        real_id[smt::kFirstCompatId + (id - smt::kFirstIoasId)] = want.out["out_hwpt_id"].get<std::uint64_t>();
      }
      if (kind == smt::kIoasAlloc) {
        const int slot = alive[0] ? 1 : 0;  // the first dead slot
        alive[slot] = true;
        real_id[smt::kFirstIoasId + slot] = want.out["out_ioas_id"].get<std::uint64_t>();
        ioas_allocs++;
      }
      if (kind == smt::kBind && !want.err) {
        bound[dev] = true;
        real_id[smt::kFirstDeviceId + dev] = want.out["out_devid"].get<std::uint64_t>();
        binds++;
      }
      if (kind == smt::kAllowIovas) (want.err ? allow_refusals : allows)++;
      if (want.rule == "vfio_device.not_bound") unbound_refusals++;
      if (want.rule == "attach.resv_region_conflict" || want.rule == "attach.aperture_conflict") allowed_refusals++;
      if (kind == smt::kAttach && !want.err && id >= smt::kFirstCompatId) rid_on_compat++;
      if (kind == smt::kDestroy && !want.err && id >= smt::kFirstCompatId) compat_alive[id - smt::kFirstCompatId] = false;
      if ((kind == smt::kMap || kind == smt::kCopy) && !want.err) {
        const std::uint64_t want_iova = want.out[kind == smt::kMap ? "iova" : "dst_iova"].get<std::uint64_t>();
        ASSERT_EQ(out.out_iova.as_u64(), want_iova) << "sequence " << n << " step " << t << " " << op.name << " "
                                                    << op.args.dump();
        if (!(flags & 1)) kernel_iovas++;
      }
      if (kind == smt::kUnmap && !want.err) {
        ASSERT_EQ(out.unmapped.as_u64(), want.out["length"].get<std::uint64_t>()) << "sequence " << n << " step " << t;
      }
      ASSERT_EQ(out.sticks_out.is_true(), want.partial_effect || (want.rule == "ioas_unmap.area_sticks_out"))
          << "sequence " << n << " step " << t;
      s = enc.simplified(out.next);
      if (kind == smt::kDestroy && !want.err && id < smt::kFirstCompatId) alive[id - 1] = false;
      ASSERT_EQ(enc.total_pinned(s).as_u64(), m.state().pinned_pages()) << "sequence " << n << " step " << t << " " << op.name;
      std::uint64_t per_area = 0;  // the pages every filled area holds, counting a shared page once per area
      for (const auto& row : s.npinned)
        for (const auto& n_area : row) per_area += n_area.as_u64();
      if (per_area > m.state().pinned_pages()) shared_pins++;  // reported; the fixed test below requires it
      // translate() at the edges of every area the C++ model has, and at fixed probes.
      std::vector<std::uint64_t> probes{0x100000, 0x101000, 0xfee00000};
      for (const auto& [ioas_id, ioas] : m.state().ioas)
        for (const auto& [start, a] : ioas.iopt.areas()) {
          probes.push_back(a.iova);
          probes.push_back(a.last);
          probes.push_back(a.last + 1);
          if (a.iova) probes.push_back(a.iova - 1);
        }
      for (std::uint64_t x : probes)
        for (int d = 0; d < 2; d++)
          for (int pasid = 0; pasid < 2; pasid++)
            for (bool write : {false, true}) {
              // PASID 1 of a sequence without PASID ops: reads only (it must be blocked, or it falls back).
              if (pasid && write && !pasid_sequence) continue;
              const auto access = write ? model::Access::Write : model::Access::Read;
              const char* name = d ? "dev1" : "dev0";
              auto t_cpp = pasid ? m.translate(name, static_cast<std::uint32_t>(smt::kPasid), x, access)
                                 : m.translate(name, x, access);
              auto [ok, at] = enc.translate(s, enc.bv(d), enc.boolean(pasid), enc.bv(x), enc.boolean(write));
              translations++;
              ASSERT_EQ(ok.is_true(), t_cpp.ok) << "sequence " << n << " step " << t << " dev" << d
                                                << (pasid ? " PASID 1" : "") << " iova " << x
                                                << (write ? " write" : " read") << ": " << t_cpp.why;
              if (t_cpp.ok) {
                ASSERT_EQ(at.as_u64(), t_cpp.offset);
                if (pasid) pasid_translations_ok++;
              }
            }
    }
  }
  std::cout << "[agreement] " << kSequences << " sequences, " << steps << " steps (" << successes << " succeeded), "
            << translations << " translations compared, " << grouped_refusals << " attaches refused for the group, "
            << copies << " copies succeeded, " << shared_pins << " states pinning a shared page once, PASID attaches "
            << pasid_attached << " succeeded / " << pasid_refused << " refused, " << pasid_translations_ok
            << " PASID translations that reached a page, " << compat_allocs << " PASID-compatible HWPTs allocated, "
            << rid_on_compat << " RID attaches to one (" << pasid_sequences << " PASID sequences), " << plain_hwpts
            << " HWPTs without PASID, " << ioas_allocs << " IOAS allocs, " << binds << " binds, " << unbound_refusals
            << " ops refused an unbound device, ALLOW_IOVAS " << allows << " succeeded / " << allow_refusals
            << " refused, " << allowed_refusals << " reservations refused, " << kernel_iovas
            << " MAP/COPY at a kernel-chosen IOVA\n";
  EXPECT_GT(successes, steps / 10) << "the random sequences must exercise successful ops, not only errors";
  EXPECT_GT(grouped_refusals, 0u) << "the grouped sequences must reach the group's EINVAL";
  EXPECT_GT(copies, 0u) << "the sequences must copy";
  EXPECT_GT(pasid_refused, 0u) << "the sequences must attach PASIDs";
  EXPECT_GT(pasid_attached, 0u) << "some PASID attaches must succeed";
  EXPECT_GT(pasid_translations_ok, 0u) << "PASID 1 must reach pages through its HWPT";
  EXPECT_GT(rid_on_compat, 0u) << "the RID must attach to PASID-compatible HWPTs";
  EXPECT_GT(plain_hwpts, 0u) << "HWPTs without IOMMU_HWPT_ALLOC_PASID must be allocated";
  EXPECT_GT(ioas_allocs, 0u) << "IOASes must be allocated";
  EXPECT_GT(binds, 0u) << "devices must be bound";
  EXPECT_GT(unbound_refusals, 0u) << "ops on an unbound device must be refused";
  EXPECT_GT(allows, 0u) << "ALLOW_IOVAS must succeed";
  EXPECT_GT(allow_refusals, 0u) << "ALLOW_IOVAS must be refused";
  EXPECT_GT(kernel_iovas, 0u) << "MAP and COPY must succeed at kernel-chosen IOVAs";
}

// The agreement test can fail: with a seeded bug in the encoding (unmap leaves
// the domain's translation behind) the same comparison finds a disagreement.
TEST(SmtAgreement, ASeededEncodingBugIsDetectedByTheComparison) {
  z3::context ctx;
  const auto buf = smt::buffer0();
  smt::Encoding enc{ctx, buf.va, buf.len, smt::Mutant::unmap_skips_domain};
  model::Model m;
  start_fragment(m, buf, false);
  smt::SymState s = enc.initial(enc.boolean(false));
  auto step = [&](std::uint64_t kind, std::uint64_t id, std::uint64_t iova, std::uint64_t length, model::Op op) {
    s = enc.simplified(enc.step(s, {enc.bv(kind), enc.bv(id), enc.bv(0), enc.bv(iova), enc.bv(length), enc.bv(0), enc.bv(7),
                                    enc.bv(0), enc.bv(0)}).next);
    m.apply(op);
  };
  step(smt::kAttach, 1, 0, 0, {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", "dev0"}, {"pt_id", 1}}});
  step(smt::kMap, 1, 0x100000, 0x1000, {"IOMMU_IOAS_MAP", {{"ioas_id", 1}, {"user_va", buf.va}, {"length", 0x1000}, {"iova", 0x100000}, {"flags", 7}}});
  step(smt::kUnmap, 1, 0x100000, 0x1000, {"IOMMU_IOAS_UNMAP", {{"ioas_id", 1}, {"iova", 0x100000}, {"length", 0x1000}}});
  auto [ok, at] = enc.translate(s, enc.bv(0), enc.boolean(false), enc.bv(0x100000), enc.boolean(false));
  EXPECT_TRUE(ok.is_true()) << "the mutant keeps the stale translation";
  EXPECT_FALSE(m.translate("dev0", 0x100000, model::Access::Read).ok) << "the C++ model does not";
}

// Pages shared through IOMMU_IOAS_COPY are pinned once per pages object: fixed
// sequences where the source and the copy both sit in domains, overlapping in
// part, and a copy of a copy. The encoding's count must equal the C++ model's
// after every step, and the last state must pin fewer pages than its areas
// hold one by one (so the union is what is compared).
TEST(SmtAgreement, CopiedPagesArePinnedOncePerPagesObject) {
  z3::context ctx;
  const auto buf = smt::buffer0();
  smt::Encoding enc{ctx, buf.va, buf.len, smt::Mutant::none};
  model::Model m;
  start_fragment(m, buf, false);
  smt::SymState s = enc.initial(enc.boolean(false));
  auto step = [&](std::uint64_t kind, std::uint64_t id, std::uint64_t dev, std::uint64_t iova, std::uint64_t length,
                  std::uint64_t src_id, std::uint64_t src_iova, const model::Op& op) {
    smt::StepOut out = enc.step(s, {enc.bv(kind), enc.bv(id), enc.bv(dev), enc.bv(iova), enc.bv(length), enc.bv(0),
                                    enc.bv(7), enc.bv(src_id), enc.bv(src_iova)});
    const model::StepResult want = m.apply(op);
    ASSERT_FALSE(out.out_of_bound.is_true()) << op.name;
    ASSERT_EQ(out.err.as_u64(), static_cast<std::uint64_t>(want.err)) << op.name << " " << want.rule;
    ASSERT_EQ(want.err, 0) << op.name << " " << want.rule;
    s = enc.simplified(out.next);
    ASSERT_EQ(enc.total_pinned(s).as_u64(), m.state().pinned_pages()) << op.name << " " << op.args.dump();
  };
  auto attach = [&](std::uint64_t dev, std::uint64_t ioas) {
    step(smt::kAttach, ioas, dev, 0, 0, 0, 0,
         {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", dev ? "dev1" : "dev0"}, {"pt_id", ioas}}});
  };
  auto copy = [&](std::uint64_t dst, std::uint64_t dst_iova, std::uint64_t src, std::uint64_t src_iova, std::uint64_t len) {
    step(smt::kCopy, dst, 0, dst_iova, len, src, src_iova,
         {"IOMMU_IOAS_COPY", {{"dst_ioas_id", dst}, {"src_ioas_id", src}, {"length", len}, {"dst_iova", dst_iova},
                              {"src_iova", src_iova}, {"flags", 7}}});
  };
  attach(0, 1);
  attach(1, 2);
  step(smt::kMap, 1, 0, 0x100000, 0x4000, 0, 0,
       {"IOMMU_IOAS_MAP", {{"ioas_id", 1}, {"user_va", buf.va}, {"length", 0x4000}, {"iova", 0x100000}, {"flags", 7}}});
  copy(2, 0x200000, 1, 0x101000, 0x2000);  // pages 1-2 again, in the other domain: shared, counted once
  copy(1, 0x300000, 2, 0x201000, 0x1000);  // a copy of the copy (page 2), back into the first domain
  copy(2, 0x400000, 1, 0x100000, 0x4000);  // the whole range once more
  std::uint64_t per_area = 0;
  for (const auto& row : s.npinned)
    for (const auto& n_area : row) per_area += n_area.as_u64();
  EXPECT_EQ(m.state().pinned_pages(), 4u) << "one pages object of 4 pages, however often it is copied";
  EXPECT_EQ(per_area, 4u + 2u + 1u + 4u);
}

// PASID 1 through a PASID-compatible HWPT, step by step on both sides: the RID
// must move to such a HWPT first, then PASID 1 reaches the IOAS's pages
// through its own attachment (also after the RID detaches), never through the
// RID's; the HWPT and its IOAS are busy while used; a PASID detach blocks it.
TEST(SmtAgreement, APasidThroughACompatibleHwptTranslatesThere) {
  z3::context ctx;
  const auto buf = smt::buffer0();
  smt::Encoding enc{ctx, buf.va, buf.len, smt::Mutant::none};
  model::Model m;
  start_fragment(m, buf, false);
  smt::SymState s = enc.initial(enc.boolean(false));
  std::uint64_t compat_real[2] = {0, 0};
  auto real = [&](std::uint64_t id) { return id >= smt::kFirstCompatId ? compat_real[id - smt::kFirstCompatId] : id; };
  auto step = [&](std::uint64_t kind, std::uint64_t id, std::uint64_t iova, std::uint64_t length, int want_err) {
    model::Op op;
    const std::uint64_t pt = real(id);
    switch (kind) {
      case smt::kMap:
        op = {"IOMMU_IOAS_MAP", {{"ioas_id", pt}, {"user_va", buf.va}, {"length", length}, {"iova", iova}, {"flags", 7}}};
        break;
      case smt::kAttach: op = {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", "dev0"}, {"pt_id", pt}}}; break;
      case smt::kDetach: op = {"VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", "dev0"}}}; break;
      case smt::kPasidAttach:
        op = {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", "dev0"}, {"pt_id", pt}, {"flags", 1}, {"pasid", 1}}};
        break;
      case smt::kPasidDetach: op = {"VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", "dev0"}, {"flags", 1}, {"pasid", 1}}}; break;
      case smt::kHwptAlloc: op = {"IOMMU_HWPT_ALLOC", {{"dev_id", 3}, {"pt_id", pt}, {"flags", 8}}}; break;
      default: op = {"IOMMU_DESTROY", {{"id", pt}}};
    }
    const std::uint64_t flags = kind == smt::kHwptAlloc ? 1 | smt::kHwptAllocPasid : 7;
    smt::StepOut out = enc.step(s, {enc.bv(kind), enc.bv(id), enc.bv(0), enc.bv(iova), enc.bv(length), enc.bv(0),
                                    enc.bv(flags), enc.bv(0), enc.bv(0)});
    const model::StepResult want = m.apply(op);
    ASSERT_FALSE(out.out_of_bound.is_true()) << op.name;
    ASSERT_EQ(out.err.as_u64(), static_cast<std::uint64_t>(want.err)) << op.name << " " << op.args.dump() << " " << want.rule;
    ASSERT_EQ(want.err, want_err) << op.name << " " << op.args.dump() << " " << want.rule;
    if (kind == smt::kHwptAlloc && !want.err) compat_real[id - smt::kFirstIoasId] = want.out["out_hwpt_id"].get<std::uint64_t>();
    s = enc.simplified(out.next);
    ASSERT_EQ(enc.total_pinned(s).as_u64(), m.state().pinned_pages()) << op.name;
  };
  auto pasid_sees = [&](std::uint64_t iova) {
    auto [ok, at] = enc.translate(s, enc.bv(0), enc.boolean(true), enc.bv(iova), enc.boolean(false));
    const auto t = m.translate("dev0", 1u, iova, model::Access::Read);
    EXPECT_EQ(ok.is_true(), t.ok) << t.why;
    if (t.ok) {
      EXPECT_EQ(at.as_u64(), t.offset);
    }
    return t.ok;
  };
  step(smt::kMap, 1, 0x100000, 0x2000, 0);
  step(smt::kMap, 2, 0x200000, 0x1000, 0);
  step(smt::kAttach, 2, 0, 0, 0);                 // the RID on IOAS 2's automatic HWPT
  step(smt::kPasidAttach, 1, 0, 0, EINVAL);       // an IOAS: its automatic HWPT takes no PASID
  step(smt::kHwptAlloc, 1, 0, 0, 0);              // IOAS 1's PASID-compatible HWPT: id 5 here
  step(smt::kPasidAttach, 5, 0, 0, EINVAL);       // the RID is in a HWPT that is not PASID-compatible
  EXPECT_FALSE(pasid_sees(0x200000)) << "no fallback to the RID's domain";
  step(smt::kAttach, 5, 0, 0, 0);                 // replace the RID onto the compatible HWPT
  step(smt::kPasidAttach, 5, 0, 0, 0);
  EXPECT_TRUE(pasid_sees(0x101000));
  step(smt::kAttach, 2, 0, 0, EINVAL);            // the RID may not leave for an automatic HWPT now
  step(smt::kDestroy, 5, 0, 0, EBUSY);
  step(smt::kDestroy, 1, 0, 0, EBUSY);            // the HWPT holds its IOAS
  step(smt::kDetach, 0, 0, 0, 0);
  EXPECT_TRUE(pasid_sees(0x100000)) << "the PASID keeps its own attachment";
  step(smt::kPasidDetach, 0, 0, 0, 0);
  EXPECT_FALSE(pasid_sees(0x100000));
  step(smt::kDestroy, 5, 0, 0, 0);
  step(smt::kDestroy, 1, 0, 0, 0);
  EXPECT_EQ(m.state().pinned_pages(), 0u);
}
