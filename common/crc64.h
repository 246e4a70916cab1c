// CRC-64 as Redis checks DUMP and RDB payloads with it (the "Jones" polynomial, reflected, no
// final xor): crc64(0, "123456789") is 0xe9c6d914c4b8d9ca.
#pragma once

#include <cstdint>
#include <string_view>

namespace pylon::common {

uint64_t Crc64(uint64_t crc, std::string_view data);

}  // namespace pylon::common
