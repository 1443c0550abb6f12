// Crash markers on the console, and the JSON lines of the results port.
#include "guest_verdict.h"

#include <sstream>

namespace ioconform::vm {

std::optional<std::string> find_kernel_crash(const std::string& console) {
  std::istringstream in(console);
  for (std::string line; std::getline(in, line);) {
    for (const char* marker : {"Kernel panic", "Oops", "BUG:"})
      if (line.find(marker) != std::string::npos) {
        while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
        return line;
      }
  }
  return std::nullopt;
}

ParsedResults parse_result_lines(const std::string& text) {
  ParsedResults r;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\0')) line.pop_back();
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      ++r.unparsable;
      continue;
    }
    if (j.value("type", std::string()) == "done") r.done = true;
    r.lines.push_back(std::move(j));
  }
  return r;
}

}  // namespace ioconform::vm
