// Turning a step's scenario arguments into the numbers an ioctl takes.
//
// "$name" -> a value an earlier step bound; "0x1000", "U64_MAX" -> integers;
// flag and enum names -> bits; "buf0+8192" in user_va -> a VA, a memfd buffer
// name in fd -> a file descriptor. The model and the in-guest agent each resolve
// with their own bindings and buffer addresses, so both run the same scenario.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "conformance/scenario.h"

namespace ioconform::conformance {

using Bindings = std::map<std::string, std::uint64_t>;

struct BufferAddresses {
  // buffer name -> (VA, memfd fd or -1)
  std::function<std::uint64_t(const std::string& name)> va;
  std::function<int(const std::string& name)> fd;
};

// Parses an integer: a JSON number, "123", "0x7b", "U64_MAX", "U32_MAX".
std::uint64_t parse_u64(const nlohmann::json& v, const std::string& where);

// Resolves a step's args. Throws ScenarioError naming the step and the field.
nlohmann::json resolve_args(const Step& step, const Bindings& bindings, const BufferAddresses& buffers,
                            const std::string& where);

// Binds a successful step's outputs: for each out field -> "$name".
void bind_outputs(const Step& step, const nlohmann::json& out, Bindings& bindings);

}  // namespace ioconform::conformance
