// The reference model of iommufd: state + apply(op) + translate().
//
// apply() answers one op exactly as Linux does: errno (through a spec rule id)
// and outputs. It runs the generic ioctl path first (the ioctl exists in this
// kernel version, size/argsz rules), then the op's handler. Probes (DMA_READ,
// DMA_WRITE) are answered by the translation oracle.
#pragma once
#include <string>

#include "model/op.h"
#include "model/state.h"
#include "model/translate.h"

namespace ioconform::model {

class Model {
 public:
  explicit Model(ModelConfig config = {});

  // Setup: the scenario's buffers and devices, before any op.
  const Buffer& add_buffer(const std::string& name, u64 pages, bool memfd, u64 align);
  // Devices with the same non-empty `group_label` share one IOMMU group (on the
  // emulated platform: behind one conventional PCI bridge); without a label a
  // device is alone in its group.
  void add_device(const std::string& name, const std::string& group_label = "");

  // Throws std::invalid_argument for a malformed op (unknown name, missing
  // device): a scenario error, never a kernel errno.
  StepResult apply(const Op& op);

  Translation translate(const std::string& device, u64 iova, Access access) const {
    return model::translate(state_, device, std::nullopt, iova, access);
  }
  // A DMA tagged with `pasid` (0 is the RID, as IOMMU_NO_PASID).
  Translation translate(const std::string& device, u32 pasid, u64 iova, Access access) const {
    return model::translate(state_, device, pasid, iova, access);
  }
  const State& state() const { return state_; }

 private:
  StepResult destroy(const Op& op);
  StepResult probe(const Op& op, Access access) const;
  State state_;
};

}  // namespace ioconform::model
