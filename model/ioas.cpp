// The IOAS ioctls; see ioas.h. The check order is the kernel's (ioas.c,
// io_pagetable.c, pages.c): the first failing check decides the errno.
#include "model/ioas.h"

#include <algorithm>

#include "spec/version.h"

namespace ioconform::model {

namespace {

constexpr u64 kMapFixedIova = 1, kMapWriteable = 2, kMapReadable = 4;
constexpr u64 kMapAllFlags = kMapFixedIova | kMapWriteable | kMapReadable;

int conv_iommu_prot(u64 flags) {
  int prot = 0;
  if (flags & kMapWriteable) prot |= kProtWrite;
  if (flags & kMapReadable) prot |= kProtRead;
  return prot;
}

Ioas* get_ioas(State& s, u64 id, Decision* d) {
  *d = s.objects.get(static_cast<u32>(id), ObjType::Ioas, "object.ioas_not_found");
  return d->ok() ? &s.ioas.at(static_cast<u32>(id)) : nullptr;
}

// Pinning the pages of newly inserted areas into the domains
// (iopt_fill_domains_pages): only when the IOAS has a domain; otherwise the
// pages are referenced lazily and a VA nobody mapped is accepted.
bool slices_pinnable(const State& s, const std::vector<PagesSlice>& slices) {
  for (const auto& sl : slices) {
    const Pages& p = s.pages.at(sl.pages);
    if (p.file) {
      const Buffer* b = s.memory.by_fd(p.fd);
      if (!b || p.base + sl.start_byte + sl.length > b->length()) return false;
    } else if (!user_range_pinnable(s, p.base + sl.start_byte, sl.length)) {
      return false;
    }
  }
  return true;
}

// Maps slices into the IOAS, then fills its domains; undoes the areas when the
// fill fails, as iopt_map_pages() does.
Decision map_and_fill(State& s, Ioas& ioas, const std::vector<PagesSlice>& slices, u64 length,
                      u64* iova, int prot, bool alloc, u64 addr, const char* pin_rule) {
  Decision d = ioas.iopt.map_pages(s.pages, slices, length, iova, prot, alloc, addr);
  if (!d.ok()) return d;
  if (ioas.iopt.has_domains() && !slices_pinnable(s, slices)) {
    u64 unmapped;
    ioas.iopt.unmap_iova_range(s.pages, *iova, *iova + length - 1, &unmapped);
    return fail(pin_rule);
  }
  return success();
}

// iopt_map_common(): a new pages object over `length` bytes from `start_byte`,
// mapped at `iova_in` (or a kernel-chosen IOVA guided by `addr`); the op's own
// reference on the pages is dropped at the end (iopt_put_pages), so a failed map
// leaves nothing behind.
StepResult map_new_pages(State& s, Ioas& ioas, Pages pages, u64 start_byte, u64 length, u64 iova_in, u64 flags,
                         u64 addr, const char* pin_rule) {
  pages.npages = (length + start_byte + kPageSize - 1) / kPageSize;
  pages.writable = (conv_iommu_prot(flags) & kProtWrite) != 0;
  const u32 pages_id = s.pages.add(pages);
  s.pages.get(pages_id);
  u64 iova = iova_in;
  Decision d = map_and_fill(s, ioas, {{pages_id, start_byte, length}}, length, &iova, conv_iommu_prot(flags),
                            !(flags & kMapFixedIova), addr, pin_rule);
  s.pages.put(pages_id);
  if (!d.ok()) return from(d);
  StepResult r;
  r.out["iova"] = iova;
  return r;
}

}  // namespace

bool user_range_pinnable(const State& s, u64 va, u64 length) {
  u64 first = va & ~(kPageSize - 1);
  u64 last = (va + length - 1) & ~(kPageSize - 1);
  for (u64 page = first;; page += kPageSize) {
    if (!s.memory.at_va(page)) return false;
    if (page == last) break;
  }
  return true;
}

StepResult ioas_alloc(State& s, const Op& op) {
  if (op.arg("flags")) return from(fail("ioas_alloc.flags_nonzero"));
  u32 id = s.objects.alloc(ObjType::Ioas);
  s.ioas[id] = Ioas{};
  StepResult r;
  r.out["out_ioas_id"] = id;
  return r;
}

StepResult ioas_iova_ranges(State& s, const Op& op) {
  if (op.arg("__reserved")) return from(fail("ioas_iova_ranges.reserved_nonzero"));
  Decision d;
  Ioas* ioas = get_ioas(s, op.arg("ioas_id"), &d);
  if (!ioas) return from(d);
  const u64 capacity = op.arg("num_iovas");
  auto holes = ioas->iopt.iova_ranges();
  StepResult r;
  r.out["num_iovas"] = holes.size();
  r.out["out_iova_alignment"] = ioas->iopt.iova_alignment();
  nlohmann::json ranges = nlohmann::json::array();
  for (size_t i = 0; i < holes.size() && i < capacity; i++)
    ranges.push_back({{"start", holes[i].start}, {"last", holes[i].last}});
  r.out["ranges"] = ranges;
  if (holes.size() > capacity) {
    // The header (num_iovas, alignment) is written back before EMSGSIZE, so a
    // caller learns how much room to offer: the outputs are part of the answer.
    r.err = fail("ioas_iova_ranges.too_many_ranges").err;
    r.rule = "ioas_iova_ranges.too_many_ranges";
  }
  return r;
}

StepResult ioas_allow_iovas(State& s, const Op& op) {
  if (op.arg("__reserved")) return from(fail("ioas_allow_iovas.reserved_nonzero"));
  Decision d;
  Ioas* ioas = get_ioas(s, op.arg("ioas_id"), &d);
  if (!ioas) return from(d);
  // iommufd_ioas_load_iovas(): each range must have start < last and must not
  // overlap one loaded before it.
  std::vector<Range> loaded;
  const auto& ranges = op.args.contains("ranges") ? op.args.at("ranges") : nlohmann::json::array();
  u64 num = op.arg("num_iovas", ranges.size());
  for (u64 i = 0; i < num && i < ranges.size(); i++) {
    Range r{ranges[i].at("start").get<u64>(), ranges[i].at("last").get<u64>()};
    if (r.start >= r.last) return from(fail("ioas_allow_iovas.start_not_below_last"));
    for (auto l : loaded)
      if (r.start <= l.last && l.start <= r.last) return from(fail("ioas_allow_iovas.ranges_overlap"));
    loaded.push_back(r);
  }
  return from(ioas->iopt.set_allow_iova(loaded));
}

StepResult ioas_map(State& s, const Op& op) {
  const u64 flags = op.arg("flags"), iova_in = op.arg("iova"), length = op.arg("length");
  const u64 uptr = op.arg("user_va");
  if ((flags & ~kMapAllFlags) || op.arg("__reserved")) return from(fail("ioas_map.flags_unsupported"));
  if (iova_in >= kUlongMax || length >= kUlongMax) return from(fail("ioas_map.u64_max_argument"));
  if (!(flags & (kMapWriteable | kMapReadable))) return from(fail("ioas_map.no_access"));
  Decision d;
  Ioas* ioas = get_ioas(s, op.arg("ioas_id"), &d);
  if (!ioas) return from(d);
  // iopt_alloc_user_pages() -> iopt_alloc_pages(). Since 6.13 the VA overflow
  // check comes first (in iopt_alloc_user_pages); before, iopt_alloc_pages()
  // checked the length first. Observable with a huge length whose VA end wraps.
  u64 end;
  const bool wraps = add_overflows(uptr, length, &end);
  const bool bad_length = length > kUlongMax - kPageSize || length == 0;
  if (spec::version_satisfies(s.config.version, ">=6.13")) {
    if (wraps) return from(fail("ioas_map.user_va_wraps"));
    if (bad_length) return from(fail("ioas_map.length_zero"));
  } else {
    if (bad_length) return from(fail("ioas_map.length_zero"));
    if (wraps) return from(fail("ioas_map.user_va_wraps"));
  }
  const u64 start_byte = uptr % kPageSize;
  return map_new_pages(s, *ioas, Pages{false, uptr - start_byte, -1, 0, false, 0}, start_byte, length, iova_in, flags,
                       uptr, "ioas_map.pin_failed");
}

StepResult ioas_map_file(State& s, const Op& op) {
  const u64 flags = op.arg("flags"), iova_in = op.arg("iova"), length = op.arg("length");
  const u64 start = op.arg("start");
  if (flags & ~kMapAllFlags) return from(fail("ioas_map_file.flags_unsupported"));
  if (iova_in >= kUlongMax || length >= kUlongMax) return from(fail("ioas_map_file.u64_max_argument"));
  if (!(flags & (kMapWriteable | kMapReadable))) return from(fail("ioas_map_file.no_access"));
  Decision d;
  Ioas* ioas = get_ioas(s, op.arg("ioas_id"), &d);
  if (!ioas) return from(d);
  // iopt_map_file_pages()
  if (!length) return from(fail("ioas_map_file.length_zero"));
  u64 last;
  if (add_overflows(start, length - 1, &last)) return from(fail("ioas_map_file.range_wraps"));
  const int fd = static_cast<int>(static_cast<std::int32_t>(op.arg("fd")));
  const Buffer* file = s.memory.by_fd(fd);
  if (!file) return from(fail("ioas_map_file.bad_fd"));
  if (length > kUlongMax - kPageSize) return from(fail("ioas_map_file.length_too_large"));
  const u64 start_byte = start % kPageSize;
  // For a file the IOVA alignment follows the file offset (pages->start + start_byte).
  return map_new_pages(s, *ioas, Pages{true, start - start_byte, fd, 0, false, 0}, start_byte, length, iova_in, flags,
                       start, "ioas_map_file.pin_failed");
}

StepResult ioas_copy(State& s, const Op& op) {
  const u64 flags = op.arg("flags"), length = op.arg("length");
  const u64 src_iova = op.arg("src_iova"), dst_iova_in = op.arg("dst_iova");
  if (flags & ~kMapAllFlags) return from(fail("ioas_copy.flags_unsupported"));
  if (length >= kUlongMax || src_iova >= kUlongMax || dst_iova_in >= kUlongMax)
    return from(fail("ioas_copy.u64_max_argument"));
  if (!(flags & (kMapWriteable | kMapReadable))) return from(fail("ioas_copy.no_access"));
  Decision d;
  Ioas* src = get_ioas(s, op.arg("src_ioas_id"), &d);
  if (!src) return from(d);
  std::vector<PagesSlice> slices;
  d = src->iopt.get_pages(src_iova, length, &slices);
  if (!d.ok()) return from(d);
  Ioas* dst = get_ioas(s, op.arg("dst_ioas_id"), &d);
  if (!dst) return from(d);
  for (const auto& sl : slices) s.pages.get(sl.pages);  // the pages list's references
  // The first slice's address guides the IOVA alignment, as in iopt_alloc_area_pages().
  const Pages& first = s.pages.at(slices.front().pages);
  const u64 addr = first.base + slices.front().start_byte;
  u64 iova = dst_iova_in;
  d = map_and_fill(s, *dst, slices, length, &iova, conv_iommu_prot(flags), !(flags & kMapFixedIova), addr,
                   "ioas_copy.pin_failed");
  for (const auto& sl : slices) s.pages.put(sl.pages);
  if (!d.ok()) return from(d);
  StepResult r;
  r.out["dst_iova"] = iova;
  return r;
}

StepResult ioas_unmap(State& s, const Op& op) {
  const u64 iova = op.arg("iova"), length = op.arg("length");
  Decision d;
  Ioas* ioas = get_ioas(s, op.arg("ioas_id"), &d);
  if (!ioas) return from(d);
  u64 unmapped = 0;
  StepResult r;
  if (iova == 0 && length == kUlongMax) {
    d = ioas->iopt.unmap_iova_range(s.pages, 0, kUlongMax, &unmapped);  // iopt_unmap_all()
  } else {
    if (iova >= kUlongMax || length >= kUlongMax) return from(fail("ioas_unmap.u64_max_argument"));
    // iopt_unmap_iova()
    if (!length) return from(fail("ioas_unmap.length_zero"));
    u64 last;
    if (add_overflows(iova, length - 1, &last)) return from(fail("ioas_unmap.range_wraps"));
    d = ioas->iopt.unmap_iova_range(s.pages, iova, last, &unmapped);
    if (d.ok() && !unmapped) d = fail("ioas_unmap.nothing_mapped");
  }
  if (!d.ok()) {
    r = from(d);
    r.partial_effect = unmapped != 0;
    return r;
  }
  r.out["length"] = unmapped;
  return r;
}

void ioas_destroy(State& s, u32 id) {
  Ioas& ioas = s.ioas.at(id);
  u64 unmapped;
  ioas.iopt.unmap_iova_range(s.pages, 0, kUlongMax, &unmapped);
  s.ioas.erase(id);
}

StepResult option(State& s, const Op& op) {
  constexpr u64 kRlimitMode = 0, kHugePages = 1, kOpSet = 0, kOpGet = 1;
  if (op.arg("__reserved")) return from(fail("option.reserved_nonzero"));
  const u64 option_id = op.arg("option_id"), which = op.arg("op"), val64 = op.arg("val64");
  StepResult r;
  if (option_id == kRlimitMode) {
    // iommufd_option_rlimit_mode()
    if (op.arg("object_id")) return from(fail("option.rlimit_mode_object_id"));
    if (which == kOpGet) {
      r.out["val64"] = s.account_mm ? 1 : 0;
      return r;
    }
    if (which != kOpSet) return from(fail("option.rlimit_mode_bad_op"));
    if (!s.config.cap_sys_resource) return from(fail("option.rlimit_mode_needs_cap"));
    if (!s.objects.empty()) return from(fail("option.rlimit_mode_objects_exist"));
    if (val64 > 1) return from(fail("option.rlimit_mode_bad_value"));
    s.account_mm = val64 == 1;
    r.out["val64"] = val64;
    return r;
  }
  if (option_id == kHugePages) {
    // iommufd_ioas_option(): __reserved was checked above already
    Decision d;
    Ioas* ioas = get_ioas(s, op.arg("object_id"), &d);
    if (!ioas) return from(d);
    if (which == kOpGet) {
      r.out["val64"] = ioas->iopt.large_pages_disabled() ? 0 : 1;
      return r;
    }
    if (which != kOpSet) return from(fail("option.huge_pages_bad_op"));
    if (val64 == 0) {
      d = ioas->iopt.disable_large_pages();
      if (!d.ok()) return from(d);
    } else if (val64 == 1) {
      ioas->iopt.enable_large_pages();
    } else {
      return from(fail("option.huge_pages_bad_value"));
    }
    r.out["val64"] = val64;
    return r;
  }
  return from(fail("option.unknown_option"));
}

}  // namespace ioconform::model
