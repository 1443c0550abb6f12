// `ioconform verify`: the invariants of spec/invariants.json checked on the SMT
// encoding, by bounded model checking from the initial state (every op sequence
// up to depth K with symbolic arguments) and, where it goes through, by
// induction (Inv ∧ step ⇒ Inv').
//
// Answers are proved / bounded / counterexample / unknown-with-reason /
// not_encoded. Before a "proved" or "bounded" is believed, a vacuity check
// shows the constrained sequences can do real work (a map that succeeds into a
// domain): a precondition nothing satisfies would prove anything (Alive2's rule).
// A counterexample comes back as a scenario in the project's format, replayable
// by `ioconform model` and `ioconform run` unchanged.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/smt/semantics.h"

namespace ioconform::smt {

struct InvariantResult {
  std::string id;
  std::string verdict;     // proved | bounded | counterexample | unknown | not_encoded
  std::string induction;   // proved | failed | unknown | not_tried
  bool vacuity_ok = false;
  int depth = 0;
  double seconds = 0;
  std::string reason;      // for unknown / not_encoded, and what induction needed
  nlohmann::json counterexample;  // a scenario, when refuted
  // Every solver query of the induction, in order: what it asked, its answer
  // (unsat = that part holds) and its time, so a slow or failing part is named.
  struct Query {
    std::string what, answer;
    double seconds;
  };
  std::vector<Query> queries;
};

struct VerifyOptions {
  int depth = 6;
  Mutant mutant = Mutant::none;
  unsigned timeout_ms = 120000;
  bool induction = true;  // also try Inv ∧ step ⇒ Inv'
};

std::vector<std::string> encoded_invariants();  // the ids verify can check
InvariantResult verify_invariant(const std::string& id, const VerifyOptions& options);
// The induction alone (Inv ∧ WF ∧ step ⇒ Inv', plus well-formedness's own
// induction and the base case), with options.mutant applied: verify_invariant
// uses it for the correct semantics; tests use it on mutants to show it fails.
InvariantResult prove_by_induction(const std::string& id, const VerifyOptions& options);
nlohmann::json to_json(const InvariantResult& r);

// buf0 of the scenarios verify writes: where the C++ model places it.
struct Buffer0 {
  std::uint64_t va, len;
};
Buffer0 buffer0();

}  // namespace ioconform::smt
