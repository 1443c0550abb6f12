// The CONFIG_IOMMUFD_TEST ops (IOMMU_TEST_CMD, drivers/iommu/iommufd/selftest.c)
// the model answers: mock devices and their PASID attachments.
//
// IOMMU_TEST_OP_MOCK_DOMAIN(_FLAGS) creates a selftest object, a mock device
// behind the mock IOMMU (in an IOMMU group of its own; Platform::mock()), binds
// it to this iommufd and attaches its RID to `id` (an IOAS or a HWPT), in that
// order, so the ids are: selftest object, device, then an automatic HWPT. Any
// failure undoes all of it, ids included. IOMMU_DESTROY of the selftest object
// detaches the RID, unbinds and removes the device.
//
// The PASID ops call the iommufd core directly (model/device.h), with no VFIO
// in between: a second attach of a PASID is EBUSY (VFIO would replace), and
// PASID 0 is the RID (PASID_DETACH 0 is the only way to leave a mock RID
// blocked). PASID_CHECK_HWPT reads the IOMMU core's attach handle at
// (group, pasid): the domain a PASID-tagged DMA would be translated by, which
// is the observable the translation oracle answers for.
#pragma once
#include "model/op.h"
#include "model/state.h"

namespace ioconform::model {

StepResult test_mock_domain(State& s, const Op& op);
StepResult test_mock_domain_replace(State& s, const Op& op);
StepResult test_pasid_attach(State& s, const Op& op);
StepResult test_pasid_replace(State& s, const Op& op);
StepResult test_pasid_detach(State& s, const Op& op);
StepResult test_pasid_check_hwpt(State& s, const Op& op);
// IOMMU_TEST_OP_MD_CHECK_MAP: whether each mock page (2 KiB) of
// [iova, iova + length) in a mock HWPT's domain maps the same physical byte as
// the user VA `uptr` does: the contents half of a PASID's translation (which
// domain: PASID_CHECK_HWPT).
StepResult test_md_check_map(State& s, const Op& op);
// IOMMU_DESTROY of a selftest object (iommufd_selftest_destroy).
void selftest_destroy(State& s, u32 stdev_id);

}  // namespace ioconform::model
