// LEB128 varints, as the queue's packed backlogs and its serialized form write numbers: 7 bits a
// byte, lowest first, the high bit set on every byte but the last. Small numbers (the deltas
// between neighbouring records) take one byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pylon::queue {

inline constexpr size_t kMaxVarint = 10;  // a 64-bit value

// Writes v at out (room for kMaxVarint bytes); returns the bytes written.
inline size_t PutVarint(char* out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<char>(v);
  return n;
}

inline void AppendVarint(std::string* out, uint64_t v) {
  char buf[kMaxVarint];
  out->append(buf, PutVarint(buf, v));
}

// Reads a varint this process wrote (a backlog segment): nothing to check.
inline uint64_t ReadVarint(const char** p) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<uint8_t>(*(*p)++);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return v;
  }
}

// Reads a varint from bytes read back from elsewhere: false when they end first or the value
// does not fit 64 bits.
inline bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (size_t i = 0; i < in->size() && i < kMaxVarint; i++) {
    const auto byte = static_cast<uint8_t>((*in)[i]);
    if (i == kMaxVarint - 1 && byte > 1) return false;  // bits past the 64th
    *v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

}  // namespace pylon::queue
