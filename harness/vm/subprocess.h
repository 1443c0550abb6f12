// Subprocess: run a host program with files as its stdio, under a deadline.
//
// posix_spawnp with stdin from /dev/null and stdout/stderr to files (QEMU's
// serial ports go to files of their own, so nothing needs a pipe), then a
// waitpid poll; at the deadline the child gets SIGKILL. Only the child started
// here is ever signalled.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ioconform::vm {

struct ProcessResult {
  bool started = false;     // false: spawn failed, `error` says why
  bool timed_out = false;   // killed at the deadline
  int exit_code = -1;       // valid when exited normally
  int signal = 0;           // non-zero when killed by a signal
  std::string error;
  double seconds = 0;
};

ProcessResult run_process(const std::vector<std::string>& argv, const std::filesystem::path& stdout_file,
                          const std::filesystem::path& stderr_file, std::chrono::milliseconds timeout);

}  // namespace ioconform::vm
