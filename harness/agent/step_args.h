// StepArgs: a step's `args`, resolved into the integers a kernel struct holds.
//
// Values follow docs/scenario-format.md: JSON numbers; strings "0x100000",
// "4096", "U64_MAX", "U32_MAX", "U16_MAX"; "$name" (bound by an earlier step's
// `out`); a buffer reference "buf0" or "buf0+8192" (the user VA of that byte);
// flags as a number or a list of names without their prefix. Every key must be
// consumed by the op: a key the op does not know is a malformed step, so a typo
// is an error line instead of a silently zero field. A value too large for its
// field is malformed too (the kernel never sees it).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scenario_context.h"

namespace ioconform::agent {

using NameTable = std::vector<std::pair<const char*, uint64_t>>;

class StepArgs {
 public:
  StepArgs(const nlohmann::json& args, ScenarioContext& ctx);

  bool has(const std::string& key) const { return args_.contains(key); }
  uint64_t u64(const std::string& key, uint64_t dflt = 0);
  uint32_t u32(const std::string& key, uint32_t dflt = 0);
  uint16_t u16(const std::string& key, uint16_t dflt = 0);
  int32_t s32(const std::string& key, int32_t dflt = 0);
  // A number, or a name / list of names from `names` (OR-ed together).
  uint64_t named(const std::string& key, const NameTable& names, uint64_t dflt = 0);
  // A memfd buffer's name (its fd) or an integer fd.
  int32_t fd(const std::string& key);
  DeviceSlot& device(const std::string& key);
  const nlohmann::json& raw(const std::string& key);
  // Resolve one value of a nested structure (e.g. a range's start).
  uint64_t value(const nlohmann::json& v, const std::string& where) const;

  // Throws StepError naming the keys no op field consumed.
  void check_all_used() const;

 private:
  const nlohmann::json& args_;
  ScenarioContext& ctx_;
  std::set<std::string> used_;
};

}  // namespace ioconform::agent
