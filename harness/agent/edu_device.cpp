// EduDevice: program edu's DMA engine and wait for it.
#include "edu_device.h"

#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <time.h>

#include <chrono>
#include <thread>

#include "step_error.h"

namespace ioconform::agent {
namespace {

constexpr uint64_t kRegSrc = 0x80, kRegDst = 0x88, kRegCount = 0x90, kRegCmd = 0x98;
constexpr uint64_t kCmdStart = 0x1, kCmdToRam = 0x2;

void write64(volatile uint8_t* bar, uint64_t reg, uint64_t v) {
  *reinterpret_cast<volatile uint64_t*>(bar + reg) = v;
}
uint64_t read64(volatile uint8_t* bar, uint64_t reg) { return *reinterpret_cast<volatile uint64_t*>(bar + reg); }

}  // namespace

void EduDevice::prepare() {
  if (bar0_) return;
  uint64_t size = 0;
  bar0_ = vfio_.map_bar(VFIO_PCI_BAR0_REGION_INDEX, &size);
  if (size < 0x100) throw StepError("edu BAR0 of " + vfio_.bdf() + " is too small");
  uint16_t cmd = vfio_.config_read16(PCI_COMMAND);
  vfio_.config_write16(PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

void EduDevice::transfer(uint64_t src, uint64_t dst, uint64_t length, bool to_ram) {
  if (length == 0 || length > kEduMaxTransfer) throw StepError("edu DMA length must be in 1..4095");
  prepare();
  write64(bar0_, kRegSrc, src);
  write64(bar0_, kRegDst, dst);
  write64(bar0_, kRegCount, length);
  write64(bar0_, kRegCmd, kCmdStart | (to_ram ? kCmdToRam : 0));
  // The engine clears the start bit when its 100 ms timer has run the copy.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (read64(bar0_, kRegCmd) & kCmdStart) {
    if (std::chrono::steady_clock::now() > deadline) throw StepError("edu DMA did not complete within 10 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace ioconform::agent
