// Reading a finished guest run: its result lines and its console.
//
// A kernel crash is recognised by the kernel's own markers on the console
// (panic(): "Kernel panic - not syncing", die(): "Oops", BUG()/WARN-class
// reports: "BUG:"); the first such line is the detail. The result file is
// parsed line by line, and a line that does not parse (cut short by a dying
// guest) is counted, not fatal.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ioconform::vm {

// The first console line showing a kernel crash, if any.
std::optional<std::string> find_kernel_crash(const std::string& console);

struct ParsedResults {
  std::vector<nlohmann::json> lines;
  size_t unparsable = 0;
  bool done = false;  // a {"type":"done"} line was seen
};

ParsedResults parse_result_lines(const std::string& text);

}  // namespace ioconform::vm
