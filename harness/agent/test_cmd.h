// IOMMU_TEST_CMD: the CONFIG_IOMMUFD_TEST mock ops, as the agent issues them.
//
// drivers/iommu/iommufd/iommufd_test.h is not a uAPI header (no kernel
// installs it), so the agent carries its own copy of the layout, limited to
// the union members it fills. Source: linux-source-7.2
// drivers/iommu/iommufd/iommufd_test.h:
//   - op values: the enum at lines 10-34 (MOCK_DOMAIN = 2, MD_CHECK_MAP = 3, MOCK_DOMAIN_REPLACE
//     = 10, MOCK_DOMAIN_FLAGS = 12, PASID_ATTACH = 18, PASID_REPLACE = 19,
//     PASID_DETACH = 20, PASID_CHECK_HWPT = 21);
//   - mock device flags: lines 63-66 (NO_DIRTY = 1 << 0, PASID = 1 << 2);
//   - struct iommu_test_cmd: lines 81-198 ({u32 size, op, id, __reserved}, a
//     union at offset 16 whose largest member, `dirty`, is 48 bytes of
//     8-byte-aligned fields, then u32 last at 64; sizeof 72);
//   - IOMMU_TEST_CMD: line 199, _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32).
// 6.12 has the same header layout and the same values for the ops it has (no
// PASID_* ops; its MOCK_DOMAIN_FLAGS accepts NO_DIRTY | HUGE_IOVA (1 << 1)).
// The kernel's minimum size is offsetofend(last) = 68
// (drivers/iommu/iommufd/main.c:517, IOCTL_OP(IOMMU_TEST_CMD, ..., last)).
#pragma once

#include <linux/iommufd.h>
#include <linux/ioctl.h>

#include <cstddef>
#include <cstdint>

namespace ioconform::agent {

enum : uint32_t {
  kTestOpMockDomain = 2,
  kTestOpMdCheckMap = 3,
  kTestOpMockDomainReplace = 10,
  kTestOpMockDomainFlags = 12,
  kTestOpPasidAttach = 18,
  kTestOpPasidReplace = 19,
  kTestOpPasidDetach = 20,
  kTestOpPasidCheckHwpt = 21,
};

enum : uint32_t {
  kMockFlagsDeviceNoDirty = 1u << 0,
  kMockFlagsDevicePasid = 1u << 2,
};

struct iommu_test_cmd {
  uint32_t size;
  uint32_t op;
  uint32_t id;
  uint32_t __reserved;
  union {
    struct {
      uint32_t out_stdev_id;
      uint32_t out_hwpt_id;
      uint32_t out_idev_id;
      uint32_t dev_flags;  // MOCK_DOMAIN_FLAGS only
    } mock_domain_flags;
    struct {
      uint32_t pt_id;
    } mock_domain_replace;
    struct {
      uint64_t iova;
      uint64_t length;
      uint64_t uptr;
    } check_map;
    struct {
      uint32_t pasid;
      uint32_t pt_id;
    } pasid_attach;  // also pasid_replace
    struct {
      uint32_t pasid;
    } pasid_detach;
    struct {
      uint32_t pasid;
      uint32_t hwpt_id;
    } pasid_check;
    // The header's largest member (`dirty`: u32 flags then five __aligned_u64)
    // sets the union's size and alignment.
    alignas(8) uint8_t union_size[48];
  };
  uint32_t last;
};

static_assert(offsetof(iommu_test_cmd, size) == 0 && offsetof(iommu_test_cmd, op) == 4 &&
              offsetof(iommu_test_cmd, id) == 8 && offsetof(iommu_test_cmd, __reserved) == 12);
static_assert(offsetof(iommu_test_cmd, mock_domain_flags.out_stdev_id) == 16 &&
              offsetof(iommu_test_cmd, mock_domain_flags.out_hwpt_id) == 20 &&
              offsetof(iommu_test_cmd, mock_domain_flags.out_idev_id) == 24 &&
              offsetof(iommu_test_cmd, mock_domain_flags.dev_flags) == 28);
static_assert(offsetof(iommu_test_cmd, mock_domain_replace.pt_id) == 16);
static_assert(offsetof(iommu_test_cmd, check_map.iova) == 16 && offsetof(iommu_test_cmd, check_map.length) == 24 &&
              offsetof(iommu_test_cmd, check_map.uptr) == 32);
static_assert(offsetof(iommu_test_cmd, pasid_attach.pasid) == 16 && offsetof(iommu_test_cmd, pasid_attach.pt_id) == 20);
static_assert(offsetof(iommu_test_cmd, pasid_detach.pasid) == 16);
static_assert(offsetof(iommu_test_cmd, pasid_check.pasid) == 16 && offsetof(iommu_test_cmd, pasid_check.hwpt_id) == 20);
static_assert(offsetof(iommu_test_cmd, last) == 64 && sizeof(iommu_test_cmd) == 72 && alignof(iommu_test_cmd) == 8);

inline constexpr unsigned long kIommuTestCmd = _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32);
static_assert(kIommuTestCmd == 0x3ba0);

// Whether this kernel has IOMMU_TEST_CMD at all (CONFIG_IOMMUFD_TEST): an op
// no version defines (0) gets EOPNOTSUPP from iommufd_test()'s default case
// when it does, and ENOTTY when the ioctl number is unknown. Opens and closes
// its own /dev/iommu, so no scenario's ids are touched.
bool kernel_has_iommufd_test();

// PASID_DETACH `pasid` of `stdev` on `iommufd`, bypassing the scenario's
// steps (teardown): 0 or the errno.
int test_pasid_detach(int iommufd, uint32_t stdev, uint32_t pasid);

}  // namespace ioconform::agent
