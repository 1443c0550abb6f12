// VfioDevice: cdev lookup via sysfs, region info, config space and BAR mmap.
#include "vfio_device.h"

#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "step_error.h"

namespace ioconform::agent {
namespace fs = std::filesystem;

namespace {

uint64_t read_sysfs_hex(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  in >> s;
  return s.empty() ? 0 : std::stoull(s, nullptr, 16);
}

}  // namespace

std::vector<std::string> find_pci_devices(uint16_t vendor, uint16_t device) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/bus/pci/devices", ec)) {
    if (read_sysfs_hex(e.path() / "vendor") == vendor && read_sysfs_hex(e.path() / "device") == device)
      out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string iommu_group_of(const std::string& bdf) {
  std::error_code ec;
  fs::path target = fs::read_symlink("/sys/bus/pci/devices/" + bdf + "/iommu_group", ec);
  return ec ? "none" : target.filename().string();
}

EduPlacement place_edus(const std::vector<std::string>& edu_bdfs) {
  EduPlacement p;
  std::map<std::string, std::vector<std::string>> by_group;
  for (const auto& bdf : edu_bdfs) {
    p.iommu_group.emplace_back(bdf, iommu_group_of(bdf));
    by_group[p.iommu_group.back().second].push_back(bdf);
  }
  // "none" (no IOMMU) is not a group the devices share.
  for (const auto& [bdf, group] : p.iommu_group) {
    const auto& members = by_group[group];
    if (group == "none" || members.size() == 1)
      p.solo.push_back(bdf);
    else if (p.grouped.empty())
      p.grouped = members;  // a second shared group (never built by the runner) stays unused
  }
  return p;
}

VfioDevice::VfioDevice(std::string bdf) : bdf_(std::move(bdf)) {
  std::string cdev;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/bus/pci/devices/" + bdf_ + "/vfio-dev", ec))
    cdev = "/dev/vfio/devices/" + e.path().filename().string();
  if (cdev.empty()) throw StepError("device " + bdf_ + " has no vfio-dev (not bound to vfio-pci?)");
  fd_ = ::open(cdev.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) throw StepError("opening " + cdev + ": " + std::strerror(errno));
}

VfioDevice::~VfioDevice() {
  for (auto& [p, n] : mappings_) ::munmap(p, n);
  if (fd_ >= 0) ::close(fd_);
}

uint64_t VfioDevice::region_offset(unsigned index, uint64_t* size, uint32_t* flags) {
  vfio_region_info info{};
  info.argsz = sizeof(info);
  info.index = index;
  if (::ioctl(fd_, VFIO_DEVICE_GET_REGION_INFO, &info) != 0)
    throw StepError("VFIO_DEVICE_GET_REGION_INFO(" + std::to_string(index) + ") on " + bdf_ + ": " +
                    std::strerror(errno) + " (is the device bound?)");
  if (size) *size = info.size;
  if (flags) *flags = info.flags;
  return info.offset;
}

void VfioDevice::config_write16(uint64_t offset, uint16_t value) {
  uint64_t base = region_offset(VFIO_PCI_CONFIG_REGION_INDEX, nullptr, nullptr);
  if (::pwrite(fd_, &value, sizeof(value), static_cast<off_t>(base + offset)) != sizeof(value))
    throw StepError("config write on " + bdf_ + ": " + std::strerror(errno));
}

uint16_t VfioDevice::config_read16(uint64_t offset) {
  uint64_t base = region_offset(VFIO_PCI_CONFIG_REGION_INDEX, nullptr, nullptr);
  uint16_t v = 0;
  if (::pread(fd_, &v, sizeof(v), static_cast<off_t>(base + offset)) != sizeof(v))
    throw StepError("config read on " + bdf_ + ": " + std::strerror(errno));
  return v;
}

volatile uint8_t* VfioDevice::map_bar(unsigned index, uint64_t* size) {
  uint32_t flags = 0;
  uint64_t off = region_offset(index, size, &flags);
  if (!(flags & VFIO_REGION_INFO_FLAG_MMAP)) throw StepError("BAR" + std::to_string(index) + " of " + bdf_ + " is not mmap-able");
  void* p = ::mmap(nullptr, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, static_cast<off_t>(off));
  if (p == MAP_FAILED) throw StepError("mmap BAR" + std::to_string(index) + " of " + bdf_ + ": " + std::strerror(errno));
  mappings_.emplace_back(p, *size);
  return static_cast<volatile uint8_t*>(p);
}

}  // namespace ioconform::agent
