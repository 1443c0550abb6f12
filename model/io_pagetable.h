// io_pagetable: the IOVA space of one IOAS (drivers/iommu/iommufd/io_pagetable.c).
//
// Three interval sets live here, as in struct io_pagetable:
// - areas: IOVA ranges mapped to a slice of a pages object, with a protection;
// - reserved: ranges no area may touch, each owned by whoever reserved it (a
//   domain's out-of-aperture range, a device's reserved regions);
// - allowed: if non-empty, the only ranges iopt_alloc_iova may pick from (fixed
//   maps are not checked against it, as in iopt_check_iova).
// iova_alignment starts at 1 and rises to the largest minimum page size of the
// attached domains (4096 for VT-d), or PAGE_SIZE when huge pages are disabled.
// Function names follow the kernel's so each can be found from its twin.
#pragma once
#include <map>
#include <vector>

#include "model/pages.h"
#include "model/platform.h"
#include "model/types.h"

namespace ioconform::model {

struct Range {
  u64 start, last;
};

struct Area {
  u64 iova, last;
  u32 pages;          // PagesTable id
  u64 start_byte;     // offset of iova's byte from pages.base
  int prot;           // kProtRead | kProtWrite
  u64 length() const { return last - iova + 1; }
  u64 page_offset() const { return start_byte % kPageSize; }
};

// Who owns a reserved range: a domain (by HWPT id) or a device (by idev id).
struct ResvOwner {
  enum Kind { Domain, Device } kind;
  u32 id;
  bool operator==(const ResvOwner&) const = default;
};

struct Reserved {
  u64 start, last;
  ResvOwner owner;
};

// One slice of a pages object to place in an IOAS (struct iopt_pages_list).
struct PagesSlice {
  u32 pages;
  u64 start_byte;
  u64 length;
};

class IoPagetable {
 public:
  // IOMMU_IOAS_MAP/MAP_FILE/COPY after the pages exist: iopt_map_pages().
  // `alloc` chooses the IOVA (IOPT_ALLOC_IOVA) from `addr`'s alignment.
  Decision map_pages(PagesTable& pages, const std::vector<PagesSlice>& slices, u64 length,
                     u64* iova, int prot, bool alloc, u64 addr);
  // iopt_unmap_iova_range(): not atomic, like the kernel: areas unmapped before
  // the first that sticks out stay unmapped. `unmapped` counts the bytes removed.
  Decision unmap_iova_range(PagesTable& pages, u64 start, u64 last, u64* unmapped);
  // iopt_get_pages(): the slices behind [iova, iova + length - 1], which must be
  // covered by contiguous areas.
  Decision get_pages(u64 iova, u64 length, std::vector<PagesSlice>* out) const;
  // iopt_set_allow_iova(): all or nothing.
  Decision set_allow_iova(const std::vector<Range>& allowed);
  // iopt_reserve_iova(): EADDRINUSE over an area or an allowed range.
  Decision reserve_iova(u64 start, u64 last, ResvOwner owner);
  void remove_reserved_iova(ResvOwner owner);
  // iopt_table_add_domain() / iopt_table_remove_domain() for a paging domain.
  // `fill_fails_rule` is the rule by which filling the domain with the existing
  // areas' pages fails (a lazily mapped VA nobody backs), or nullptr when it succeeds.
  Decision table_add_domain(const Platform& platform, u32 hwpt_id, const char* fill_fails_rule);
  void table_remove_domain(u32 hwpt_id);
  // iopt_disable_large_pages() / iopt_enable_large_pages() (IOMMU_OPTION HUGE_PAGES).
  Decision disable_large_pages();
  void enable_large_pages();

  // Holes of the reserved set over [0, ULONG_MAX], as IOMMU_IOAS_IOVA_RANGES reports.
  std::vector<Range> iova_ranges() const;
  const Area* area_at(u64 iova) const;

  u64 iova_alignment() const { return iova_alignment_; }
  bool large_pages_disabled() const { return disable_large_pages_; }
  bool has_domains() const { return !domains_.empty(); }
  const std::vector<u32>& domains() const { return domains_; }
  const std::map<u64, Area>& areas() const { return areas_; }
  const std::vector<Reserved>& reserved() const { return reserved_; }
  const std::vector<Range>& allowed() const { return allowed_; }

 private:
  Decision alloc_iova(u64* iova, u64 addr, u64 length) const;
  Decision check_iova(u64 iova, u64 length) const;
  Decision check_iova_alignment(u64 new_alignment, const char* rule_id) const;
  u64 calculate_iova_alignment() const;
  const Area* area_iter_first(u64 start, u64 last) const;
  bool reserved_intersects(u64 start, u64 last) const;
  bool allowed_intersects(u64 start, u64 last) const;

  std::map<u64, Area> areas_;  // by first IOVA; areas never overlap
  std::vector<Reserved> reserved_;
  std::vector<Range> allowed_;
  std::vector<u32> domains_;   // HWPT ids of the attached paging domains
  u64 pgsize_min_of_domains_ = 1;
  u64 iova_alignment_ = 1;     // iopt_init_table(): SW tables have no alignment restriction
  bool disable_large_pages_ = false;
};

}  // namespace ioconform::model
