// Redis's reverse-binary scan cursor (dict.c's dictScan), shared by every hash table that SCANs
// (the keyspace, a large set): the cursor counts up in its reversed bits, so a scan stays valid
// when the table doubles or halves between calls: nothing present for the whole scan is missed,
// and only entries that moved with a resize can come back twice.
#pragma once

#include <cstdint>

namespace pylon::common {

inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

// The cursor after `cursor` for a table of mask + 1 buckets (a power of two); 0 when the scan
// has visited every bucket.
inline uint64_t NextScanCursor(uint64_t cursor, uint64_t mask) {
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  cursor++;
  return ReverseBits(cursor);
}

}  // namespace pylon::common
