// The one wrapper around Z3 (as Alive2's smt/expr.h): semantics are written
// against Expr, never against raw z3::expr.
//
// Expr is a Bool or a 64-bit bit-vector term. Unsigned comparisons are spelled
// out (ult, ule) because uAPI values are u64; add_overflows() is
// check_add_overflow() for u64. Everything folds to constants when the inputs
// are constants, which is how the agreement test evaluates the encoding
// concretely.
#pragma once
#include <z3++.h>

#include <cstdint>
#include <string>

namespace ioconform::smt {

class Expr {
 public:
  Expr(const z3::expr& e) : e_(e) {}  // NOLINT: implicit from the wrapped type inside smt/ only

  static Expr bv(z3::context& c, std::uint64_t v) { return Expr(c.bv_val(static_cast<uint64_t>(v), 64)); }
  static Expr boolean(z3::context& c, bool v) { return Expr(c.bool_val(v)); }
  static Expr bv_var(z3::context& c, const std::string& name) { return Expr(c.bv_const(name.c_str(), 64)); }
  static Expr bool_var(z3::context& c, const std::string& name) { return Expr(c.bool_const(name.c_str())); }

  Expr operator+(const Expr& o) const { return e_ + o.e_; }
  Expr operator-(const Expr& o) const { return e_ - o.e_; }
  Expr operator&(const Expr& o) const { return e_ & o.e_; }
  Expr operator|(const Expr& o) const { return e_ | o.e_; }
  Expr operator~() const { return ~e_; }
  Expr lshr(unsigned bits) const { return z3::lshr(e_, e_.ctx().bv_val(bits, 64)); }
  Expr operator==(const Expr& o) const { return e_ == o.e_; }
  Expr operator!=(const Expr& o) const { return e_ != o.e_; }
  Expr operator&&(const Expr& o) const { return e_ && o.e_; }
  Expr operator||(const Expr& o) const { return e_ || o.e_; }
  Expr operator!() const { return !e_; }
  Expr ult(const Expr& o) const { return z3::ult(e_, o.e_); }
  Expr ule(const Expr& o) const { return z3::ule(e_, o.e_); }
  Expr ugt(const Expr& o) const { return z3::ugt(e_, o.e_); }
  Expr uge(const Expr& o) const { return z3::uge(e_, o.e_); }
  Expr implies(const Expr& o) const { return z3::implies(e_, o.e_); }
  // check_add_overflow(a, b) for u64: the sum wraps.
  Expr add_overflows(const Expr& o) const { return z3::ult(e_ + o.e_, e_); }

  z3::context& ctx() const { return e_.ctx(); }
  const z3::expr& z3() const { return e_; }
  Expr simplify() const { return e_.simplify(); }
  bool is_true() const { return e_.simplify().is_true(); }
  std::uint64_t as_u64() const;  // after simplify(); throws if not a numeral

 private:
  z3::expr e_;
};

inline Expr ite(const Expr& c, const Expr& a, const Expr& b) { return z3::ite(c.z3(), a.z3(), b.z3()); }
inline Expr forall_bv(const Expr& var, const Expr& body) { return z3::forall(var.z3(), body.z3()); }

// The answer of a check, with its reason when it is not a proof.
enum class Verdict { proved, refuted, unknown };
const char* to_string(Verdict v);

}  // namespace ioconform::smt
