// EduDevice: QEMU's edu device as a DMA engine the agent can aim at an IOVA.
//
// edu (QEMU hw/misc/edu.c) has a 4 KiB internal buffer at device address
// 0x40000 and a DMA engine programmed through BAR0:
//   0x80 source, 0x88 destination, 0x90 count, 0x98 command
//   (bit 0 start / still busy, bit 1 direction: 1 = buffer -> RAM, 0 = RAM -> buffer).
// A transfer completes on a 100 ms virtual-clock timer, so every DMA costs
// ~100 ms. The buffer is reachable only by DMA, never by MMIO. QEMU 7.2's bounds
// check aborts QEMU for a transfer of the whole 4096 bytes, so count is kept in
// 1..4095. DMA needs bus mastering, which vfio-pci leaves off: it is switched on
// through the VFIO config region the first time the device is used.
#pragma once

#include <cstdint>

#include "vfio_device.h"

namespace ioconform::agent {

inline constexpr uint16_t kEduVendor = 0x1234;
inline constexpr uint16_t kEduDevice = 0x11e8;
inline constexpr uint64_t kEduBufferAddr = 0x40000;
inline constexpr uint64_t kEduMaxTransfer = 4095;

class EduDevice {
 public:
  explicit EduDevice(VfioDevice& vfio) : vfio_(vfio) {}

  // RAM (an IOVA) -> edu buffer.
  void dma_from_iova(uint64_t iova, uint64_t length) { transfer(iova, kEduBufferAddr, length, false); }
  // edu buffer -> RAM (an IOVA).
  void dma_to_iova(uint64_t iova, uint64_t length) { transfer(kEduBufferAddr, iova, length, true); }

 private:
  void prepare();  // map BAR0, enable bus mastering; once per bind
  void transfer(uint64_t src, uint64_t dst, uint64_t length, bool to_ram);

  VfioDevice& vfio_;
  volatile uint8_t* bar0_ = nullptr;
};

}  // namespace ioconform::agent
