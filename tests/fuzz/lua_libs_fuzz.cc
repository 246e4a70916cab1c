// Feeds arbitrary bytes to cmsgpack's and struct's decoders inside lua_pcall, as a script's
// arguments would reach them: cmsgpack.unpack / unpack_one / unpack_limit over the input, and
// struct.unpack with a format and data both taken from the input. Lua errors are expected (bad
// input gets Redis's error text); a crash, a sanitizer report or a read past the input is not.
// Whatever unpack returns is packed again, and that packing must unpack.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "modules/scripting/lua_libs/lua_libs.h"

extern "C" {
#include <lauxlib.h>
#include <lualib.h>
}

namespace {

// Runs with the input as `input` (and its first byte as `selector`): the data's split between a
// struct format and its data, and the cmsgpack entry point, both follow from the bytes.
constexpr const char kDriver[] = R"lua(
local input, selector = ...
local split = selector % (#input + 1)
pcall(struct.unpack, input:sub(1, split), input:sub(split + 1))
pcall(struct.unpack, input:sub(1, split), input:sub(split + 1), selector % 7 - 2)
pcall(struct.size, input:sub(1, split))
local body = input:sub(2)
local which = selector % 3
local ok, a, b, c
if which == 0 then
  ok, a, b, c = pcall(cmsgpack.unpack, body)
elseif which == 1 then
  ok, a, b, c = pcall(cmsgpack.unpack_one, body, selector % 5)
else
  ok, a, b, c = pcall(cmsgpack.unpack_limit, body, selector % 4, selector % 3)
end
if ok then
  -- What unpack returned packs again, and that packing unpacks to as many values; the one
  -- allowed failure is a table key nested past the 16 levels pack keeps, which packs as nil.
  local repacked = cmsgpack.pack(a, b, c)
  local ok2, n = pcall(function() return select('#', cmsgpack.unpack(repacked)) end)
  if ok2 and n ~= 3 then error('repacking lost values', 0) end
  if not ok2 and n ~= 'table index is nil' then error('repacked value fails: ' .. n, 0) end
end
return 'done'
)lua";

lua_State* NewState() {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  pylon::scripting::OpenStruct(L);
  pylon::scripting::OpenCmsgpack(L);
  lua_settop(L, 0);
  if (luaL_loadbuffer(L, kDriver, sizeof kDriver - 1, "=driver") != 0) {
    std::fprintf(stderr, "driver does not compile: %s\n", lua_tostring(L, -1));
    std::abort();
  }
  lua_setglobal(L, "driver");
  return L;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lua_State* L = NewState();
  if (size == 0) return 0;
  lua_settop(L, 0);
  lua_getglobal(L, "driver");
  lua_pushlstring(L, reinterpret_cast<const char*>(data), size);
  lua_pushinteger(L, data[0]);
  if (lua_pcall(L, 2, 1, 0) != 0) {
    const char* message = lua_tostring(L, -1);
    // Only the driver's own check may fail: the libraries' errors were caught by pcall inside.
    std::fprintf(stderr, "driver failed: %s\n", message ? message : "(no message)");
    std::abort();
  }
  lua_settop(L, 0);
  lua_gc(L, LUA_GCSTEP, 100);
  return 0;
}
