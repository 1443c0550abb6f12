// DMA_READ / DMA_WRITE: make a bound edu device touch an IOVA, and measure
// where the data went without asking any model.
//
// DMA_READ: clear edu's buffer from a zeroed scratch page, let the device read
// `length` bytes at `iova`, copy the buffer back into the scratch page (filled
// with a canary first), and decode the buffer/offset pattern (pattern.h). The
// probe answers for the first byte's page (docs/scenario-format.md): the bytes
// up to the first page boundary are decoded, and a zero first byte (pattern
// bytes are never zero; QEMU gives zeroes for a read the IOMMU refused) is a
// fault.
// DMA_WRITE: load a fresh token (bytes 0x01..0x7f, never found in an intact
// pattern) into edu's buffer from the scratch page, let the device write it at
// `iova`, search every scenario buffer for the part that belongs to the first
// byte's page, then put the pattern back everywhere.
// Each DMA costs edu's 100 ms timer. Reading back needs the IOAS behind the
// device's attached HWPT (ScratchWindow); a DMA_READ on a device with none
// (detached: blocked) is answered from the kernel's DMAR fault record, and is a
// scenario error when the rate-limited record is missing.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "ops.h"
#include "pattern.h"
#include "scratch_window.h"
#include "step_error.h"

namespace ioconform::agent {
namespace {

struct Probe {
  DeviceSlot* dev;
  uint64_t iova;
  uint64_t length;
  std::optional<uint32_t> ioas;
};

Probe parse_probe(ScenarioContext& ctx, StepArgs& a, const char* op) {
  Probe p{&a.device("dev"), a.u64("iova"), a.u64("length"), std::nullopt};
  a.check_all_used();
  if (p.length == 0 || p.length > kEduMaxTransfer)
    throw StepError(std::string(op) + ": length must be in 1..4095 (edu's buffer is 4 KiB and QEMU 7.2 aborts on 4096)");
  if (!p.dev->bound)
    throw StepError(std::string(op) + ": device '" + p.dev->name + "' is not bound; only a bound VFIO device can be driven");
  if (!p.dev->edu) p.dev->edu = std::make_unique<EduDevice>(*p.dev->vfio);
  if (p.dev->attached) p.ioas = ctx.objects.ioas_behind(*p.dev->attached);
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

nlohmann::json take_dmar(ScenarioContext& ctx) {
  // The fault interrupt is handled after the DMA engine reports completion.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
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

}  // namespace

StepOutcome op_dma_read(ScenarioContext& ctx, StepArgs& a) {
  Probe p = parse_probe(ctx, a, "DMA_READ");
  EduDevice& edu = *p.dev->edu;
  ctx.kmsg->take_new("DMAR:");  // forget records older than this probe
  StepOutcome r;
  if (!p.ioas) {
    edu.dma_from_iova(p.iova, p.length);
    r.observations = take_dmar(ctx);
    for (const auto& l : r.observations)
      if (l.get<std::string>().find(p.dev->vfio->bdf()) != std::string::npos) {
        r.out = fault();
        r.out["basis"] = "dmar_fault_record";
        return r;
      }
    throw StepError("DMA_READ: device '" + p.dev->name +
                    "' has no IOAS to read edu's buffer back through and the kernel logged no DMAR fault");
  }
  ScratchWindow window(ctx.iommufd, *p.ioas, p.iova, p.length);
  if (!window.ok())
    throw StepError("DMA_READ: cannot map the probe scratch page into IOAS " + std::to_string(*p.ioas) + ": " +
                    std::strerror(window.error()));
  auto page = window.bytes();
  std::fill(page.begin(), page.end(), 0);
  edu.dma_from_iova(window.iova(), p.length);  // clear edu's buffer
  edu.dma_from_iova(p.iova, p.length);         // the probe
  std::fill(page.begin(), page.end(), 0xEE);
  edu.dma_to_iova(window.iova(), p.length);    // read edu's buffer back
  auto data = page.first(p.length);
  r.observations = take_dmar(ctx);
  if (std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0xEE; }))
    throw StepError("DMA_READ: reading edu's buffer back through IOAS " + std::to_string(*p.ioas) +
                    " failed; the device's domain does not translate that IOAS");
  if (data[0] == 0) {
    r.out = fault();
    return r;
  }
  auto decoded = pattern_decode(data.first(first_page_part(p.iova, p.length)));
  if (decoded) {
    r.out = hit(ctx, decoded->buffer, decoded->offset);
  } else {
    r.out = {{"result", "ok"}, {"buffer", nullptr}, {"offset", nullptr}};
    r.out["bytes"] = hex(data.first(std::min<size_t>(16, data.size())));
  }
  return r;
}

StepOutcome op_dma_write(ScenarioContext& ctx, StepArgs& a) {
  Probe p = parse_probe(ctx, a, "DMA_WRITE");
  EduDevice& edu = *p.dev->edu;
  ctx.kmsg->take_new("DMAR:");
  std::vector<uint8_t> token = fresh_token(p.length);
  StepOutcome r;
  {
    // Without an IOAS behind the device the token cannot be loaded; whatever
    // edu then writes cannot carry this token, so the search below is still a
    // measurement.
    std::optional<ScratchWindow> window;
    if (p.ioas) {
      window.emplace(ctx.iommufd, *p.ioas, p.iova, p.length);
      if (!window->ok())
        throw StepError("DMA_WRITE: cannot map the probe scratch page into IOAS " + std::to_string(*p.ioas) + ": " +
                        std::strerror(window->error()));
      std::memcpy(window->bytes().data(), token.data(), token.size());
      edu.dma_from_iova(window->iova(), p.length);  // load the token
    }
    edu.dma_to_iova(p.iova, p.length);  // the probe
  }
  auto where = ctx.buffers.search(std::span<const uint8_t>(token).first(first_page_part(p.iova, p.length)));
  r.out = where ? hit(ctx, where->first, where->second) : fault();
  ctx.buffers.restore_pattern();
  r.observations = take_dmar(ctx);
  return r;
}

}  // namespace ioconform::agent
