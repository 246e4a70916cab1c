// MD5 (RFC 1321), for ketama compatibility only: libmemcached and twemproxy place servers and hash
// keys with it. Not for anything that needs a cryptographic hash.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pylon::ring {

using Md5Digest = std::array<uint8_t, 16>;

// The 16-byte digest of `data`.
Md5Digest Md5(std::string_view data);

// The digest as 32 lowercase hex digits, as RFC 1321's test suite prints it.
std::string Md5Hex(std::string_view data);

// The little-endian 32-bit word at digest bytes [4 * word, 4 * word + 3] (word in 0..3): how
// ketama turns one digest into up to four points on the continuum.
uint32_t Md5Word(const Md5Digest& digest, unsigned word);

}  // namespace pylon::ring
