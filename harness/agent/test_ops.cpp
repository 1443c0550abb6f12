// IOMMU_TEST_CMD mock ops (CONFIG_IOMMUFD_TEST): one handler per
// IOMMU_TEST_OP_* the scenario format names.
//
// The struct is the agent's copy of drivers/iommu/iommufd/iommufd_test.h
// (test_cmd.h). As for the uAPI ops, each handler fills the fields from the
// step's args (left out: zero; `size` defaults to 72, `id` and `__reserved` are
// fields like any other), issues the ioctl on the scenario's /dev/iommu fd and
// reports outputs only on success. The kernel side is
// drivers/iommu/iommufd/selftest.c (7.2):
//   - MOCK_DOMAIN / MOCK_DOMAIN_FLAGS (iommufd_test_mock_domain:1051): create a
//     mock device, bind it (an idev), RID-attach it to `id` (an IOAS or a
//     HWPT); the selftest object ("stdev") is what later ops name in `id`;
//   - MOCK_DOMAIN_REPLACE (:1137): RID replace of the stdev to `pt_id`;
//   - MD_CHECK_MAP (iommufd_test_md_check_pa:1187): `id` is a mock HWPT
//     (paging); 0 iff each mock page (2048 bytes) of [iova, iova + length)
//     translates in that HWPT's domain to the page of [uptr, ...) at the same
//     offset, else EINVAL (also for unaligned iova/length/uptr);
//   - PASID_ATTACH / PASID_REPLACE / PASID_DETACH (:1875, :1904, :1928):
//     iommufd_device_attach/replace/detach of the stdev's idev at `pasid`
//     (pasid 0 is the RID);
//   - PASID_CHECK_HWPT (:1829): 0 iff the domain attached at `pasid` is
//     `hwpt_id`'s (hwpt_id 0: iff nothing is attached there), else EINVAL.
// A kernel without an op answers EOPNOTSUPP (iommufd_test's default case; 6.12
// has no PASID_* op): a measured answer like any other.
//
// Besides the result, the handlers keep the agent's record of the PASIDs each
// stdev holds (scenario_context.h:MockDevices), so the scenario's teardown can
// detach them before the fd closes, and note the HWPT a mock device's attach
// made from an IOAS in the object graph.
#include <sys/ioctl.h>
#include <unistd.h>
#include <fcntl.h>

#include <cerrno>

#include "ops.h"
#include "step_error.h"
#include "test_cmd.h"

namespace ioconform::agent {
namespace {

const NameTable kMockDevFlags = {
    {"NO_DIRTY", kMockFlagsDeviceNoDirty},
    {"PASID", kMockFlagsDevicePasid},
};

StepOutcome outcome(const RawCall& c) { return StepOutcome{c.ret, c.err, nlohmann::json::object(), nullptr}; }

// A command with the header fields every op shares: `id` and `__reserved`.
iommu_test_cmd command(uint32_t op, StepArgs& a) {
  iommu_test_cmd s{};
  s.op = op;
  s.id = a.u32("id");
  s.__reserved = a.u32("__reserved");
  return s;
}

// An attach to an IOAS answers with the automatic HWPT it made or joined.
void note_pt(ScenarioContext& ctx, uint32_t asked, uint32_t got) {
  if (got != asked) ctx.objects.hwpt_allocated(got, asked);
}

StepOutcome mock_domain(ScenarioContext& ctx, StepArgs& a, uint32_t op) {
  iommu_test_cmd s = command(op, a);
  if (op == kTestOpMockDomainFlags) s.mock_domain_flags.dev_flags = static_cast<uint32_t>(a.named("dev_flags", kMockDevFlags));
  auto r = outcome(issue(ctx.iommufd, kIommuTestCmd, s, a, "size"));
  if (r.err == 0) {
    r.out["out_stdev_id"] = s.mock_domain_flags.out_stdev_id;
    r.out["out_hwpt_id"] = s.mock_domain_flags.out_hwpt_id;
    r.out["out_idev_id"] = s.mock_domain_flags.out_idev_id;
    ctx.mocks.created(s.mock_domain_flags.out_stdev_id);
    note_pt(ctx, s.id, s.mock_domain_flags.out_hwpt_id);
  }
  return r;
}

StepOutcome pasid_attach(ScenarioContext& ctx, StepArgs& a, uint32_t op) {
  iommu_test_cmd s = command(op, a);
  s.pasid_attach.pasid = a.u32("pasid");
  s.pasid_attach.pt_id = a.u32("pt_id");
  const uint32_t asked = s.pasid_attach.pt_id;
  auto r = outcome(issue(ctx.iommufd, kIommuTestCmd, s, a, "size"));
  if (r.err == 0) {
    r.out["pt_id"] = s.pasid_attach.pt_id;
    ctx.mocks.pasid_attached(s.id, s.pasid_attach.pasid);
    note_pt(ctx, asked, s.pasid_attach.pt_id);
  }
  return r;
}

}  // namespace

StepOutcome op_test_mock_domain(ScenarioContext& ctx, StepArgs& a) { return mock_domain(ctx, a, kTestOpMockDomain); }

StepOutcome op_test_mock_domain_flags(ScenarioContext& ctx, StepArgs& a) {
  return mock_domain(ctx, a, kTestOpMockDomainFlags);
}

StepOutcome op_test_mock_domain_replace(ScenarioContext& ctx, StepArgs& a) {
  iommu_test_cmd s = command(kTestOpMockDomainReplace, a);
  s.mock_domain_replace.pt_id = a.u32("pt_id");
  const uint32_t asked = s.mock_domain_replace.pt_id;
  auto r = outcome(issue(ctx.iommufd, kIommuTestCmd, s, a, "size"));
  if (r.err == 0) {
    r.out["pt_id"] = s.mock_domain_replace.pt_id;
    note_pt(ctx, asked, s.mock_domain_replace.pt_id);
  }
  return r;
}

StepOutcome op_test_md_check_map(ScenarioContext& ctx, StepArgs& a) {
  iommu_test_cmd s = command(kTestOpMdCheckMap, a);
  s.check_map.iova = a.u64("iova");
  s.check_map.length = a.u64("length");
  s.check_map.uptr = a.u64("uptr");
  return outcome(issue(ctx.iommufd, kIommuTestCmd, s, a, "size"));
}

StepOutcome op_test_pasid_attach(ScenarioContext& ctx, StepArgs& a) { return pasid_attach(ctx, a, kTestOpPasidAttach); }

// A successful replace means the pasid was attached (iommufd_device_do_replace
// answers EINVAL otherwise), so the record does not change; recording it again
// is harmless.
StepOutcome op_test_pasid_replace(ScenarioContext& ctx, StepArgs& a) {
  return pasid_attach(ctx, a, kTestOpPasidReplace);
}

// Always 0 once the stdev resolves (iommufd_test_pasid_detach:1928; detaching
// an unattached pasid does nothing): the pasid is no longer held either way.
StepOutcome op_test_pasid_detach(ScenarioContext& ctx, StepArgs& a) {
  iommu_test_cmd s = command(kTestOpPasidDetach, a);
  s.pasid_detach.pasid = a.u32("pasid");
  auto r = outcome(issue(ctx.iommufd, kIommuTestCmd, s, a, "size"));
  if (r.err == 0) ctx.mocks.pasid_detached(s.id, s.pasid_detach.pasid);
  return r;
}

StepOutcome op_test_pasid_check_hwpt(ScenarioContext& ctx, StepArgs& a) {
  iommu_test_cmd s = command(kTestOpPasidCheckHwpt, a);
  s.pasid_check.pasid = a.u32("pasid");
  s.pasid_check.hwpt_id = a.u32("hwpt_id");
  return outcome(issue(ctx.iommufd, kIommuTestCmd, s, a, "size"));
}

bool kernel_has_iommufd_test() {
  int fd = ::open("/dev/iommu", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  iommu_test_cmd s{};
  s.size = sizeof(s);
  s.op = 0;
  const bool has = ::ioctl(fd, kIommuTestCmd, &s) != 0 && errno == EOPNOTSUPP;
  ::close(fd);
  return has;
}

int test_pasid_detach(int iommufd, uint32_t stdev, uint32_t pasid) {
  iommu_test_cmd s{};
  s.size = sizeof(s);
  s.op = kTestOpPasidDetach;
  s.id = stdev;
  s.pasid_detach.pasid = pasid;
  return ::ioctl(iommufd, kIommuTestCmd, &s) == 0 ? 0 : errno;
}

}  // namespace ioconform::agent
