// Decisions through spec rules, and bit helpers; see types.h.
#include "model/types.h"

#include <cstdio>
#include <cstdlib>

#include "spec/catalogue.h"

namespace ioconform::model {

Decision fail(std::string_view rule_id) {
  const spec::Rule* rule = spec::Catalogue::get().rule(rule_id);
  if (!rule) {
    std::fprintf(stderr, "model bug: rule '%.*s' is not in spec/rules.json\n",
                 static_cast<int>(rule_id.size()), rule_id.data());
    std::abort();
  }
  return {rule->errno_value, rule->id};
}

u64 roundup_pow_of_two(u64 v) {
  if (v <= 1) return 1;
  return u64{1} << (64 - __builtin_clzll(v - 1));
}

}  // namespace ioconform::model
