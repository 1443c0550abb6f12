// Conformance kernels: found, built and cached outside the repo.
//
// A kernel comes from Debian's source (`--version 7.2`, fetched by
// tools/setup.sh into $IOCONFORM_CACHE/src), from a user's tree (`--tree DIR`),
// or prebuilt (`--bzimage F --config F`). Builds are cached under
// $IOCONFORM_CACHE/kernels/<name>-<key>, where the key hashes the source's
// version, the config fragment, the build script and the compiler: change any of
// them and a new build is made. A kernel whose .config lacks an option the
// harness needs is refused with the option names.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ioconform::harness {

struct KernelRequest {
  std::string version;                 // "7.2" or "6.12": Debian's linux-source-<version>
  std::filesystem::path tree;          // or a source tree
  std::filesystem::path bzimage, config;  // or a prebuilt kernel
};

struct KernelBuild {
  std::filesystem::path dir;       // cache entry (or the prebuilt's folder)
  std::filesystem::path bzimage, config;
  std::string release;             // e.g. "7.2.13" from the tree's Makefile, "" when unknown
  std::string config_sha;          // sha256 of the .config
};

struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::filesystem::path cache_root();  // $IOCONFORM_CACHE or /var/cache/ioconform
std::filesystem::path fragment_path();  // harness/kernel/ioconform.config in the source tree

// Where a request's build lives (whether or not it exists yet).
std::filesystem::path kernel_dir(const KernelRequest& r);
// Finds or builds the kernel. `progress` lines go to stderr. Throws KernelError
// with a specific message: no source (run setup), build failed (log path),
// missing options.
KernelBuild ensure_kernel(const KernelRequest& r);
// Options the harness needs (CONFIG_IOMMUFD, ...) that `config` lacks.
std::vector<std::string> missing_options(const std::filesystem::path& config);

}  // namespace ioconform::harness
