// FUNCTION RESTORE's payload parser on arbitrary bytes (the CRC check, which would stop nearly
// every input, comes before it in the server): RDB string lengths, integer encodings, LZF.
// Whatever parses must give library payloads whose lengths add up to no more than what the
// decompressor may produce; nothing may crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "modules/scripting/function_payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> libraries;
  std::string error;
  if (pylon::scripting::ReadFunctionPayload(body, &libraries, &error)) {
    if (!error.empty()) __builtin_trap();  // success leaves no error behind
  } else if (error.empty()) {
    __builtin_trap();  // a refusal always says why
  }
  return 0;
}
