// Paging HWPTs (drivers/iommu/iommufd/hw_pagetable.c): one iommu_domain each,
// holding a reference on its IOAS and filled with the IOAS's areas.
//
// Two ways in: IOMMU_HWPT_ALLOC (a manual HWPT, its domain added to the IOAS at
// once, which raises the IOAS alignment even with no device attached), and the
// automatic domain an attach to an IOAS creates (auto_domain: never picked for a
// manual attach, destroyed when its last device goes).
#pragma once
#include "model/op.h"
#include "model/state.h"

namespace ioconform::model {

StepResult hwpt_alloc(State& s, const Op& op);

// iommufd_hwpt_paging_alloc(): allocates the object (id), takes the IOAS
// reference, optionally attaches `dev` at `pasid` first (immediate_attach, the
// auto-domain path) and adds the domain (of `dev`'s IOMMU) to the IOAS. On
// failure nothing remains, the id included.
Decision hwpt_paging_alloc(State& s, u32 ioas_id, Device& dev, bool immediate_attach, u32* hwpt_id,
                           bool pasid_compat = false, u32 pasid = 0);
// Destroys a paging HWPT with no users: removes its domain from the IOAS.
void hwpt_paging_destroy(State& s, u32 hwpt_id);

}  // namespace ioconform::model
