// Redis's bundled Lua libraries that Debian does not package (cjson and bit come from Debian's
// lua-cjson and lua-bitop): cmsgpack (MessagePack) and struct (binary packing), written for Pylon
// to behave as redis-server 7.0.15's copies do, byte for byte and error for error.
#pragma once

extern "C" {
#include <lua.h>
}

namespace pylon::scripting {

// Each builds its library table, sets it as the global `cmsgpack` / `struct` (as Redis's
// scripting engine leaves them), and returns 1 with the table on the stack.
int OpenCmsgpack(lua_State* L);
int OpenStruct(lua_State* L);

}  // namespace pylon::scripting
