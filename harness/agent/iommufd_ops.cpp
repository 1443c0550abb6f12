// iommufd ioctls (<linux/iommufd.h>): one handler per IOMMUFD_CMD_*.
//
// Each handler fills the kernel struct field by field from the step's args
// (fields left out stay zero), issues it on the scenario's /dev/iommu fd and
// reports the output fields the format doc lists, only on success, except
// IOMMU_IOAS_IOVA_RANGES, whose EMSGSIZE answer carries the num_iovas the
// caller needs (drivers/iommu/iommufd/ioas.c:iommufd_ioas_iova_ranges()
// responds before returning -EMSGSIZE).
#include <linux/iommufd.h>

#include <vector>

#include "ops.h"
#include "step_error.h"

namespace ioconform::agent {
namespace {

const NameTable kMapFlags = {
    {"FIXED_IOVA", IOMMU_IOAS_MAP_FIXED_IOVA},
    {"WRITEABLE", IOMMU_IOAS_MAP_WRITEABLE},
    {"READABLE", IOMMU_IOAS_MAP_READABLE},
};
const NameTable kHwptFlags = {
    {"NEST_PARENT", IOMMU_HWPT_ALLOC_NEST_PARENT},
    {"DIRTY_TRACKING", IOMMU_HWPT_ALLOC_DIRTY_TRACKING},
    {"FAULT_ID_VALID", IOMMU_HWPT_FAULT_ID_VALID},
    {"PASID", IOMMU_HWPT_ALLOC_PASID},
};
const NameTable kHwptDataTypes = {
    {"NONE", IOMMU_HWPT_DATA_NONE},
    {"VTD_S1", IOMMU_HWPT_DATA_VTD_S1},
    {"ARM_SMMUV3", IOMMU_HWPT_DATA_ARM_SMMUV3},
};
const NameTable kOptionIds = {
    {"RLIMIT_MODE", IOMMU_OPTION_RLIMIT_MODE},
    {"HUGE_PAGES", IOMMU_OPTION_HUGE_PAGES},
};
const NameTable kOptionOps = {
    {"SET", IOMMU_OPTION_OP_SET},
    {"GET", IOMMU_OPTION_OP_GET},
};

StepOutcome outcome(const RawCall& c) { return StepOutcome{c.ret, c.err, nlohmann::json::object(), nullptr}; }

std::vector<iommu_iova_range> ranges_from(StepArgs& a, const std::string& key) {
  std::vector<iommu_iova_range> out;
  if (!a.has(key)) return out;
  const nlohmann::json& list = a.raw(key);
  if (!list.is_array()) throw StepError(key + ": expected a list of {start,last}");
  for (const auto& r : list) {
    if (!r.is_object() || r.size() != 2 || !r.contains("start") || !r.contains("last"))
      throw StepError(key + ": each range is exactly {\"start\", \"last\"}");
    out.push_back(iommu_iova_range{a.value(r.at("start"), key + ".start"), a.value(r.at("last"), key + ".last")});
  }
  return out;
}

}  // namespace

StepOutcome op_ioas_alloc(ScenarioContext& ctx, StepArgs& a) {
  iommu_ioas_alloc s{};
  s.flags = a.u32("flags");
  auto r = outcome(issue(ctx.iommufd, IOMMU_IOAS_ALLOC, s, a, "size"));
  if (r.err == 0) {
    r.out["out_ioas_id"] = s.out_ioas_id;
    ctx.objects.ioas_allocated(s.out_ioas_id);
  }
  return r;
}

// Destroying a mock device's stdev while it holds a PASID is the scenario's
// to measure (the agent does not detach first), but the kernel WARNs on it
// (scenario_context.h:MockDevices): the step then carries the kernel's
// WARNING lines (scenario_runner.cpp: `kernel_warnings`).
StepOutcome op_destroy(ScenarioContext& ctx, StepArgs& a) {
  iommu_destroy s{};
  s.id = a.u32("id");
  auto r = outcome(issue(ctx.iommufd, IOMMU_DESTROY, s, a, "size"));
  if (r.err == 0) {
    ctx.objects.destroyed(s.id);
    ctx.mocks.destroyed(s.id);
  }
  return r;
}

StepOutcome op_ioas_map(ScenarioContext& ctx, StepArgs& a) {
  iommu_ioas_map s{};
  s.flags = static_cast<uint32_t>(a.named("flags", kMapFlags));
  s.ioas_id = a.u32("ioas_id");
  s.__reserved = a.u32("__reserved");
  s.user_va = a.u64("user_va");
  s.length = a.u64("length");
  s.iova = a.u64("iova");
  auto r = outcome(issue(ctx.iommufd, IOMMU_IOAS_MAP, s, a, "size"));
  if (r.err == 0) r.out["iova"] = s.iova;
  return r;
}

StepOutcome op_ioas_map_file(ScenarioContext& ctx, StepArgs& a) {
  iommu_ioas_map_file s{};
  s.flags = static_cast<uint32_t>(a.named("flags", kMapFlags));
  s.ioas_id = a.u32("ioas_id");
  s.fd = a.has("fd") ? a.fd("fd") : 0;
  s.start = a.u64("start");
  s.length = a.u64("length");
  s.iova = a.u64("iova");
  auto r = outcome(issue(ctx.iommufd, IOMMU_IOAS_MAP_FILE, s, a, "size"));
  if (r.err == 0) r.out["iova"] = s.iova;
  return r;
}

StepOutcome op_ioas_copy(ScenarioContext& ctx, StepArgs& a) {
  iommu_ioas_copy s{};
  s.flags = static_cast<uint32_t>(a.named("flags", kMapFlags));
  s.dst_ioas_id = a.u32("dst_ioas_id");
  s.src_ioas_id = a.u32("src_ioas_id");
  s.length = a.u64("length");
  s.dst_iova = a.u64("dst_iova");
  s.src_iova = a.u64("src_iova");
  auto r = outcome(issue(ctx.iommufd, IOMMU_IOAS_COPY, s, a, "size"));
  if (r.err == 0) r.out["dst_iova"] = s.dst_iova;
  return r;
}

StepOutcome op_ioas_unmap(ScenarioContext& ctx, StepArgs& a) {
  iommu_ioas_unmap s{};
  s.ioas_id = a.u32("ioas_id");
  s.iova = a.u64("iova");
  s.length = a.u64("length");
  auto r = outcome(issue(ctx.iommufd, IOMMU_IOAS_UNMAP, s, a, "size"));
  if (r.err == 0) r.out["length"] = s.length;
  return r;
}

StepOutcome op_ioas_iova_ranges(ScenarioContext& ctx, StepArgs& a) {
  iommu_ioas_iova_ranges s{};
  s.ioas_id = a.u32("ioas_id");
  s.num_iovas = a.u32("num_iovas");
  s.__reserved = a.u32("__reserved");
  const uint32_t capacity = s.num_iovas;
  std::vector<iommu_iova_range> ranges(capacity ? capacity : 1);
  s.allowed_iovas = a.u64("allowed_iovas", reinterpret_cast<uint64_t>(ranges.data()));
  s.out_iova_alignment = a.u64("out_iova_alignment");
  auto r = outcome(issue(ctx.iommufd, IOMMU_IOAS_IOVA_RANGES, s, a, "size"));
  // iommufd_ioas_iova_ranges() copies the ranges that fit and responds with the
  // whole struct before returning -EMSGSIZE: on EMSGSIZE every output is real.
  if (r.err == 0 || r.err == EMSGSIZE) {
    r.out["num_iovas"] = s.num_iovas;
    r.out["out_iova_alignment"] = s.out_iova_alignment;
    nlohmann::json list = nlohmann::json::array();
    for (uint32_t i = 0; i < std::min(capacity, s.num_iovas); ++i)
      list.push_back({{"start", ranges[i].start}, {"last", ranges[i].last}});
    r.out["ranges"] = list;
  }
  return r;
}

StepOutcome op_ioas_allow_iovas(ScenarioContext& ctx, StepArgs& a) {
  iommu_ioas_allow_iovas s{};
  std::vector<iommu_iova_range> ranges = ranges_from(a, "ranges");
  s.ioas_id = a.u32("ioas_id");
  s.num_iovas = a.u32("num_iovas", static_cast<uint32_t>(ranges.size()));
  s.__reserved = a.u32("__reserved");
  if (ranges.empty()) ranges.resize(1);  // a valid pointer even for zero ranges
  s.allowed_iovas = a.u64("allowed_iovas", reinterpret_cast<uint64_t>(ranges.data()));
  return outcome(issue(ctx.iommufd, IOMMU_IOAS_ALLOW_IOVAS, s, a, "size"));
}

StepOutcome op_option(ScenarioContext& ctx, StepArgs& a) {
  iommu_option s{};
  s.option_id = static_cast<uint32_t>(a.named("option_id", kOptionIds));
  uint64_t op = a.named("op", kOptionOps);
  if (op > UINT16_MAX) throw StepError("op: value does not fit the u16 field");
  s.op = static_cast<uint16_t>(op);
  s.__reserved = a.u16("__reserved");
  s.object_id = a.u32("object_id");
  s.val64 = a.u64("val64");
  auto r = outcome(issue(ctx.iommufd, IOMMU_OPTION, s, a, "size"));
  // iommufd_option() copies val64 back on every success, SET included.
  if (r.err == 0) r.out["val64"] = s.val64;
  return r;
}

StepOutcome op_hwpt_alloc(ScenarioContext& ctx, StepArgs& a) {
  iommu_hwpt_alloc s{};
  s.flags = static_cast<uint32_t>(a.named("flags", kHwptFlags));
  s.dev_id = a.u32("dev_id");
  s.pt_id = a.u32("pt_id");
  s.__reserved = a.u32("__reserved");
  s.data_type = static_cast<uint32_t>(a.named("data_type", kHwptDataTypes));
  s.data_len = a.u32("data_len");
  s.data_uptr = a.u64("data_uptr");
  s.fault_id = a.u32("fault_id");
  s.__reserved2 = a.u32("__reserved2");
  auto r = outcome(issue(ctx.iommufd, IOMMU_HWPT_ALLOC, s, a, "size"));
  if (r.err == 0) {
    r.out["out_hwpt_id"] = s.out_hwpt_id;
    // A nested HWPT translates through a user page table, not its parent's
    // IOAS: the probes must not read back through it, so it gets no parent.
    if (s.data_type == IOMMU_HWPT_DATA_NONE) ctx.objects.hwpt_allocated(s.out_hwpt_id, s.pt_id);
  }
  return r;
}

}  // namespace ioconform::agent
