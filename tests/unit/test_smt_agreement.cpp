// The proofs are about the code that runs: random concrete sequences in the
// SMT fragment go through the C++ model and through the SMT encoding (folded to
// constants), and must agree on every errno, every unmap length, the pinned
// page count, and translate() at the edges of every area, for both devices and
// both access kinds, after every step. Half the sequences put the two devices in
// one IOMMU group, half in a group each.
#include <gtest/gtest.h>

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

}  // namespace

TEST(SmtAgreement, TenThousandRandomSequencesAgreeWithTheCppModel) {
  z3::context ctx;
  const auto buf = smt::buffer0();
  smt::Encoding enc{ctx, buf.va, buf.len, smt::Mutant::none};
  Sequence g{std::mt19937_64(20261124)};
  const int kSequences = 10000, kSteps = 6;
  size_t steps = 0, successes = 0, translations = 0, grouped_refusals = 0;
  for (int n = 0; n < kSequences; n++) {
    const bool grouped = n % 2;
    model::Model m;
    m.add_buffer("buf0", buf.len / 4096, false, 65536);
    m.add_device("dev0", grouped ? "g0" : "");
    m.add_device("dev1", grouped ? "g0" : "");
    m.apply({"IOMMU_IOAS_ALLOC", {}});
    m.apply({"IOMMU_IOAS_ALLOC", {}});
    m.apply({"VFIO_DEVICE_BIND_IOMMUFD", {{"dev", "dev0"}}});
    m.apply({"VFIO_DEVICE_BIND_IOMMUFD", {{"dev", "dev1"}}});
    smt::SymState s = enc.initial(enc.boolean(grouped));
    bool alive[2] = {true, true};
    for (int t = 0; t < kSteps; t++) {
      const std::uint64_t kind = g.rng() % smt::kOpKinds;
      std::vector<std::uint64_t> ids{0, 3, 4};
      for (int i = 0; i < 2; i++)
        if (alive[i]) ids.push_back(1 + i);
      const std::uint64_t id = ids[g.rng() % ids.size()];
      const std::uint64_t dev = g.rng() % 2;
      const std::uint64_t iova = g.pick<std::uint64_t>({0, 0x1000, 0x100000, 0x101000, 0x102000, 0x100800, 0xfee00000,
                                                        0xfedff000, 0x7ffffff000, 0x8000000000, kU64Max, kU64Max - 0xfff});
      const std::uint64_t length = g.pick<std::uint64_t>({0, 1, 100, 0x1000, 0x2000, 0x3000, 0x10000, 0x20000, kU64Max,
                                                          0x8000000000000000ull});
      const std::uint64_t off = g.pick<std::uint64_t>({0, 0x123, 0x800, 0x1000, 0x8000, 0xf000});
      const std::uint64_t flags = 1 | g.pick<std::uint64_t>({0, 2, 4, 6, 6, 6, 0x16});
      const char* devname = dev ? "dev1" : "dev0";
      model::Op op;
      switch (kind) {
        case smt::kMap:
          op = {"IOMMU_IOAS_MAP", {{"ioas_id", id}, {"user_va", buf.va + off}, {"length", length}, {"iova", iova}, {"flags", flags}}};
          break;
        case smt::kUnmap: op = {"IOMMU_IOAS_UNMAP", {{"ioas_id", id}, {"iova", iova}, {"length", length}}}; break;
        case smt::kAttach: op = {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", devname}, {"pt_id", id}}}; break;
        case smt::kDetach: op = {"VFIO_DEVICE_DETACH_IOMMUFD_PT", {{"dev", devname}}}; break;
        default: op = {"IOMMU_DESTROY", {{"id", id}}};
      }
      smt::SymOp sop{enc.bv(kind), enc.bv(id), enc.bv(dev), enc.bv(iova), enc.bv(length), enc.bv(off), enc.bv(flags)};
      ASSERT_TRUE(enc.op_in_domain(s, sop).is_true());
      smt::StepOut out = enc.step(s, sop);
      if (out.out_of_bound.is_true()) break;  // a fourth area: outside the fragment, the sequence ends
      const model::StepResult want = m.apply(op);
      const std::uint64_t err = out.err.as_u64();
      steps++;
      ASSERT_EQ(err, static_cast<std::uint64_t>(want.err))
          << "sequence " << n << " step " << t << " " << op.name << " " << op.args.dump() << " rule " << want.rule;
      if (!want.err) successes++;
      if (want.rule == "attach.group_in_other_domain") grouped_refusals++;
      if (kind == smt::kUnmap && !want.err) {
        ASSERT_EQ(out.unmapped.as_u64(), want.out["length"].get<std::uint64_t>()) << "sequence " << n << " step " << t;
      }
      ASSERT_EQ(out.sticks_out.is_true(), want.partial_effect || (want.rule == "ioas_unmap.area_sticks_out"))
          << "sequence " << n << " step " << t;
      s = enc.simplified(out.next);
      if (kind == smt::kDestroy && !want.err) alive[id - 1] = false;
      ASSERT_EQ(enc.total_pinned(s).as_u64(), m.state().pinned_pages()) << "sequence " << n << " step " << t << " " << op.name;
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
          for (bool write : {false, true}) {
            auto t_cpp = m.translate(d ? "dev1" : "dev0", x, write ? model::Access::Write : model::Access::Read);
            auto [ok, at] = enc.translate(s, enc.bv(d), enc.bv(x), enc.boolean(write));
            translations++;
            ASSERT_EQ(ok.is_true(), t_cpp.ok) << "sequence " << n << " step " << t << " dev" << d << " iova " << x
                                              << (write ? " write" : " read") << ": " << t_cpp.why;
            if (t_cpp.ok) {
              ASSERT_EQ(at.as_u64(), t_cpp.offset);
            }
          }
    }
  }
  std::cout << "[agreement] " << kSequences << " sequences, " << steps << " steps (" << successes << " succeeded), "
            << translations << " translations compared, " << grouped_refusals << " attaches refused for the group\n";
  EXPECT_GT(successes, steps / 10) << "the random sequences must exercise successful ops, not only errors";
  EXPECT_GT(grouped_refusals, 0u) << "the grouped sequences must reach the group's EINVAL";
}

// The agreement test can fail: with a seeded bug in the encoding (unmap leaves
// the domain's translation behind) the same comparison finds a disagreement.
TEST(SmtAgreement, ASeededEncodingBugIsDetectedByTheComparison) {
  z3::context ctx;
  const auto buf = smt::buffer0();
  smt::Encoding enc{ctx, buf.va, buf.len, smt::Mutant::unmap_skips_domain};
  model::Model m;
  m.add_buffer("buf0", buf.len / 4096, false, 65536);
  m.add_device("dev0");
  m.add_device("dev1");
  for (const char* n : {"IOMMU_IOAS_ALLOC", "IOMMU_IOAS_ALLOC"}) m.apply({n, {}});
  m.apply({"VFIO_DEVICE_BIND_IOMMUFD", {{"dev", "dev0"}}});
  m.apply({"VFIO_DEVICE_BIND_IOMMUFD", {{"dev", "dev1"}}});
  smt::SymState s = enc.initial(enc.boolean(false));
  auto step = [&](std::uint64_t kind, std::uint64_t id, std::uint64_t iova, std::uint64_t length, model::Op op) {
    s = enc.simplified(enc.step(s, {enc.bv(kind), enc.bv(id), enc.bv(0), enc.bv(iova), enc.bv(length), enc.bv(0), enc.bv(7)}).next);
    m.apply(op);
  };
  step(smt::kAttach, 1, 0, 0, {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"dev", "dev0"}, {"pt_id", 1}}});
  step(smt::kMap, 1, 0x100000, 0x1000, {"IOMMU_IOAS_MAP", {{"ioas_id", 1}, {"user_va", buf.va}, {"length", 0x1000}, {"iova", 0x100000}, {"flags", 7}}});
  step(smt::kUnmap, 1, 0x100000, 0x1000, {"IOMMU_IOAS_UNMAP", {{"ioas_id", 1}, {"iova", 0x100000}, {"length", 0x1000}}});
  auto [ok, at] = enc.translate(s, enc.bv(0), enc.bv(0x100000), enc.boolean(false));
  EXPECT_TRUE(ok.is_true()) << "the mutant keeps the stale translation";
  EXPECT_FALSE(m.translate("dev0", 0x100000, model::Access::Read).ok) << "the C++ model does not";
}
