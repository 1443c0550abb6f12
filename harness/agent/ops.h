// The ops the agent can execute: the kernel's ioctl names plus the DMA probes.
//
// Each handler reads its arguments through StepArgs (which rejects unknown
// keys), issues the real ioctl with the kernel's own struct from the 7.2 uAPI
// headers, and reports what the kernel answered. Handlers are grouped by uAPI
// file: iommufd_ops.cpp (<linux/iommufd.h>), vfio_ops.cpp (<linux/vfio.h>),
// test_ops.cpp (IOMMU_TEST_CMD, the CONFIG_IOMMUFD_TEST mock ops, with the
// agent's own copy of the struct: test_cmd.h), dma_probes.cpp (edu DMA, no ioctl).
#pragma once

#include <string>

#include "ioctl_call.h"
#include "scenario_context.h"
#include "step_args.h"

namespace ioconform::agent {

using OpHandler = StepOutcome (*)(ScenarioContext&, StepArgs&);

// nullptr for an op the agent does not implement.
OpHandler find_op(const std::string& op);

StepOutcome op_ioas_alloc(ScenarioContext&, StepArgs&);
StepOutcome op_destroy(ScenarioContext&, StepArgs&);
StepOutcome op_ioas_map(ScenarioContext&, StepArgs&);
StepOutcome op_ioas_map_file(ScenarioContext&, StepArgs&);
StepOutcome op_ioas_copy(ScenarioContext&, StepArgs&);
StepOutcome op_ioas_unmap(ScenarioContext&, StepArgs&);
StepOutcome op_ioas_iova_ranges(ScenarioContext&, StepArgs&);
StepOutcome op_ioas_allow_iovas(ScenarioContext&, StepArgs&);
StepOutcome op_option(ScenarioContext&, StepArgs&);
StepOutcome op_hwpt_alloc(ScenarioContext&, StepArgs&);

StepOutcome op_vfio_bind_iommufd(ScenarioContext&, StepArgs&);
StepOutcome op_vfio_attach_pt(ScenarioContext&, StepArgs&);
StepOutcome op_vfio_detach_pt(ScenarioContext&, StepArgs&);

StepOutcome op_test_mock_domain(ScenarioContext&, StepArgs&);
StepOutcome op_test_mock_domain_flags(ScenarioContext&, StepArgs&);
StepOutcome op_test_mock_domain_replace(ScenarioContext&, StepArgs&);
StepOutcome op_test_md_check_map(ScenarioContext&, StepArgs&);
StepOutcome op_test_pasid_attach(ScenarioContext&, StepArgs&);
StepOutcome op_test_pasid_replace(ScenarioContext&, StepArgs&);
StepOutcome op_test_pasid_detach(ScenarioContext&, StepArgs&);
StepOutcome op_test_pasid_check_hwpt(ScenarioContext&, StepArgs&);

StepOutcome op_dma_read(ScenarioContext&, StepArgs&);
StepOutcome op_dma_write(ScenarioContext&, StepArgs&);

}  // namespace ioconform::agent
