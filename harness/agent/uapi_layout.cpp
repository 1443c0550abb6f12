// Build-time check of the uAPI struct layouts the agent fills.
//
// The agent is compiled against one kernel's uAPI headers (7.2 by default,
// IOCONFORM_CACHE/headers/7.2/include). These are the sizes and offsets the
// scenario format's field names map to; if a header moves a field, the build
// breaks here instead of a campaign silently sending a different struct.
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include <cstddef>

namespace {

static_assert(sizeof(iommu_destroy) == 8);
static_assert(sizeof(iommu_ioas_alloc) == 12 && offsetof(iommu_ioas_alloc, out_ioas_id) == 8);
static_assert(sizeof(iommu_ioas_map) == 40 && offsetof(iommu_ioas_map, user_va) == 16 &&
              offsetof(iommu_ioas_map, iova) == 32);
static_assert(sizeof(iommu_ioas_map_file) == 40 && offsetof(iommu_ioas_map_file, fd) == 12 &&
              offsetof(iommu_ioas_map_file, iova) == 32);
static_assert(sizeof(iommu_ioas_copy) == 40 && offsetof(iommu_ioas_copy, src_iova) == 32);
static_assert(sizeof(iommu_ioas_unmap) == 24 && offsetof(iommu_ioas_unmap, length) == 16);
static_assert(sizeof(iommu_ioas_iova_ranges) == 32 && offsetof(iommu_ioas_iova_ranges, out_iova_alignment) == 24);
static_assert(sizeof(iommu_ioas_allow_iovas) == 24 && offsetof(iommu_ioas_allow_iovas, allowed_iovas) == 16);
static_assert(sizeof(iommu_iova_range) == 16);
static_assert(sizeof(iommu_option) == 24 && offsetof(iommu_option, op) == 8 && offsetof(iommu_option, val64) == 16);
static_assert(sizeof(iommu_hwpt_alloc) == 48 && offsetof(iommu_hwpt_alloc, out_hwpt_id) == 16 &&
              offsetof(iommu_hwpt_alloc, fault_id) == 40);
static_assert(sizeof(vfio_device_bind_iommufd) == 24 && offsetof(vfio_device_bind_iommufd, out_devid) == 12);
static_assert(sizeof(vfio_device_attach_iommufd_pt) == 16 && offsetof(vfio_device_attach_iommufd_pt, pt_id) == 8);
static_assert(sizeof(vfio_device_detach_iommufd_pt) == 12);

}  // namespace
