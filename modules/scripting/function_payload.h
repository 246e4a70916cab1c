// FUNCTION DUMP and FUNCTION RESTORE's payload, in Redis's format so that payloads move between
// Redis and Pylon: per library the RDB function opcode and the library's code as an RDB string
// (LZF-compressed when longer than 20 bytes and compression saves room, as Redis writes it),
// then the RDB version (2 bytes) and a CRC-64 of all before it (8 bytes, little-endian).
#pragma once

#include <string>
#include <string_view>

#include "modules/scripting/function_libraries.h"

namespace pylon::scripting {

enum class RestorePolicy { kAppend, kReplace, kFlush };

std::string DumpFunctions(const FunctionLibraries& functions);
// Loads every library of `payload` into `functions` under `policy`: all of them or, on any
// error, none (*error then holds Redis's text, code included).
bool RestoreFunctions(std::string_view payload, RestorePolicy policy, FunctionLibraries& functions,
                      std::string* error);

}  // namespace pylon::scripting
