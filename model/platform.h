// The IOMMU hardware the devices sit behind, as the kernel driver describes it.
//
// Default: QEMU 7.2's emulated Intel VT-d (`-device intel-iommu,intremap=on`,
// aw-bits 39), driven by drivers/iommu/intel. Its paging domains accept 4 KiB
// pages (pgsize_bitmap lowest bit 4096, so attaching raises the IOAS alignment to
// 4096), their aperture is [0, 2^39 - 1] (iopt_table_add_domain reserves the rest),
// and every PCI device reports the x86 MSI window 0xfee00000-0xfeefffff as a
// reserved region (intel_iommu_get_resv_regions, IOMMU_RESV_MSI).
#pragma once
#include <vector>

#include "model/types.h"

namespace ioconform::model {

struct ReservedRegion {
  u64 start, last;
};

struct Platform {
  u64 pgsize_min = kPageSize;           // 1 << __ffs(domain->pgsize_bitmap)
  u64 aperture_start = 0;
  u64 aperture_end = (u64{1} << 39) - 1;  // QEMU intel-iommu aw-bits=39
  std::vector<ReservedRegion> device_resv = {{0xfee00000, 0xfeefffff}};
  bool thp = true;  // CONFIG_TRANSPARENT_HUGEPAGE: iopt_alloc_iova caps alignment at HPAGE_SIZE
  // Before 6.16 the VT-d driver set DMA_FL_PTE_PRESENT on every second-level leaf
  // PTE, which is the same bit as DMA_PTE_READ (drivers/iommu/intel/iommu.c:
  // __domain_mapping, `attr |= DMA_FL_PTE_PRESENT`; upstream eea53c581688 in
  // 5.12, reverted by 6f5dc7658094 in 6.16): a WRITEABLE-only area is readable by
  // the device. 7.2 (generic_pt vtdss_pt_iommu_set_prot) sets R only for
  // IOMMU_READ. Measured on 6.12.95 and 7.2.13 under QEMU 7.2.
  bool write_implies_read = false;

  static Platform intel_vtd() { return {}; }
  // The CONFIG_IOMMUFD_TEST mock IOMMU (drivers/iommu/iommufd/selftest.c): 2 KiB
  // pages (MOCK_PAGE_SIZE; 6.12: MOCK_IO_PAGE_SIZE = PAGE_SIZE / 2), the aperture
  // [MOCK_APERTURE_START, MOCK_APERTURE_LAST] = [2^24, 2^31 - 1]
  // (iommufd_test.h, set in mock_domain_alloc_pgtable / 6.12
  // mock_domain_alloc_paging), and no reserved regions (mock_ops has no
  // get_resv_regions).
  static Platform mock() {
    Platform p;
    p.pgsize_min = 2048;
    p.aperture_start = u64{1} << 24;
    p.aperture_end = (u64{1} << 31) - 1;
    p.device_resv = {};
    return p;
  }
};

}  // namespace ioconform::model
