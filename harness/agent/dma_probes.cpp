// DMA_READ / DMA_WRITE: make a bound edu device touch an IOVA, and measure
// where the data went without asking any model.
//
// DMA_READ: let the device read `length` bytes at `iova` into edu's buffer,
// copy the buffer back into a scratch page (filled with a canary first), and
// decode the buffer/offset pattern (pattern.h). The probe answers for the first
// byte's page (docs/scenario-format.md): the bytes up to the first page boundary
// are decoded, and a zero first byte is a fault. The probe overwrites every byte
// it covers, so what was in edu's buffer before cannot show through: when the
// IOMMU refuses a page, QEMU stores zeroes for it (softmmu/physmem.c:
// address_space_translate_iommu() hands the access to io_mem_unassigned, whose
// reads return 0, and flatview_read_continue() stores that value into edu's
// buffer), and pattern bytes are never zero.
// tests/vm checks this on the real kernel (a refused read right after reads that
// filled edu's buffer with pattern or token bytes reports `fault`), which is why
// no DMA clears the buffer before the probe.
// DMA_WRITE: load a fresh token (bytes 0x01..0x7f, never found in an intact
// pattern) into edu's buffer from the scratch page, let the device write it at
// `iova`, search every scenario buffer for the part that belongs to the first
// byte's page, then put the pattern back everywhere.
// Each DMA costs edu's 100 ms timer. The agent's own transfers (readback, token
// load) go through the IOAS behind the HWPT the device's IOMMU group is
// attached to (ScratchWindow): the group, not the device, sits in a domain, so
// a device whose sibling holds the group in a domain DMAs through it even when
// the device itself is detached or was never attached (scenario_context.h:
// DeviceGroup). Only a device whose whole group is attached to nothing (the
// group is blocked) gets a ScratchAttachment for them, made after a DMA_READ
// probe and released before a DMA_WRITE probe, so the probe always sees the
// scenario's own attachment. Attaching it while a sibling is attached would
// fail anyway (drivers/iommu/iommufd/device.c:iommufd_hw_pagetable_attach:632,
// EINVAL for a second HWPT) or, to the sibling's HWPT, change the per-device
// reserved regions of the scenario's IOAS (device.c:iommufd_device_attach_reserved_iova).
// The kernel's DMAR fault records are attached as observations only: they are
// rate-limited, so their absence proves nothing.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "ops.h"
#include "pattern.h"
#include "scratch_attachment.h"
#include "scratch_window.h"
#include "step_error.h"

namespace ioconform::agent {
namespace {

struct Probe {
  DeviceSlot* dev;
  uint64_t iova;
  uint64_t length;
  std::optional<uint32_t> ioas;  // behind the group's HWPT, when the agent knows it
};

Probe parse_probe(ScenarioContext& ctx, StepArgs& a, const char* op) {
  Probe p{&a.device("dev"), a.u64("iova"), a.u64("length"), std::nullopt};
  a.check_all_used();
  if (p.length == 0 || p.length > kEduMaxTransfer)
    throw StepError(std::string(op) + ": length must be in 1..4095 (edu's buffer is 4 KiB and QEMU 7.2 aborts on 4096)");
  if (!p.dev->bound)
    throw StepError(std::string(op) + ": device '" + p.dev->name + "' is not bound; only a bound VFIO device can be driven");
  if (!p.dev->edu) p.dev->edu = std::make_unique<EduDevice>(*p.dev->vfio);
  if (p.dev->group->hwpt) p.ioas = ctx.objects.ioas_behind(*p.dev->group->hwpt);
  return p;
}

// Bytes of the probe that fall in the first byte's IOVA page.
uint64_t first_page_part(uint64_t iova, uint64_t length) { return std::min(length, 4096 - (iova & 4095)); }

nlohmann::json fault() { return {{"result", "fault"}}; }

nlohmann::json hit(const ScenarioContext& ctx, unsigned buffer, uint64_t offset) {
  if (buffer >= ctx.buffers.all().size()) return {{"result", "ok"}, {"buffer", nullptr}, {"offset", nullptr}};
  return {{"result", "ok"}, {"buffer", ctx.buffers.all()[buffer].name}, {"offset", offset}};
}

std::string hex(std::span<const uint8_t> bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

// The DMAR records printed since the probe. The fault interrupt is handled
// after the DMA engine reports completion: a probe whose last DMA was the probe
// itself (DMA_WRITE) gives it 20 ms; after a DMA_READ the 100 ms readback DMA
// has already given it that time.
nlohmann::json take_dmar(ScenarioContext& ctx, bool probe_was_last_dma) {
  if (probe_was_last_dma) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  nlohmann::json lines = nlohmann::json::array();
  for (auto& l : ctx.kmsg->take_new("DMAR:")) lines.push_back(l);
  return lines;
}

std::vector<uint8_t> fresh_token(uint64_t length) {
  static uint64_t state = 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(::getpid());
  std::vector<uint8_t> t(length);
  for (auto& b : t) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    b = static_cast<uint8_t>(1 + state % 127);  // 0x01..0x7f
  }
  return t;
}

// The first `p.length` bytes of edu's buffer, copied out through the IOAS
// behind the device's group, or through a scratch attachment when the group
// is attached to nothing.
std::vector<uint8_t> read_back(ScenarioContext& ctx, const Probe& p) {
  std::optional<ScratchAttachment> scratch;
  uint32_t ioas = p.ioas ? *p.ioas : scratch.emplace(ctx.iommufd, *p.dev->vfio, p.dev->devid).ioas();
  std::vector<uint8_t> data;
  {
    ScratchWindow window(ctx.iommufd, ioas, p.iova, p.length);
    if (!window.ok())
      throw StepError("DMA_READ: cannot map the probe scratch page into IOAS " + std::to_string(ioas) + ": " +
                      std::strerror(window.error()));
    auto page = window.bytes();
    std::fill(page.begin(), page.end(), 0xEE);
    p.dev->edu->dma_to_iova(window.iova(), p.length);
    data.assign(page.begin(), page.begin() + static_cast<std::ptrdiff_t>(p.length));
  }
  if (scratch) scratch->release();
  if (std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0xEE; }))
    throw StepError("DMA_READ: reading edu's buffer back through IOAS " + std::to_string(ioas) +
                    " failed; the device's domain does not translate that IOAS");
  return data;
}

// Put `token` into edu's buffer before a DMA_WRITE probe. A device whose group
// is attached to a HWPT whose IOAS the agent does not know (nested) cannot be
// given one without replacing its group's attachment; then whatever edu writes
// cannot carry this token, so the search after the probe still measures
// something, only less.
void load_token(ScenarioContext& ctx, const Probe& p, std::span<const uint8_t> token) {
  if (p.dev->group->hwpt && !p.ioas) return;
  std::optional<ScratchAttachment> scratch;
  uint32_t ioas = p.ioas ? *p.ioas : scratch.emplace(ctx.iommufd, *p.dev->vfio, p.dev->devid).ioas();
  {
    ScratchWindow window(ctx.iommufd, ioas, p.iova, p.length);
    if (!window.ok())
      throw StepError("DMA_WRITE: cannot map the probe scratch page into IOAS " + std::to_string(ioas) + ": " +
                      std::strerror(window.error()));
    std::memcpy(window.bytes().data(), token.data(), token.size());
    p.dev->edu->dma_from_iova(window.iova(), p.length);
  }  // the window is unmapped here, before the probe
  if (scratch) scratch->release();
}

}  // namespace

StepOutcome op_dma_read(ScenarioContext& ctx, StepArgs& a) {
  Probe p = parse_probe(ctx, a, "DMA_READ");
  if (p.dev->group->hwpt && !p.ioas)
    throw StepError("DMA_READ: device '" + p.dev->name + "' DMAs through HWPT " +
                    std::to_string(*p.dev->group->hwpt) + (p.dev->attached ? "" : " (its group's)") +
                    ", which translates through no IOAS the agent made (a nested HWPT?): edu's buffer cannot be "
                    "read back");
  EduDevice& edu = *p.dev->edu;
  ctx.kmsg->take_new("DMAR:");  // forget records older than this probe
  edu.dma_from_iova(p.iova, p.length);  // the probe
  std::vector<uint8_t> data = read_back(ctx, p);
  StepOutcome r;
  r.observations = take_dmar(ctx, false);
  if (data[0] == 0) {
    r.out = fault();
    return r;
  }
  auto decoded = pattern_decode(std::span<const uint8_t>(data).first(first_page_part(p.iova, p.length)));
  if (decoded) {
    r.out = hit(ctx, decoded->buffer, decoded->offset);
  } else {
    r.out = {{"result", "ok"}, {"buffer", nullptr}, {"offset", nullptr}};
    r.out["bytes"] = hex(std::span<const uint8_t>(data).first(std::min<size_t>(16, data.size())));
  }
  return r;
}

StepOutcome op_dma_write(ScenarioContext& ctx, StepArgs& a) {
  Probe p = parse_probe(ctx, a, "DMA_WRITE");
  EduDevice& edu = *p.dev->edu;
  ctx.kmsg->take_new("DMAR:");
  std::vector<uint8_t> token = fresh_token(p.length);
  load_token(ctx, p, token);
  edu.dma_to_iova(p.iova, p.length);  // the probe
  StepOutcome r;
  auto where = ctx.buffers.search(std::span<const uint8_t>(token).first(first_page_part(p.iova, p.length)));
  r.out = where ? hit(ctx, where->first, where->second) : fault();
  ctx.buffers.restore_pattern();
  r.observations = take_dmar(ctx, true);
  return r;
}

}  // namespace ioconform::agent
