// iopt_pages: the memory behind one IOMMU_IOAS_MAP / MAP_FILE (pages.c).
//
// Each map creates its own pages object over the user VA range (aligned down to
// a page) or the file range; IOMMU_IOAS_COPY shares the source's pages objects,
// which is why a copy of a read-only mapping cannot be made writeable (EPERM in
// iopt_insert_area). Areas hold references; the pages object goes with the last.
#pragma once
#include <map>

#include "model/types.h"

namespace ioconform::model {

struct Pages {
  bool file = false;  // IOPT_ADDRESS_FILE (map_file) or IOPT_ADDRESS_USER
  u64 base = 0;       // user VA aligned down to a page, or the file offset aligned down
  int fd = -1;        // file pages: the memfd
  u64 npages = 0;     // DIV_ROUND_UP(length + start_byte, PAGE_SIZE)
  bool writable = false;
  int refs = 0;       // areas using it
};

class PagesTable {
 public:
  u32 add(const Pages& p) {
    pages_[next_] = p;
    return next_++;
  }
  Pages& at(u32 id) { return pages_.at(id); }
  const Pages& at(u32 id) const { return pages_.at(id); }
  void get(u32 id) { pages_.at(id).refs++; }
  void put(u32 id) {
    if (--pages_.at(id).refs == 0) pages_.erase(id);
  }
  const std::map<u32, Pages>& all() const { return pages_; }

 private:
  std::map<u32, Pages> pages_;
  u32 next_ = 1;
};

}  // namespace ioconform::model
