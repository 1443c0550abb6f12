// The buffer/offset pattern: every byte of scenario memory says where it is.
//
// Buffer memory is a sequence of 8-byte words; the word at byte offset 8*w of
// buffer b is
//     A5  80|b  80|w[0:7]  80|w[7:14]  80|w[14:21]  80|w[21:28]  C3  96
// so a DMA that read any 8 aligned bytes tells which buffer and which offset it
// reached (b < 128, buffers up to 2 GiB). Every pattern byte is non-zero, so a
// read that returned all zeroes reached no scenario memory; and every pattern
// byte is >= 0x80, so a DMA_WRITE token made of bytes 0x01..0x7f can be found
// again unambiguously, even one byte of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ioconform::agent {

inline constexpr size_t kPatternWord = 8;
inline constexpr unsigned kMaxPatternBuffers = 128;

// The pattern byte at `offset` of buffer `buffer`.
uint8_t pattern_byte(unsigned buffer, uint64_t offset);

// Fill `bytes`, which sit at `offset` of buffer `buffer`, with the pattern.
void pattern_fill(std::span<uint8_t> bytes, unsigned buffer, uint64_t offset);

// Rewrite the bytes of `bytes` that differ from the pattern; returns how many differed.
size_t pattern_restore(std::span<uint8_t> bytes, unsigned buffer, uint64_t offset);

struct PatternHit {
  unsigned buffer;
  uint64_t offset;  // of the first byte of the data in that buffer
};

// Decode what a device read: the first whole pattern word in `data` names the
// buffer and the offset of data[0]. nullopt when no whole word is present.
std::optional<PatternHit> pattern_decode(std::span<const uint8_t> data);

}  // namespace ioconform::agent
