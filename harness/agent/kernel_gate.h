// KernelGate: a scenario's `kernel` field (">=6.12", "<7.0", ">=6.12,<7.2")
// checked against the running kernel's release (uname -r, e.g. "7.2.13").
// Versions compare numerically component by component, missing components are
// zero; a scenario outside its gate is skipped, not failed.
#pragma once

#include <string>

namespace ioconform::agent {

// Throws StepError on a malformed gate.
bool kernel_in_gate(const std::string& gate, const std::string& release);

}  // namespace ioconform::agent
