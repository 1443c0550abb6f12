// The IOAS ioctls (drivers/iommu/iommufd/ioas.c): alloc, iova_ranges,
// allow_iovas, map, map_file, copy, unmap and the IOAS options. Each takes the
// already size-checked op and answers exactly as the kernel's handler does.
#pragma once
#include "model/op.h"
#include "model/state.h"

namespace ioconform::model {

StepResult ioas_alloc(State& s, const Op& op);
StepResult ioas_iova_ranges(State& s, const Op& op);
StepResult ioas_allow_iovas(State& s, const Op& op);
StepResult ioas_map(State& s, const Op& op);
StepResult ioas_map_file(State& s, const Op& op);
StepResult ioas_copy(State& s, const Op& op);
StepResult ioas_unmap(State& s, const Op& op);
StepResult option(State& s, const Op& op);
// iommufd_ioas_destroy(): unmaps every area (mappings do not hold the IOAS).
void ioas_destroy(State& s, u32 id);

// Whether every page of [va, va + length) can be pinned (pin_user_pages_fast):
// it lies in a buffer of the process.
bool user_range_pinnable(const State& s, u64 va, u64 length);

}  // namespace ioconform::model
