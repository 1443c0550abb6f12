// find_op: op name -> handler. The names are the kernel's ioctl macro names
// (IOMMU_TEST_CMD ops: the IOMMU_TEST_OP_* names of iommufd_test.h).
#include <map>

#include "ops.h"

namespace ioconform::agent {

OpHandler find_op(const std::string& op) {
  static const std::map<std::string, OpHandler> table = {
      {"IOMMU_IOAS_ALLOC", op_ioas_alloc},
      {"IOMMU_DESTROY", op_destroy},
      {"IOMMU_IOAS_MAP", op_ioas_map},
      {"IOMMU_IOAS_MAP_FILE", op_ioas_map_file},
      {"IOMMU_IOAS_COPY", op_ioas_copy},
      {"IOMMU_IOAS_UNMAP", op_ioas_unmap},
      {"IOMMU_IOAS_IOVA_RANGES", op_ioas_iova_ranges},
      {"IOMMU_IOAS_ALLOW_IOVAS", op_ioas_allow_iovas},
      {"IOMMU_OPTION", op_option},
      {"IOMMU_HWPT_ALLOC", op_hwpt_alloc},
      {"VFIO_DEVICE_BIND_IOMMUFD", op_vfio_bind_iommufd},
      {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", op_vfio_attach_pt},
      {"VFIO_DEVICE_DETACH_IOMMUFD_PT", op_vfio_detach_pt},
      {"IOMMU_TEST_OP_MOCK_DOMAIN", op_test_mock_domain},
      {"IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS", op_test_mock_domain_flags},
      {"IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE", op_test_mock_domain_replace},
      {"IOMMU_TEST_OP_MD_CHECK_MAP", op_test_md_check_map},
      {"IOMMU_TEST_OP_PASID_ATTACH", op_test_pasid_attach},
      {"IOMMU_TEST_OP_PASID_REPLACE", op_test_pasid_replace},
      {"IOMMU_TEST_OP_PASID_DETACH", op_test_pasid_detach},
      {"IOMMU_TEST_OP_PASID_CHECK_HWPT", op_test_pasid_check_hwpt},
      {"DMA_READ", op_dma_read},
      {"DMA_WRITE", op_dma_write},
  };
  auto it = table.find(op);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace ioconform::agent
