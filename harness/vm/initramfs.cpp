// build_initramfs: stage the guest tree, then `find | cpio -o -H newc | gzip`.
#include "initramfs.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "guest_init.h"
#include "subprocess.h"

namespace ioconform::vm {
namespace fs = std::filesystem;
namespace {

void write_file(const fs::path& p, const std::string& text, fs::perms perms) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("initramfs: cannot write " + p.string());
  out.close();
  fs::permissions(p, perms);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The applets this busybox provides, as `busybox --list` names them.
std::vector<std::string> busybox_applets(const fs::path& busybox, const fs::path& scratch) {
  fs::path list = scratch / "busybox-applets.txt", err = scratch / "busybox-applets.err";
  auto r = run_process({busybox.string(), "--list"}, list, err, std::chrono::seconds(10));
  if (!r.started || r.exit_code != 0) throw std::runtime_error("initramfs: `" + busybox.string() + " --list` failed " + r.error);
  std::vector<std::string> names;
  std::istringstream in(read_file(list));
  for (std::string n; std::getline(in, n);)
    if (!n.empty() && n.find('/') == std::string::npos && n != "busybox") names.push_back(n);
  return names;
}

}  // namespace

fs::path build_initramfs(const InitramfsSpec& spec) {
  if (!fs::exists(spec.busybox)) throw std::runtime_error("initramfs: no busybox at " + spec.busybox.string() + " (apt-get install busybox-static)");
  if (!fs::exists(spec.agent)) throw std::runtime_error("initramfs: no agent at " + spec.agent.string());
  fs::path root = spec.work_dir / "initramfs.d";
  fs::remove_all(root);
  for (const char* d : {"bin", "dev", "proc", "sys", "tmp"}) fs::create_directories(root / d);
  fs::copy_file(spec.busybox, root / "bin" / "busybox", fs::copy_options::overwrite_existing);
  for (const auto& applet : busybox_applets(spec.busybox, spec.work_dir))
    fs::create_symlink("busybox", root / "bin" / applet);
  // The agent's debug info is no use in the guest and triples the image the
  // kernel must gunzip at boot; keep the symbols, drop the DWARF.
  auto stripped = run_process({"strip", "--strip-debug", "-o", (root / "ioconform-agent").string(), spec.agent.string()},
                              spec.work_dir / "strip.out", spec.work_dir / "strip.err", std::chrono::seconds(30));
  if (!stripped.started || stripped.exit_code != 0)
    fs::copy_file(spec.agent, root / "ioconform-agent", fs::copy_options::overwrite_existing);
  fs::permissions(root / "ioconform-agent", fs::perms(0755));
  write_file(root / "init", guest_init_script(), fs::perms(0755));
  write_file(root / "scenarios.json", spec.scenarios_json, fs::perms(0644));

  fs::path image = spec.work_dir / "initramfs.cpio.gz";
  // The staging path comes from our own work dir; quote it for the shell.
  std::string quoted = "'" + root.string() + "'", out = "'" + image.string() + "'";
  std::string pipeline = "cd " + quoted + " && find . -print | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1 > " + out;
  auto r = run_process({"/bin/sh", "-c", pipeline}, spec.work_dir / "cpio.out", spec.work_dir / "cpio.err",
                       std::chrono::seconds(60));
  if (!r.started || r.exit_code != 0)
    throw std::runtime_error("initramfs: cpio/gzip failed: " + r.error + read_file(spec.work_dir / "cpio.err"));
  return image;
}

}  // namespace ioconform::vm
