// ResultSink: JSON lines, one write each, flushed before the next step.
#include "result_sink.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ioconform::agent {

ResultSink::ResultSink(const std::string& path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open results path " + path + ": " + std::strerror(errno));
  termios tio{};
  if (::tcgetattr(fd_, &tio) == 0) {
    is_tty_ = true;
    ::cfmakeraw(&tio);  // no ONLCR: "\n" stays "\n"
    ::cfsetospeed(&tio, B115200);
    if (::tcsetattr(fd_, TCSANOW, &tio) != 0)
      throw std::runtime_error("cannot set raw mode on " + path + ": " + std::strerror(errno));
  }
}

ResultSink::~ResultSink() {
  if (fd_ >= 0) ::close(fd_);
}

void ResultSink::emit(const nlohmann::json& line) {
  // replace: kernel log lines may hold bytes that are not UTF-8.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("writing results: ") + std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (is_tty_)
    ::tcdrain(fd_);
  else
    ::fsync(fd_);
}

}  // namespace ioconform::agent
