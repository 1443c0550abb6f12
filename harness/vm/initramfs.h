// Initramfs: the guest's whole userspace, built fresh for each run.
//
// Contents: a static busybox with a /bin symlink per applet, /init
// (guest_init.sh), /ioconform-agent and /scenarios.json, packed as a gzip'ed
// newc cpio (the format the kernel unpacks, CONFIG_RD_GZIP). Built in a staging
// directory under the run's work dir with the host's cpio and gzip; the agent
// is copied with `strip --strip-debug` when binutils is there.
#pragma once

#include <filesystem>
#include <string>

namespace ioconform::vm {

struct InitramfsSpec {
  std::filesystem::path busybox = "/bin/busybox";  // must be static
  std::filesystem::path agent;
  std::string scenarios_json;
  std::filesystem::path work_dir;
};

// Returns the path of the .cpio.gz; throws std::runtime_error with the reason.
std::filesystem::path build_initramfs(const InitramfsSpec& spec);

}  // namespace ioconform::vm
