// Conformance kernel builds; see kernel_cache.h.
#include "kernel_cache.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

namespace ioconform::harness {

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string run_capture(const std::string& cmd) {
  std::array<char, 512> buf{};
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  while (fgets(buf.data(), buf.size(), f)) out += buf.data();
  pclose(f);
  return out;
}

std::string quote(const fs::path& p) { return "'" + p.string() + "'"; }

// FNV-1a: a stable, dependency-free key for the cache directory name (not a security hash).
std::string fnv_hex(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return std::string(out, 12);
}

std::string tree_release(const fs::path& tree) {
  const std::string mk = read_file(tree / "Makefile");
  std::smatch m;
  std::string v, p, s;
  if (std::regex_search(mk, m, std::regex("\nVERSION = (\\d+)"))) v = m[1];
  if (std::regex_search(mk, m, std::regex("\nPATCHLEVEL = (\\d+)"))) p = m[1];
  if (std::regex_search(mk, m, std::regex("\nSUBLEVEL = (\\d+)"))) s = m[1];
  if (v.empty()) return "";
  return v + "." + p + (s.empty() || s == "0" ? "" : "." + s);
}

fs::path source_tree(const KernelRequest& r) {
  if (!r.tree.empty()) return r.tree;
  return cache_root() / "src" / ("linux-source-" + r.version);
}

}  // namespace

fs::path cache_root() {
  const char* env = std::getenv("IOCONFORM_CACHE");
  return env && *env ? fs::path(env) : fs::path("/var/cache/ioconform");
}

fs::path fragment_path() { return fs::path(IOCONFORM_SOURCE_DIR) / "harness/kernel/ioconform.config"; }

std::vector<std::string> missing_options(const fs::path& config) {
  const std::string have = read_file(config);
  // Options the kernel's own tree does not define (recorded by build.sh) cannot be required of it.
  const std::string absent = read_file(config.parent_path() / "absent_options");
  std::vector<std::string> missing;
  std::ifstream frag(fragment_path());
  std::string line;
  while (std::getline(frag, line)) {
    if (!line.starts_with("CONFIG_") || !line.ends_with("=y")) continue;
    const std::string name = line.substr(0, line.size() - 2);
    if (absent.find(name + "\n") != std::string::npos) continue;
    if (have.find("\n" + line + "\n") == std::string::npos && !have.starts_with(line + "\n")) missing.push_back(name);
  }
  return missing;
}

fs::path kernel_dir(const KernelRequest& r) {
  if (!r.bzimage.empty()) return r.bzimage.parent_path();
  const fs::path tree = source_tree(r);
  const std::string compiler = run_capture("cc --version 2>/dev/null | head -n1");
  const std::string script = read_file(fs::path(IOCONFORM_SOURCE_DIR) / "harness/kernel/build.sh");
  std::string name = r.tree.empty() ? r.version : "tree-" + fnv_hex(fs::absolute(r.tree).string());
  // A user's tree changes under us: its key includes the tree's HEAD when it is a git checkout.
  std::string tree_state = r.tree.empty() ? read_file(tree / ".ioconform-debversion")
                                          : run_capture("git -C " + quote(tree) + " rev-parse HEAD 2>/dev/null") +
                                                run_capture("git -C " + quote(tree) + " diff 2>/dev/null | md5sum");
  const std::string key = fnv_hex(tree_release(tree) + "\n" + tree_state + "\n" + read_file(fragment_path()) + "\n" +
                                  script + "\n" + compiler);
  return cache_root() / "kernels" / (name + "-" + key);
}

KernelBuild ensure_kernel(const KernelRequest& r) {
  KernelBuild b;
  if (!r.bzimage.empty()) {
    if (!fs::exists(r.bzimage)) throw KernelError("no bzImage at " + r.bzimage.string());
    if (r.config.empty() || !fs::exists(r.config))
      throw KernelError("a prebuilt bzImage needs its .config (--config FILE) so the harness can check its options");
    b.dir = r.bzimage.parent_path();
    b.bzimage = r.bzimage;
    b.config = r.config;
  } else {
    const fs::path tree = source_tree(r);
    if (!fs::exists(tree / "Makefile")) {
      if (r.tree.empty())
        throw KernelError("no kernel source for " + r.version + " at " + tree.string() +
                          ": run tools/setup.sh (it fetches Debian's linux-source-" + r.version + ")");
      throw KernelError("no kernel source tree at " + tree.string());
    }
    b.dir = kernel_dir(r);
    b.bzimage = b.dir / "bzImage";
    b.config = b.dir / "config";
    b.release = tree_release(tree);
    if (!fs::exists(b.dir / "ok")) {
      std::cerr << "ioconform: building kernel " << (b.release.empty() ? tree.string() : b.release) << " into "
                << b.dir.string() << " (cached; several minutes on 2 cores)\n";
      const std::string cmd = "bash " + quote(fs::path(IOCONFORM_SOURCE_DIR) / "harness/kernel/build.sh") + " " +
                              quote(tree) + " " + quote(b.dir);
      const int rc = std::system(cmd.c_str());
      if (rc != 0 || !fs::exists(b.dir / "ok"))
        throw KernelError("kernel build failed (exit " + std::to_string(WEXITSTATUS(rc)) + "); log: " +
                          (b.dir / "build.log").string());
    }
  }
  auto missing = missing_options(b.config);
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += " " + m;
    throw KernelError("kernel " + b.bzimage.string() + " lacks options the harness needs:" + names);
  }
  b.config_sha = run_capture("sha256sum " + quote(b.config) + " | cut -d' ' -f1");
  while (!b.config_sha.empty() && b.config_sha.back() == '\n') b.config_sha.pop_back();
  return b;
}

}  // namespace ioconform::harness
