// KernelLog: non-blocking reader of /dev/kmsg.
#include "kernel_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ioconform::agent {

KernelLog::KernelLog() {
  fd_ = ::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ >= 0) ::lseek(fd_, 0, SEEK_END);  // skip the boot log
}

KernelLog::~KernelLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> KernelLog::take_new(const std::string& needle) {
  std::vector<std::string> lines;
  if (fd_ < 0) return lines;
  char record[8192];
  for (;;) {
    ssize_t n = ::read(fd_, record, sizeof(record) - 1);
    if (n < 0) {
      if (errno == EINTR || errno == EPIPE) continue;
      break;  // EAGAIN: nothing more
    }
    std::string text(record, static_cast<size_t>(n));
    size_t semi = text.find(';');
    text = semi == std::string::npos ? text : text.substr(semi + 1);
    // Continuation lines (" KEY=value") follow the message; keep its first line.
    text = text.substr(0, text.find('\n'));
    if (text.find(needle) != std::string::npos) lines.push_back(text);
  }
  return lines;
}

}  // namespace ioconform::agent
