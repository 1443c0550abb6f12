// VfioDevice: one guest PCI device driven from userspace through its VFIO cdev.
//
// init binds every edu device to vfio-pci; each then has a character device
// /dev/vfio/devices/vfioN, N found under /sys/bus/pci/devices/<bdf>/vfio-dev/.
// Opening the cdev does not touch iommufd; until VFIO_DEVICE_BIND_IOMMUFD
// succeeds on it, every other ioctl, read/write and mmap is refused
// (drivers/vfio/vfio_main.c checks df->access_granted), so region access is
// only attempted on a bound device. Closing the fd unbinds it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ioconform::agent {

// BDFs ("0000:00:03.0") of the PCI devices with this vendor/device id, in bus order.
std::vector<std::string> find_pci_devices(uint16_t vendor, uint16_t device);

// The number of the IOMMU group the kernel put this device in (the target of
// /sys/bus/pci/devices/<bdf>/iommu_group), "none" when it has none.
std::string iommu_group_of(const std::string& bdf);

// The guest's edus sorted by what a scenario device may be mapped to. An edu
// no other edu shares an IOMMU group with is solo (each root-bus edu); edus
// that share one (the two behind the PCI bridge, whose requester id they both
// carry) are grouped. Found from the groups the kernel made, never from bus
// numbers, which the firmware assigns.
struct EduPlacement {
  std::vector<std::string> solo;                     // bus order
  std::vector<std::string> grouped;                  // the first shared group's edus, bus order
  std::vector<std::pair<std::string, std::string>> iommu_group;  // every edu: bdf, group
};
EduPlacement place_edus(const std::vector<std::string>& edu_bdfs);

class VfioDevice {
 public:
  explicit VfioDevice(std::string bdf);  // opens the cdev; throws StepError
  ~VfioDevice();
  VfioDevice(const VfioDevice&) = delete;
  VfioDevice& operator=(const VfioDevice&) = delete;

  int fd() const { return fd_; }
  const std::string& bdf() const { return bdf_; }

  // Region access, valid once bound.
  void config_write16(uint64_t offset, uint16_t value);
  uint16_t config_read16(uint64_t offset);
  // BAR `index` mapped into the agent (mmap of the VFIO region).
  volatile uint8_t* map_bar(unsigned index, uint64_t* size);

 private:
  uint64_t region_offset(unsigned index, uint64_t* size, uint32_t* flags);

  std::string bdf_;
  int fd_ = -1;
  std::vector<std::pair<void*, uint64_t>> mappings_;
};

}  // namespace ioconform::agent
