// The Z3 wrapper; see expr.h.
#include "model/smt/expr.h"

#include <stdexcept>

namespace ioconform::smt {

std::uint64_t Expr::as_u64() const {
  z3::expr s = e_.simplify();
  std::uint64_t v = 0;
  if (!s.is_numeral() || !Z3_get_numeral_uint64(s.ctx(), s, reinterpret_cast<uint64_t*>(&v)))
    throw std::logic_error("smt: not a u64 numeral: " + s.to_string());
  return v;
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::proved: return "proved";
    case Verdict::refuted: return "counterexample";
    case Verdict::unknown: return "unknown";
  }
  return "?";
}

}  // namespace ioconform::smt
