// cmsgpack and struct (modules/scripting/lua_libs) against redis-server 7.0.15's answers: each
// case of lua_libs_cases.txt is a Lua snippet and the text Redis returned for it (recorded by
// tests/compat/lua_libs_reference.py), run here through Pylon's libraries in a Lua 5.1 state
// set up as Redis's is (the standard libraries, then struct and cmsgpack as globals).
#include "modules/scripting/lua_libs/lua_libs.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include <lauxlib.h>
#include <lualib.h>
}

namespace pylon::scripting {
namespace {

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(PYLON_SOURCE_DIR) + "/" + relative, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Case {
  int line;
  std::string snippet;
  std::string redis_answer;
};

std::vector<Case> ReadCases() {
  std::istringstream in(ReadSourceFile("tests/unit/lua_libs_cases.txt"));
  std::vector<Case> cases;
  std::string line;
  for (int number = 1; std::getline(in, line); number++) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);  // every case has Redis's answer recorded
    cases.push_back({number, line.substr(0, tab), line.substr(tab + 1)});
  }
  return cases;
}

// A Lua state with what Redis's scripts see of the libraries under test.
class LuaState {
 public:
  LuaState() : L_(luaL_newstate()) {
    luaL_openlibs(L_);
    OpenStruct(L_);
    OpenCmsgpack(L_);
    lua_settop(L_, 0);
  }
  ~LuaState() { lua_close(L_); }
  LuaState(const LuaState&) = delete;
  LuaState& operator=(const LuaState&) = delete;

  // Runs a chunk named as Redis names a script's; its string result, or "lua error: <message>".
  std::string Run(const std::string& chunk) {
    lua_settop(L_, 0);
    if (luaL_loadbuffer(L_, chunk.data(), chunk.size(), "@user_script") != 0 ||
        lua_pcall(L_, 0, 1, 0) != 0) {
      return "lua error: " + std::string(lua_tostring(L_, -1));
    }
    size_t len = 0;
    const char* s = lua_tolstring(L_, -1, &len);
    return s == nullptr ? "(not a string)" : std::string(s, len);
  }

  lua_State* get() { return L_; }

 private:
  lua_State* L_;
};

TEST_CASE("cmsgpack and struct answer every recorded case as redis-server does", "[lua_libs]") {
  const std::string prelude = ReadSourceFile("tests/unit/lua_libs_prelude.lua");
  const std::vector<Case> cases = ReadCases();
  REQUIRE(cases.size() > 400);
  LuaState lua;
  int differ = 0;
  for (const Case& c : cases) {
    // The same chunk as the reference script's EVAL: prelude, newline, snippet.
    std::string chunk = prelude;
    while (!chunk.empty() && chunk.back() == '\n') chunk.pop_back();
    const std::string answer = lua.Run(chunk + "\n" + c.snippet);
    if (answer != c.redis_answer) {
      differ++;
      INFO("lua_libs_cases.txt:" << c.line << ": " << c.snippet);
      CHECK(answer == c.redis_answer);
    }
  }
  CHECK(differ == 0);
}

TEST_CASE("the libraries are left as globals and on the stack", "[lua_libs]") {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  CHECK(OpenCmsgpack(L) == 1);
  CHECK(OpenStruct(L) == 1);
  REQUIRE(lua_gettop(L) == 2);
  lua_getglobal(L, "cmsgpack");
  CHECK(lua_rawequal(L, -1, 1));
  lua_getglobal(L, "struct");
  CHECK(lua_rawequal(L, -1, 2));
  lua_close(L);
}

// Random values of every kind (integers at all widths, floats, doubles, strings across the
// header sizes, nested arrays and maps) come back equal from unpack(pack(v)), in one pack call
// and through unpack_one's offsets.
TEST_CASE("cmsgpack round-trips random values", "[lua_libs]") {
  LuaState lua;
  const std::string script = R"lua(
    math.randomseed(20240607)
    local function value(depth)
      local kind = math.random(1, depth < 4 and 9 or 6)
      if kind == 1 then return math.random(-2^31, 2^31) * 2^math.random(0, 31) end
      if kind == 2 then return math.random(-300, 300) end
      if kind == 3 then return (math.random() - 0.5) * 10^math.random(-40, 40) end
      if kind == 4 then return string.rep(string.char(math.random(0, 255)),
                                          ({0, 5, 31, 32, 255, 256, 65535, 65536})[math.random(1, 8)]) end
      if kind == 5 then return math.random(0, 1) == 1 end
      if kind == 6 then return math.random(1, 2) * 0.25 end
      local t = {}
      if kind == 7 then
        for i = 1, math.random(0, 20) do t[i] = value(depth + 1) end
      else
        for i = 1, math.random(0, 20) do t['k' .. i] = value(depth + 1) end
      end
      return t
    end
    local function same(a, b)
      if type(a) ~= type(b) then return false end
      if type(a) ~= 'table' then return a == b end
      for k, v in pairs(a) do if not same(v, b[k]) then return false end end
      for k in pairs(b) do if a[k] == nil then return false end end
      return true
    end
    for round = 1, 300 do
      local a, b, c = value(0), value(0), value(0)
      local packed = cmsgpack.pack(a, b, c)
      local x, y, z = cmsgpack.unpack(packed)
      if not (same(a, x) and same(b, y) and same(c, z)) then return 'round ' .. round .. ' differs' end
      local offset, one = cmsgpack.unpack_one(packed)
      local offset2, two = cmsgpack.unpack_one(packed, offset)
      local offset3, three = cmsgpack.unpack_one(packed, offset2)
      if offset3 ~= -1 or not (same(one, a) and same(two, b) and same(three, c)) then
        return 'round ' .. round .. ': unpack_one differs'
      end
    end
    return 'ok'
  )lua";
  CHECK(lua.Run(script) == "ok");
}

}  // namespace
}  // namespace pylon::scripting
