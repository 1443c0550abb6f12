// The model's entry point; see model.h. The generic part mirrors
// drivers/iommu/iommufd/main.c:iommufd_fops_ioctl().
#include "model/model.h"

#include <stdexcept>

#include "model/device.h"
#include "model/hw_pagetable.h"
#include "model/ioas.h"
#include "model/selftest.h"
#include "spec/catalogue.h"

namespace ioconform::model {

Model::Model(ModelConfig config) {
  // See Platform::write_implies_read: the VT-d driver's write-only PTEs before 6.16.
  if (!spec::version_satisfies(config.version, ">=6.16")) config.platform.write_implies_read = true;
  state_.config = config;
}

const Buffer& Model::add_buffer(const std::string& name, u64 pages, bool memfd, u64 align) {
  return state_.memory.add(name, pages, memfd, align);
}

void Model::add_device(const std::string& name, const std::string& group_label) {
  if (state_.device_by_name(name)) throw std::invalid_argument("device " + name + " defined twice");
  // An edu device on its own root-bus slot is alone in its IOMMU group; devices
  // behind one PCI bridge share the bridge's requester id and so its group
  // (drivers/iommu/iommu.c:pci_device_group).
  size_t group = state_.groups.size();
  for (size_t g = 0; g < state_.groups.size() && !group_label.empty(); g++)
    if (state_.groups[g].label == group_label) group = g;
  if (group == state_.groups.size()) state_.groups.push_back(Group{group_label, 0, {}, {}});
  Device dev;
  dev.name = name;
  dev.group = group;
  state_.devices.push_back(dev);
}

StepResult Model::apply(const Op& given) {
  if (given.name == "DMA_READ") return probe(given, Access::Read);
  if (given.name == "DMA_WRITE") return probe(given, Access::Write);
  const spec::Ioctl* io = spec::Catalogue::get().ioctl(given.name);
  if (!io) throw std::invalid_argument("unknown op '" + given.name + "'");
  // The kernel sees only as many bits as each struct field holds: a u32 field
  // given 2^32 + 1 reads 1. Truncate as the struct assignment does.
  Op op = given;
  for (const auto& f : io->fields)
    if (f.size < 8 && op.args.contains(f.name) && op.args[f.name].is_number_unsigned())
      op.args[f.name] = op.args[f.name].get<u64>() & ((u64{1} << (8 * f.size)) - 1);
  if (!io->since.empty() && !spec::version_satisfies(state_.config.version, io->since))
    return from(fail("ioctl.not_in_this_kernel"));
  if (io->type == "iommufd" || io->type == "iommufd_test") {
    // With __trailing the caller places 8 more bytes after the struct, and the
    // size covers them unless the scenario says otherwise.
    const u64 size = op.arg("size", io->size + (op.has("__trailing") ? 8 : 0));
    if (size < io->min_size) return from(fail("ioctl.size_below_min"));
    if (size > io->size && op.arg("__trailing")) return from(fail("ioctl.trailing_nonzero"));
  }
  if (op.name == "IOMMU_DESTROY") return destroy(op);
  if (op.name == "IOMMU_IOAS_ALLOC") return ioas_alloc(state_, op);
  if (op.name == "IOMMU_IOAS_IOVA_RANGES") return ioas_iova_ranges(state_, op);
  if (op.name == "IOMMU_IOAS_ALLOW_IOVAS") return ioas_allow_iovas(state_, op);
  if (op.name == "IOMMU_IOAS_MAP") return ioas_map(state_, op);
  if (op.name == "IOMMU_IOAS_MAP_FILE") return ioas_map_file(state_, op);
  if (op.name == "IOMMU_IOAS_COPY") return ioas_copy(state_, op);
  if (op.name == "IOMMU_IOAS_UNMAP") return ioas_unmap(state_, op);
  if (op.name == "IOMMU_OPTION") return option(state_, op);
  if (op.name == "IOMMU_HWPT_ALLOC") return hwpt_alloc(state_, op);
  if (op.name == "VFIO_DEVICE_BIND_IOMMUFD") return vfio_bind(state_, op);
  if (op.name == "VFIO_DEVICE_ATTACH_IOMMUFD_PT") return vfio_attach(state_, op);
  if (op.name == "VFIO_DEVICE_DETACH_IOMMUFD_PT") return vfio_detach(state_, op);
  if (op.name == "IOMMU_TEST_OP_MOCK_DOMAIN" || op.name == "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS")
    return test_mock_domain(state_, op);
  if (op.name == "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE") return test_mock_domain_replace(state_, op);
  if (op.name == "IOMMU_TEST_OP_PASID_ATTACH") return test_pasid_attach(state_, op);
  if (op.name == "IOMMU_TEST_OP_PASID_REPLACE") return test_pasid_replace(state_, op);
  if (op.name == "IOMMU_TEST_OP_PASID_DETACH") return test_pasid_detach(state_, op);
  if (op.name == "IOMMU_TEST_OP_PASID_CHECK_HWPT") return test_pasid_check_hwpt(state_, op);
  if (op.name == "IOMMU_TEST_OP_MD_CHECK_MAP") return test_md_check_map(state_, op);
  throw std::invalid_argument("op '" + op.name + "' is in the spec but not modelled");
}

// iommufd_destroy() -> iommufd_object_remove(): any type, refused while referenced.
StepResult Model::destroy(const Op& op) {
  const u32 id = static_cast<u32>(op.arg("id"));
  Decision d = state_.objects.remove_by_user(id);
  if (!d.ok()) return from(d);
  switch (state_.objects.find(id)->type) {
    case ObjType::Ioas:
      ioas_destroy(state_, id);
      state_.objects.erase(id);
      break;
    case ObjType::HwptPaging:
      hwpt_paging_destroy(state_, id);
      break;
    case ObjType::Selftest:
      selftest_destroy(state_, id);
      break;
    case ObjType::Device:
    case ObjType::Access:
      state_.objects.erase(id);  // unreachable: VFIO holds devices (users >= 1)
      break;
  }
  return {};
}

StepResult Model::probe(const Op& op, Access access) const {
  if (!op.args.contains("dev") || !op.args.at("dev").is_string())
    throw std::invalid_argument(op.name + ": 'dev' must name a device");
  const std::string dev = op.args.at("dev").get<std::string>();
  if (!state_.devices.empty() && !const_cast<State&>(state_).device_by_name(dev))
    throw std::invalid_argument(op.name + ": no device '" + dev + "' in the setup");
  Translation t = translate(dev, op.arg("iova"), access);
  StepResult r;
  r.out["result"] = t.ok ? "ok" : "fault";
  if (t.ok) {
    r.out["buffer"] = t.buffer;
    r.out["offset"] = t.offset;
  }
  return r;
}

}  // namespace ioconform::model
