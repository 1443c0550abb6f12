// KernelLog: the kernel's log records that appeared since the last look.
//
// /dev/kmsg is opened non-blocking and positioned at its end, so only records
// printed while the agent runs are seen. Each read() returns one record,
// "prio,seq,usec,flags;text\n" (Documentation/ABI/testing/dev-kmsg); EPIPE
// means records were overwritten before we read them and is skipped. The probes
// attach the new `DMAR:` records (the VT-d fault reports of
// drivers/iommu/intel/dmar.c:dmar_fault_do_one(), which are rate-limited, so
// their absence proves nothing) as observations.
#pragma once

#include <string>
#include <vector>

namespace ioconform::agent {

class KernelLog {
 public:
  KernelLog();
  ~KernelLog();
  KernelLog(const KernelLog&) = delete;
  KernelLog& operator=(const KernelLog&) = delete;

  // Texts of the records printed since the previous call that contain `needle`.
  std::vector<std::string> take_new(const std::string& needle);

 private:
  int fd_ = -1;
};

}  // namespace ioconform::agent
