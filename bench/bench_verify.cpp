// Time of `ioconform verify` against depth, per invariant: the bounded search
// alone (no induction), and the induction proof alone. Speed is measured here,
// never asserted in tests. Run: build/bench/bench_verify --benchmark_format=json
#include <benchmark/benchmark.h>

#include "model/smt/verify.h"

using namespace ioconform;

static void BM_Bounded(benchmark::State& state, const char* invariant) {
  smt::VerifyOptions o;
  o.depth = static_cast<int>(state.range(0));
  o.induction = false;
  o.timeout_ms = 60000;  // a depth that times out is reported as such in the label
  std::string verdict;
  for (auto _ : state) verdict = smt::verify_invariant(invariant, o).verdict;
  state.SetLabel(verdict);
}

static void BM_Induction(benchmark::State& state, const char* invariant) {
  smt::VerifyOptions o;
  o.depth = 0;
  o.timeout_ms = 60000;
  std::string induction;
  for (auto _ : state) induction = smt::verify_invariant(invariant, o).induction;
  state.SetLabel(induction);
}

// A seeded bug's kill: the bounded search with the mutant, to the depth its
// shortest counterexample needs (the label: the verdict and that depth).
static void BM_MutantKill(benchmark::State& state, const char* invariant, smt::Mutant mutant) {
  smt::VerifyOptions o;
  o.depth = static_cast<int>(state.range(0));
  o.mutant = mutant;
  o.timeout_ms = 60000;
  smt::InvariantResult r;
  for (auto _ : state) r = smt::verify_invariant(invariant, o);
  state.SetLabel(r.verdict + " at depth " + std::to_string(r.depth));
}

#define DEPTHS ->DenseRange(1, 3)->Iterations(1)->Unit(benchmark::kSecond)
BENCHMARK_CAPTURE(BM_Bounded, I_LIFE, "I-LIFE") DEPTHS;
BENCHMARK_CAPTURE(BM_Bounded, I_RESV, "I-RESV") DEPTHS;
BENCHMARK_CAPTURE(BM_Bounded, I_UNMAP, "I-UNMAP") DEPTHS;
BENCHMARK_CAPTURE(BM_Bounded, I_DMA, "I-DMA") DEPTHS;
BENCHMARK_CAPTURE(BM_Bounded, I_PIN, "I-PIN") DEPTHS;
BENCHMARK_CAPTURE(BM_Bounded, I_ATOMIC, "I-ATOMIC") DEPTHS;
BENCHMARK_CAPTURE(BM_Bounded, I_GROUP, "I-GROUP") DEPTHS;
#define ONCE ->Iterations(1)->Unit(benchmark::kSecond)
BENCHMARK_CAPTURE(BM_Induction, I_LIFE, "I-LIFE") ONCE;
BENCHMARK_CAPTURE(BM_Induction, I_RESV, "I-RESV") ONCE;
BENCHMARK_CAPTURE(BM_Induction, I_UNMAP, "I-UNMAP") ONCE;
BENCHMARK_CAPTURE(BM_Induction, I_DMA, "I-DMA") ONCE;
BENCHMARK_CAPTURE(BM_Induction, I_PIN, "I-PIN") ONCE;
BENCHMARK_CAPTURE(BM_Induction, I_ATOMIC, "I-ATOMIC") ONCE;
BENCHMARK_CAPTURE(BM_Induction, I_GROUP, "I-GROUP") ONCE;
BENCHMARK_CAPTURE(BM_MutantKill, pasid_dma_falls_back_to_rid_I_DMA, "I-DMA", smt::Mutant::pasid_dma_falls_back_to_rid)
    ->Arg(2)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK_MAIN();
