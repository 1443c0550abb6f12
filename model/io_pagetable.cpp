// The IOVA space of an IOAS; see io_pagetable.h. Each function cites its kernel twin
// in drivers/iommu/iommufd/io_pagetable.c; the order of the checks is the kernel's,
// because the first failing check decides the errno.
#include "model/io_pagetable.h"

#include <algorithm>

namespace ioconform::model {

namespace {

// The used spans of a set of intervals clipped to [first, last], merged where they
// overlap or touch, in order: what interval_tree_for_each_span() calls "used"
// (adjacent nodes form one span: a hole needs a gap of at least one byte).
std::vector<Range> used_spans(std::vector<Range> nodes, u64 first, u64 last) {
  std::vector<Range> clipped;
  for (auto r : nodes) {
    if (r.last < first || r.start > last) continue;
    clipped.push_back({std::max(r.start, first), std::min(r.last, last)});
  }
  std::sort(clipped.begin(), clipped.end(), [](Range a, Range b) { return a.start < b.start; });
  std::vector<Range> merged;
  for (auto r : clipped) {
    if (!merged.empty() && (merged.back().last == kUlongMax || r.start <= merged.back().last + 1))
      merged.back().last = std::max(merged.back().last, r.last);
    else
      merged.push_back(r);
  }
  return merged;
}

// The holes between used spans within [first, last].
std::vector<Range> hole_spans(const std::vector<Range>& used, u64 first, u64 last) {
  std::vector<Range> holes;
  u64 cursor = first;
  bool cursor_valid = true;  // false once the used spans reach ULONG_MAX
  for (auto u : used) {
    if (u.start > cursor) holes.push_back({cursor, u.start - 1});
    if (u.last == kUlongMax || u.last >= last) {
      cursor_valid = false;
      break;
    }
    cursor = u.last + 1;
  }
  if (cursor_valid && cursor <= last) holes.push_back({cursor, last});
  return holes;
}

// __alloc_iova_check_range(): align *start up, keep the page offset, and check
// that `length` bytes fit before `last`. Note `aligned_start >= last` rejects a
// hole whose aligned start is its last byte, even for a one-byte length.
bool alloc_iova_check_range(u64* start, u64 last, u64 length, u64 iova_alignment, u64 page_offset) {
  u64 aligned_start;
  if (add_overflows(*start, iova_alignment - 1, &aligned_start)) return false;
  aligned_start &= ~(iova_alignment - 1);
  aligned_start |= page_offset;
  if (aligned_start >= last || last - aligned_start < length - 1) return false;
  *start = aligned_start;
  return true;
}

bool intersects(u64 a_start, u64 a_last, u64 b_start, u64 b_last) {
  return a_start <= b_last && b_start <= a_last;
}

}  // namespace

const Area* IoPagetable::area_iter_first(u64 start, u64 last) const {
  // Areas are disjoint and sorted: the candidate is the last area starting at or
  // before `last` whose end reaches `start`, or an earlier one covering `start`.
  auto it = areas_.upper_bound(start);
  if (it != areas_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.last >= start) return &prev->second;
  }
  if (it != areas_.end() && it->second.iova <= last) return &it->second;
  return nullptr;
}

const Area* IoPagetable::area_at(u64 iova) const { return area_iter_first(iova, iova); }

bool IoPagetable::reserved_intersects(u64 start, u64 last) const {
  for (const auto& r : reserved_)
    if (intersects(r.start, r.last, start, last)) return true;
  return false;
}

bool IoPagetable::allowed_intersects(u64 start, u64 last) const {
  for (const auto& r : allowed_)
    if (intersects(r.start, r.last, start, last)) return true;
  return false;
}

// iopt_alloc_iova(): the lowest IOVA >= PAGE_SIZE inside an allowed span that
// avoids reserved ranges and areas, aligned like `addr` (the user VA) up to the
// length's power of two, capped at HPAGE_SIZE, and keeping addr's page offset.
Decision IoPagetable::alloc_iova(u64* iova, u64 addr, u64 length) const {
  const u64 page_offset = addr % kPageSize;
  if (length == 0 || length >= kUlongMax / 2) return fail("iopt_map.alloc_iova_length_overflow");
  u64 iova_alignment = addr ? std::min(roundup_pow_of_two(length), lowest_set_bit(addr))
                            : roundup_pow_of_two(length);
  const u64 max_alignment = kHugePageSize;  // CONFIG_TRANSPARENT_HUGEPAGE is in our fragment
  if (iova_alignment >= max_alignment) iova_alignment = max_alignment;
  if (iova_alignment < iova_alignment_) return fail("iopt_map.alloc_iova_va_underaligned");

  std::vector<Range> allowed_used;
  if (allowed_.empty())
    allowed_used.push_back({kPageSize, kUlongMax - kPageSize});
  else
    allowed_used = used_spans(allowed_, kPageSize, kUlongMax - kPageSize);

  std::vector<Range> busy;
  for (const auto& r : reserved_) busy.push_back({r.start, r.last});
  for (const auto& [start, a] : areas_) busy.push_back({a.iova, a.last});

  for (auto span : allowed_used) {
    u64 start = span.start;
    if (!alloc_iova_check_range(&start, span.last, length, iova_alignment, page_offset)) continue;
    for (auto hole : hole_spans(used_spans(busy, start, span.last), start, span.last)) {
      u64 hole_start = hole.start;
      if (!alloc_iova_check_range(&hole_start, hole.last, length, iova_alignment, page_offset)) continue;
      *iova = hole_start;
      return success();
    }
  }
  return fail("iopt_map.alloc_iova_no_space");
}

// iopt_check_iova(): a fixed IOVA must be aligned, not wrap, avoid reserved ranges
// and not overlap an area. The allowed ranges are not consulted.
Decision IoPagetable::check_iova(u64 iova, u64 length) const {
  if (iova & (iova_alignment_ - 1)) return fail("iopt_map.iova_unaligned");
  u64 last;
  if (add_overflows(iova, length - 1, &last)) return fail("iopt_map.iova_wraps");
  if (reserved_intersects(iova, last)) return fail("iopt_map.iova_reserved");
  if (area_iter_first(iova, last)) return fail("iopt_map.iova_in_use");
  return success();
}

// iopt_map_pages() = iopt_alloc_area_pages() + iopt_fill_domains_pages(). On any
// failure every area inserted by this call is removed again (iopt_free_pages_list).
Decision IoPagetable::map_pages(PagesTable& pages, const std::vector<PagesSlice>& slices,
                                u64 length, u64* iova, int prot, bool alloc, u64 addr) {
  if ((length & (iova_alignment_ - 1)) || !length) return fail("iopt_map.length_unaligned");
  Decision d = alloc ? alloc_iova(iova, addr, length) : check_iova(*iova, length);
  if (!d.ok()) return d;

  std::vector<u64> inserted;
  auto undo = [&] {
    for (u64 start : inserted) areas_.erase(start);
  };
  u64 cur = *iova;
  for (const auto& s : slices) {
    const Pages& p = pages.at(s.pages);
    // iopt_insert_area()
    if ((prot & kProtWrite) && !p.writable) {
      undo();
      return fail("iopt_map.write_to_readonly_pages");
    }
    if ((s.start_byte % kPageSize) & (iova_alignment_ - 1)) {
      undo();
      return fail("iopt_map.page_offset_unaligned");
    }
    Area a{cur, cur + s.length - 1, s.pages, s.start_byte, prot};
    areas_[cur] = a;
    inserted.push_back(cur);
    cur += s.length;
  }
  for (const auto& s : slices) pages.get(s.pages);
  return success();
}

Decision IoPagetable::unmap_iova_range(PagesTable& pages, u64 start, u64 last, u64* unmapped) {
  *unmapped = 0;
  while (const Area* area = area_iter_first(start, last)) {
    const u64 area_first = area->iova, area_last = area->last;
    if (area_first < start || area_last > last) return fail("ioas_unmap.area_sticks_out");
    pages.put(area->pages);
    areas_.erase(area_first);
    *unmapped += area_last - area_first + 1;
    if (area_last >= last) break;
    start = area_last + 1;
  }
  return success();
}

Decision IoPagetable::get_pages(u64 iova, u64 length, std::vector<PagesSlice>* out) const {
  if (!length) return fail("ioas_copy.length_zero");
  u64 last_iova;
  if (add_overflows(iova, length - 1, &last_iova)) return fail("ioas_copy.src_wraps");
  // iopt_for_each_contig_area(): areas must follow each other with no gap.
  u64 cur = iova;
  const Area* area = area_iter_first(iova, iova);
  while (area) {
    u64 last = std::min(last_iova, area->last);
    out->push_back({area->pages, area->start_byte + (cur - area->iova), last - cur + 1});
    if (last_iova <= area->last) return success();
    cur = area->last + 1;
    area = area_iter_first(cur, last_iova);
    if (area && area->iova != cur) area = nullptr;
  }
  out->clear();
  return fail("ioas_copy.src_not_contiguous");
}

Decision IoPagetable::set_allow_iova(const std::vector<Range>& allowed) {
  for (auto r : allowed)
    if (reserved_intersects(r.start, r.last)) return fail("ioas_allow_iovas.reserved_overlap");
  allowed_ = allowed;
  return success();
}

Decision IoPagetable::reserve_iova(u64 start, u64 last, ResvOwner owner) {
  if (area_iter_first(start, last) || allowed_intersects(start, last))
    return fail(owner.kind == ResvOwner::Domain ? "attach.aperture_conflict" : "attach.resv_region_conflict");
  reserved_.push_back({start, last, owner});
  return success();
}

void IoPagetable::remove_reserved_iova(ResvOwner owner) {
  std::erase_if(reserved_, [&](const Reserved& r) { return r.owner == owner; });
}

// iopt_check_iova_alignment(): every area must conform to a raised alignment.
Decision IoPagetable::check_iova_alignment(u64 new_alignment, const char* rule_id) const {
  const u64 mask = new_alignment - 1;
  for (const auto& [start, a] : areas_)
    if ((a.iova & mask) || (a.length() & mask) || (a.page_offset() & mask)) return fail(rule_id);
  return success();
}

u64 IoPagetable::calculate_iova_alignment() const {
  u64 a = disable_large_pages_ ? kPageSize : 1;  // see batch_iommu_map_small()
  if (!domains_.empty()) a = std::max(a, pgsize_min_of_domains_);
  return a;
}

Decision IoPagetable::table_add_domain(const Platform& platform, u32 hwpt_id, const char* fill_fails_rule) {
  const u64 new_alignment = std::max(platform.pgsize_min, iova_alignment_);
  if (new_alignment > kPageSize) return fail("attach.domain_pgsize_too_large");
  if (new_alignment != iova_alignment_) {
    Decision d = check_iova_alignment(new_alignment, "attach.areas_misaligned");
    if (!d.ok()) return d;
  }
  const ResvOwner owner{ResvOwner::Domain, hwpt_id};
  if (platform.aperture_start != 0) {
    Decision d = reserve_iova(0, platform.aperture_start - 1, owner);
    if (!d.ok()) return remove_reserved_iova(owner), d;
  }
  if (platform.aperture_end != kUlongMax) {
    Decision d = reserve_iova(platform.aperture_end + 1, kUlongMax, owner);
    if (!d.ok()) return remove_reserved_iova(owner), d;
  }
  if (fill_fails_rule) {  // iopt_fill_domain() failed: undo the reservations
    remove_reserved_iova(owner);
    return fail(fill_fails_rule);
  }
  iova_alignment_ = new_alignment;
  pgsize_min_of_domains_ = std::max(pgsize_min_of_domains_, platform.pgsize_min);
  domains_.push_back(hwpt_id);
  return success();
}

void IoPagetable::table_remove_domain(u32 hwpt_id) {
  std::erase(domains_, hwpt_id);
  remove_reserved_iova({ResvOwner::Domain, hwpt_id});
  if (domains_.empty()) pgsize_min_of_domains_ = 1;
  iova_alignment_ = calculate_iova_alignment();  // only ever lowers it: no check needed
}

Decision IoPagetable::disable_large_pages() {
  if (disable_large_pages_) return success();
  if (!domains_.empty() && !areas_.empty()) return fail("option.huge_pages_busy");
  disable_large_pages_ = true;
  const u64 new_alignment = calculate_iova_alignment();
  if (new_alignment > iova_alignment_) {
    Decision d = check_iova_alignment(new_alignment, "option.huge_pages_areas_misaligned");
    if (!d.ok()) {
      disable_large_pages_ = false;
      return d;
    }
  }
  iova_alignment_ = new_alignment;
  return success();
}

void IoPagetable::enable_large_pages() {
  disable_large_pages_ = false;
  iova_alignment_ = calculate_iova_alignment();
}

std::vector<Range> IoPagetable::iova_ranges() const {
  std::vector<Range> nodes;
  for (const auto& r : reserved_) nodes.push_back({r.start, r.last});
  return hole_spans(used_spans(nodes, 0, kUlongMax), 0, kUlongMax);
}

}  // namespace ioconform::model
