// A length prefix of 7 bits a byte (the high bit says another byte follows): lengths up to 127
// take one byte. For compact buffers the process writes and reads itself (no bounds checks on
// reading: the writer was us).
#pragma once

#include <cstddef>
#include <string>

namespace pylon::common {

// Bytes VarintPut writes for n.
inline size_t VarintSize(size_t n) {
  size_t bytes = 1;
  while (n >= 0x80) {
    n >>= 7;
    bytes++;
  }
  return bytes;
}

inline void VarintPut(std::string* out, size_t n) {
  while (n >= 0x80) {
    out->push_back(static_cast<char>(0x80 | (n & 0x7f)));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
}

// Writes n at *p (room for VarintSize(n) bytes) and advances *p past it.
inline void VarintWrite(char** p, size_t n) {
  while (n >= 0x80) {
    *(*p)++ = static_cast<char>(0x80 | (n & 0x7f));
    n >>= 7;
  }
  *(*p)++ = static_cast<char>(n);
}

// Reads a varint at *p and advances *p past it.
inline size_t VarintRead(const char** p) {
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<unsigned char>(*(*p)++);
    n |= static_cast<size_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return n;
  }
}

}  // namespace pylon::common
