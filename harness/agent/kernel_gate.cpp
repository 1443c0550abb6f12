// KernelGate: ">=a.b,<c.d" against "x.y.z-suffix".
#include "kernel_gate.h"

#include <cctype>
#include <sstream>
#include <vector>

#include "step_error.h"

namespace ioconform::agent {
namespace {

std::vector<unsigned> version(const std::string& s) {
  std::vector<unsigned> v;
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    unsigned n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) n = n * 10 + static_cast<unsigned>(s[i++] - '0');
    v.push_back(n);
    if (i < s.size() && s[i] == '.') ++i;
    else break;
  }
  return v;
}

int compare(std::vector<unsigned> a, std::vector<unsigned> b) {
  size_t n = std::max(a.size(), b.size());
  a.resize(n);
  b.resize(n);
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

}  // namespace

bool kernel_in_gate(const std::string& gate, const std::string& release) {
  auto running = version(release);
  std::stringstream ss(gate);
  std::string clause;
  while (std::getline(ss, clause, ',')) {
    while (!clause.empty() && clause.front() == ' ') clause.erase(0, 1);
    size_t n = 0;
    while (n < clause.size() && (clause[n] == '<' || clause[n] == '>' || clause[n] == '=')) ++n;
    std::string op = clause.substr(0, n);
    auto want = version(clause.substr(n));
    if (want.empty()) throw StepError("malformed kernel gate '" + gate + "'");
    int c = compare(running, want);
    bool ok = op == ">=" ? c >= 0 : op == ">" ? c > 0 : op == "<=" ? c <= 0 : op == "<" ? c < 0
            : op == "==" || op == "=" ? c == 0 : throw StepError("malformed kernel gate '" + gate + "'");
    if (!ok) return false;
  }
  return true;
}

}  // namespace ioconform::agent
