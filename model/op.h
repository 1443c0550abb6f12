// One operation for the model: the kernel's ioctl name and its arguments with
// every scenario reference already resolved to numbers ($bindings to ids, buffer
// names to user VAs or fds, flag names to bits). Field names are the kernel's.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "model/types.h"

namespace ioconform::model {

struct Op {
  std::string name;
  nlohmann::json args = nlohmann::json::object();

  u64 arg(const char* field, u64 fallback = 0) const {
    auto it = args.find(field);
    return it == args.end() ? fallback : it->get<u64>();
  }
  bool has(const char* field) const { return args.contains(field); }
};

// The model's answer to one op, in the scenario result format.
struct StepResult {
  int err = 0;
  std::string rule;  // the spec rule that decided a failure
  nlohmann::json out = nlohmann::json::object();
  // The failed op still changed state (a kernel exception to I-ATOMIC, e.g.
  // IOMMU_IOAS_UNMAP's partial unmap): recorded so reports can say so.
  bool partial_effect = false;
};

inline StepResult from(const Decision& d) { return {d.err, d.rule, nlohmann::json::object(), false}; }

}  // namespace ioconform::model
