// The spec catalogue: ioctls (layouts, min sizes, flags), errno rules and
// invariants, loaded from spec/*.json embedded at build time.
//
// A rule is one way an ioctl fails: a stable id ("ioas_unmap.area_sticks_out"),
// the errno, and the kernel code that returns it, cited as `file:function` plus a
// snippet of the line (`code`), so the line number can be found again in any
// kernel tree (`locate_citation`). The model never invents an errno: it fails
// through a rule id and takes the errno from here.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "spec/version.h"

namespace ioconform::spec {

struct Field {
  std::string name;
  unsigned offset = 0, size = 0;
  std::string domain;  // argument domain for generators ("iova", "length", ...)
  bool out = false;    // the kernel writes it back
};

struct Ioctl {
  std::string name;     // the kernel's own: IOMMU_IOAS_MAP
  std::string type;     // "iommufd" or "vfio"
  unsigned nr = 0;      // _IOC_NR
  std::string strukt;   // C struct name
  unsigned size = 0, min_size = 0;
  std::string since;    // version gate, empty = always
  std::vector<Field> fields;
  nlohmann::json flags;  // name -> bit
  nlohmann::json enums;  // field -> {name -> value}
  std::string legacy_below;  // kernels below this version have a smaller struct:
  unsigned legacy_size = 0;  // this many bytes
  const Field* field(std::string_view name) const;
  unsigned size_for(const KernelVersion& v) const;  // the struct size in that kernel
};

// Where an errno is returned in kernels of `versions`, when that differs from
// the rule's primary citation (code moved or was rewritten).
struct Citation {
  std::string versions, file, function, code;
  int nth = 1;
};

struct Rule {
  std::string id;
  std::string op;         // ioctl name, or "*" for the generic ioctl path
  std::string errno_name; // "ENOENT"
  int errno_value = 0;
  std::string file;       // drivers/iommu/iommufd/io_pagetable.c
  std::string function;   // iopt_unmap_iova_range
  std::string code;       // a snippet of the cited line
  int nth = 1;            // which occurrence of `code` inside the function
  std::string versions;   // gate, e.g. ">=6.2"
  std::string summary;
  std::vector<Citation> older;  // citations for older kernels
  bool reachable = true;  // false: cannot be reached from the guest setup we run (reason in `unreachable_why`)
  std::string unreachable_why;
};

struct Invariant {
  std::string id, summary, statement;
};

class Catalogue {
 public:
  static const Catalogue& get();  // the embedded catalogue

  const std::vector<Ioctl>& ioctls() const { return ioctls_; }
  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<Invariant>& invariants() const { return invariants_; }
  const Ioctl* ioctl(std::string_view name) const;
  const Rule* rule(std::string_view id) const;

  // Builds a catalogue from JSON text (used for the embedded files and in tests).
  static Catalogue from_json(const std::string& ioctls, const std::string& rules,
                             const std::string& invariants);

 private:
  std::vector<Ioctl> ioctls_;
  std::vector<Rule> rules_;
  std::vector<Invariant> invariants_;
};

// Where a rule's citation sits in a kernel source tree: the 1-based line of the
// first line inside `function` (in `file`) that contains `code`, or nullopt with
// `why` set when the file, the function or the snippet is not there.
struct CitationLine {
  std::optional<int> line;
  std::string why;
};
// With `version`, an `older` citation whose gate admits it is used instead.
CitationLine locate_citation(const std::string& kernel_tree, const Rule& rule,
                             const std::optional<KernelVersion>& version = std::nullopt);
// The version of a kernel source tree, from its top-level Makefile.
std::optional<KernelVersion> kernel_tree_version(const std::string& kernel_tree);

// errno name <-> value, for the errnos the uAPI returns.
int errno_from_name(std::string_view name);  // -1 when unknown
std::string errno_name(int value);           // "E?" + number when unknown

nlohmann::json to_json(const Rule& rule);

}  // namespace ioconform::spec
