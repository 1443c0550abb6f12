// The buffer/offset pattern (see pattern.h for the word layout).
#include "pattern.h"

namespace ioconform::agent {
namespace {

void word_bytes(unsigned buffer, uint64_t word, uint8_t out[kPatternWord]) {
  out[0] = 0xA5;
  out[1] = static_cast<uint8_t>(0x80 | (buffer & 0x7F));
  for (unsigned k = 0; k < 4; ++k) out[2 + k] = static_cast<uint8_t>(0x80 | ((word >> (7 * k)) & 0x7F));
  out[6] = 0xC3;
  out[7] = 0x96;
}

}  // namespace

uint8_t pattern_byte(unsigned buffer, uint64_t offset) {
  uint8_t w[kPatternWord];
  word_bytes(buffer, offset / kPatternWord, w);
  return w[offset % kPatternWord];
}

void pattern_fill(std::span<uint8_t> bytes, unsigned buffer, uint64_t offset) {
  uint8_t w[kPatternWord];
  uint64_t cached = UINT64_MAX;
  for (size_t i = 0; i < bytes.size(); ++i) {
    uint64_t off = offset + i;
    if (off / kPatternWord != cached) {
      cached = off / kPatternWord;
      word_bytes(buffer, cached, w);
    }
    bytes[i] = w[off % kPatternWord];
  }
}

size_t pattern_restore(std::span<uint8_t> bytes, unsigned buffer, uint64_t offset) {
  size_t differed = 0;
  uint8_t w[kPatternWord];
  uint64_t cached = UINT64_MAX;
  for (size_t i = 0; i < bytes.size(); ++i) {
    uint64_t off = offset + i;
    if (off / kPatternWord != cached) {
      cached = off / kPatternWord;
      word_bytes(buffer, cached, w);
    }
    if (bytes[i] != w[off % kPatternWord]) {
      bytes[i] = w[off % kPatternWord];
      ++differed;
    }
  }
  return differed;
}

std::optional<PatternHit> pattern_decode(std::span<const uint8_t> data) {
  for (size_t p = 0; p + kPatternWord <= data.size(); ++p) {
    const uint8_t* b = data.data() + p;
    if (b[0] != 0xA5 || b[6] != 0xC3 || b[7] != 0x96) continue;
    bool ok = true;
    for (unsigned k = 1; k <= 5; ++k) ok = ok && (b[k] & 0x80);
    if (!ok) continue;
    uint64_t word = 0;
    for (unsigned k = 0; k < 4; ++k) word |= static_cast<uint64_t>(b[2 + k] & 0x7F) << (7 * k);
    uint64_t off = word * kPatternWord;
    if (off < p) continue;  // cannot be the start of an aligned word: keep looking
    return PatternHit{static_cast<unsigned>(b[1] & 0x7F), off - p};
  }
  return std::nullopt;
}

}  // namespace ioconform::agent
