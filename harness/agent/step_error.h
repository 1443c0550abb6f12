// StepError: a scenario the agent cannot execute as written.
//
// A malformed step (unknown op, unknown argument, unbound `$name`, a value that
// does not fit its field) or an environment the probe cannot drive (a device
// that is not bound) is not a kernel answer. The runner turns it into one
// `{"type":"error"}` result line and stops that scenario; the next one runs.
// Kernel answers, including every errno, are never StepErrors.
#pragma once

#include <stdexcept>
#include <string>

namespace ioconform::agent {

class StepError : public std::runtime_error {
 public:
  explicit StepError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace ioconform::agent
