#include "modules/scripting/lua_engine.h"

#include <strings.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/redis_version.h"
#include "modules/scripting/lua_convert.h"
#include "modules/scripting/lua_libs/lua_libs.h"
#include "modules/scripting/sha1.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

namespace pylon::scripting {
namespace {

// Registry keys (their addresses are unique).
char kEngineKey;    // the LuaEngine
char kReadOnlyKey;  // in a proxy's metatable: the proxy is read-only

constexpr const char* kReadOnlyError = "Attempt to modify a readonly table";

// The library tables scripts reach as globals; each becomes a read-only proxy.
constexpr const char* kLibraryTables[] = {"string", "table",    "math",      "cjson", "bit",
                                          "struct", "cmsgpack", "coroutine", "redis"};
// Loaded by the base library but not given to scripts: Redis's deny list, and the functions
// 7.0.15 removed because they reach around its read-only tables (environments, userdata
// with metatables).
constexpr const char* kRemovedGlobals[] = {"dofile",  "loadfile", "print",
                                           "getfenv", "setfenv",  "newproxy"};

// The flags scripts declare, in Redis's spelling.
struct FlagName {
  const char* name;
  uint32_t flag;
};
constexpr FlagName kFlagNames[] = {{"no-writes", kScriptNoWrites},
                                   {"allow-oom", kScriptAllowOom},
                                   {"allow-stale", kScriptAllowStale},
                                   {"no-cluster", kScriptNoCluster},
                                   {"allow-cross-slot-keys", kScriptAllowCrossSlot}};

// The error handler every run gets (Redis's, in spirit): it names where the error came from
// (the caller of a C function such as redis.call, not the C function), and turns a plain error
// into an {err=...} table.
constexpr const char* kErrorHandler =
    "local getinfo = debug.getinfo\n"
    "return function(err)\n"
    "  local where = getinfo(2, 'nSl')\n"
    "  if where and where.what == 'C' then where = getinfo(3, 'nSl') end\n"
    "  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end\n"
    "  if where then\n"
    "    err['source'] = where.source\n"
    "    err['line'] = where.currentline\n"
    "  end\n"
    "  return err\n"
    "end\n";

bool IsReadOnly(lua_State* L, int index) {
  if (!lua_istable(L, index) || !lua_getmetatable(L, index)) return false;
  lua_pushlightuserdata(L, &kReadOnlyKey);
  lua_rawget(L, -2);
  const bool read_only = lua_toboolean(L, -1);
  lua_pop(L, 2);
  return read_only;
}

// Raises Redis's read-only error without a position, as its patched lua_rawset does.
int RaiseReadOnly(lua_State* L) {
  lua_pushstring(L, kReadOnlyError);
  return lua_error(L);
}

// Compiles Lua source. Lua would take a chunk that starts with the bytecode signature as
// precompiled bytecode, which a sandbox must never run (it can break the VM's memory safety);
// Redis's Lua has no bytecode loader, so such a chunk is parsed as text and fails as text does.
// Here a leading space makes the parser see text: the same error, and the same line numbers.
int LoadText(lua_State* L, std::string_view code, const char* chunkname) {
  if (code.empty() || code[0] != LUA_SIGNATURE[0]) {
    return luaL_loadbuffer(L, code.data(), code.size(), chunkname);
  }
  struct Pieces {
    std::string_view parts[2];
    int next = 0;
  } pieces{{" ", code}};
  const lua_Reader read = [](lua_State*, void* data, size_t* size) -> const char* {
    auto* p = static_cast<Pieces*>(data);
    if (p->next == 2) {
      *size = 0;
      return nullptr;
    }
    const std::string_view part = p->parts[p->next++];
    *size = part.size();
    return part.data();
  };
  return lua_load(L, read, &pieces, chunkname);
}

}  // namespace

// The C functions scripts call. A struct so that they may reach LuaEngine's private state.
struct LuaApi {
  static LuaEngine& Engine(lua_State* L) {
    lua_pushlightuserdata(L, &kEngineKey);
    lua_rawget(L, LUA_REGISTRYINDEX);
    auto* engine = static_cast<LuaEngine*>(lua_touserdata(L, -1));
    lua_pop(L, 1);
    return *engine;
  }

  // The string at `index` with its length (a NUL inside stays, and is then refused as a name).
  static std::string StringAt(lua_State* L, int index) {
    size_t len = 0;
    const char* s = lua_tolstring(L, index, &len);
    return std::string(s, len);
  }

  // Pushes {err=...} and raises it.
  static int Raise(lua_State* L, std::string_view text) {
    PushErrorTable(L, text);
    return lua_error(L);
  }

  // Runs `body`, then raises the error it reports, if any, once its C++ locals are gone:
  // lua_error longjmps, which would skip their destructors.
  template <int (*body)(lua_State*, std::string*)>
  static int RaiseAfter(lua_State* L) {
    {
      std::string error;
      const int results = body(L, &error);
      if (error.empty()) return results;
      PushErrorTable(L, error);
    }
    return lua_error(L);
  }

  static int Command(lua_State* L, bool raise) {
    LuaEngine& e = Engine(L);
    if (!e.run_) return Raise(L, "redis.call/pcall can only be called inside a script invocation");
    const int argc = lua_gettop(L);
    if (argc == 0) {
      PushErrorTable(L, "Please specify at least one argument for this redis lib call");
      return raise ? lua_error(L) : 1;
    }
    if (e.in_call_) {
      PushErrorTable(L,
                     "luaRedisGenericCommand() recursive call detected. Are you doing funny "
                     "stuff with Lua debug hooks?");
      return 1;
    }
    e.call_args_.clear();
    if (e.number_args_.size() < static_cast<size_t>(argc)) e.number_args_.resize(argc);
    for (int i = 1; i <= argc; i++) {
      if (lua_type(L, i) == LUA_TNUMBER) {
        // Not lua_tolstring: Lua's own format (%.14g) loses precision.
        char* buf = e.number_args_[i - 1].data();
        const double d = lua_tonumber(L, i);
        size_t n;
        if (d != 0 && d > -1e15 && d < 1e15 && d == static_cast<double>(static_cast<int64_t>(d))) {
          // A whole number prints as %.17g prints it, without going through printf (the common
          // case: counts, TTLs, timestamps).
          n = static_cast<size_t>(std::to_chars(buf, buf + 32, static_cast<int64_t>(d)).ptr - buf);
        } else {
          n = static_cast<size_t>(std::snprintf(buf, 32, "%.17g", d));
        }
        e.call_args_.emplace_back(buf, n);
        continue;
      }
      size_t len = 0;
      const char* s = lua_tolstring(L, i, &len);
      if (!s) {
        lua_settop(L, 0);
        PushErrorTable(L, "Lua redis lib command arguments must be strings or integers");
        return raise ? lua_error(L) : 1;
      }
      e.call_args_.emplace_back(s, len);
    }
    e.in_call_ = true;
    const std::string_view reply = e.run_->host.Call(e.call_args_, e.script_resp_);
    e.in_call_ = false;
    lua_settop(L, 0);  // the arguments were only needed for the call
    PushReply(L, reply);
    if (raise && !reply.empty() && reply[0] == '-') return lua_error(L);
    return 1;
  }
  static int Call(lua_State* L) { return Command(L, true); }
  static int PCall(lua_State* L) { return Command(L, false); }

  // pcall as Redis 7 gives it: an error raised as an {err=...} table is caught as its text, so
  // that scripts written for older versions (whose errors were strings) still work.
  static int ProtectedCall(lua_State* L) {
    const int argc = lua_gettop(L);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    if (lua_pcall(L, argc - 1, LUA_MULTRET, 0)) {
      lua_remove(L, 1);
      if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        if (lua_isstring(L, -1)) {
          lua_replace(L, -2);
        } else {
          lua_pop(L, 1);
        }
      }
      lua_pushboolean(L, 0);
      lua_insert(L, 1);
    }
    return lua_gettop(L);
  }

  static int Sha1hex(lua_State* L) {
    if (lua_gettop(L) != 1) return Raise(L, "wrong number of arguments");
    size_t len = 0;
    const char* s = lua_tolstring(L, 1, &len);
    const std::string hex = Sha1Hex(s ? std::string_view(s, len) : std::string_view());
    lua_pushlstring(L, hex.data(), hex.size());
    return 1;
  }

  static int ErrorReply(lua_State* L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
      PushErrorTable(L, "wrong number or type of arguments");
      return 1;
    }
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    std::string text(s, len);
    if (text.empty() || text[0] != '-') text.insert(0, "-");
    PushErrorTable(L, text);
    return 1;
  }

  static int StatusReply(lua_State* L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
      PushErrorTable(L, "wrong number or type of arguments");
      return 1;
    }
    lua_newtable(L);
    lua_pushstring(L, "ok");
    lua_pushvalue(L, -3);
    lua_settable(L, -3);
    return 1;
  }

  static int Log(lua_State* L) {
    const int argc = lua_gettop(L);
    if (argc < 2) return Raise(L, "redis.log() requires two arguments or more.");
    if (!lua_isnumber(L, 1)) return Raise(L, "First argument must be a number (log level).");
    const int level = static_cast<int>(lua_tonumber(L, 1));
    if (level < 0 || level > 3) return Raise(L, "Invalid debug level.");
    std::string message;
    for (int i = 2; i <= argc; i++) {
      size_t len = 0;
      const char* s = lua_tolstring(L, i, &len);
      if (!s) continue;
      if (i != 2) message += ' ';
      message.append(s, len);
    }
    LuaEngine& e = Engine(L);
    // At FUNCTION LOAD time there is no run, and nowhere to log but the server's log: the
    // registrar's host is the one that loads. Redis logs in both cases.
    if (e.run_) e.run_->host.Log(level, message);
    return 0;
  }

  static int SetResp(lua_State* L) {
    LuaEngine& e = Engine(L);
    if (!e.run_) return Raise(L, "redis.setresp can only be called inside a script invocation");
    if (lua_gettop(L) != 1) return Raise(L, "redis.setresp() requires one argument.");
    const int resp = static_cast<int>(lua_tonumber(L, 1));
    if (resp != 2 && resp != 3) return Raise(L, "RESP version must be 2 or 3.");
    e.script_resp_ = resp;
    return 0;
  }

  // Accepted for compatibility: a script's effects are what the log records anyway.
  static int SetRepl(lua_State* L) {
    LuaEngine& e = Engine(L);
    if (!e.run_) return Raise(L, "redis.set_repl can only be called inside a script invocation");
    if (lua_gettop(L) != 1) return Raise(L, "redis.set_repl() requires two arguments.");
    const int flags = static_cast<int>(lua_tonumber(L, 1));
    if ((flags & ~3) != 0) {
      return Raise(L,
                   "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    }
    return 0;
  }

  static int ReplicateCommands(lua_State* L) {
    lua_pushboolean(L, 1);
    return 1;
  }
  // The debugger's calls do nothing outside a debugging session, as in Redis.
  static int Breakpoint(lua_State* L) {
    lua_pushboolean(L, 0);
    return 1;
  }
  static int Debug(lua_State*) { return 0; }

  static int AclCheckCmd(lua_State* L, std::string* error) {
    LuaEngine& e = Engine(L);
    if (!e.run_) {
      *error = "redis.acl_check_cmd can only be called inside a script invocation";
      return 0;
    }
    const int argc = lua_gettop(L);
    if (argc == 0) {
      *error = "Please specify at least one argument for this redis lib call";
      return 0;
    }
    std::vector<std::string_view> args;
    for (int i = 1; i <= argc; i++) {
      size_t len = 0;
      const char* s = lua_tolstring(L, i, &len);
      if (!s) {
        *error = "Lua redis lib command arguments must be strings or integers";
        return 0;
      }
      args.emplace_back(s, len);
    }
    if (!e.run_->host.KnowsCommand(args)) {
      *error = "Invalid command passed to redis.acl_check_cmd()";
      return 0;
    }
    lua_pushboolean(L, 1);
    return 1;
  }

  // math.random and math.randomseed on Redis's generator, with Lua's own argument rules.
  static int Random(lua_State* L) {
    LuaEngine& e = Engine(L);
    if (!e.run_) return luaL_error(L, "math.random can only be called inside a script invocation");
    const lua_Number r = static_cast<lua_Number>(e.random_.Next() % 2147483647) / 2147483647.0;
    switch (lua_gettop(L)) {
      case 0:
        lua_pushnumber(L, r);
        break;
      case 1: {
        const int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, std::floor(r * u) + 1);
        break;
      }
      case 2: {
        const int l = luaL_checkint(L, 1);
        const int u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, std::floor(r * (u - l + 1)) + l);
        break;
      }
      default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
  }
  static int RandomSeed(lua_State* L) {
    LuaEngine& e = Engine(L);
    if (!e.run_) {
      return luaL_error(L, "math.randomseed can only be called inside a script invocation");
    }
    e.random_.Seed(luaL_checkint(L, 1));
    return 0;
  }

  static void Hook(lua_State* L, lua_Debug*) {
    LuaEngine& e = Engine(L);
    if (e.registrar_) {
      if (e.registrar_->LoadTimedOut()) {
        lua_sethook(L, Hook, LUA_MASKLINE, 0);
        Raise(L, "FUNCTION LOAD timeout");
      }
      return;
    }
    if (!e.run_) return;
    if (e.killed_ || e.run_->host.Interrupted()) {
      // From now on every line raises again, so that a pcall cannot keep the script alive.
      e.killed_ = true;
      lua_sethook(L, Hook, LUA_MASKLINE, 0);
      Raise(L, "Script killed by user with SCRIPT KILL...");
    }
  }

  // redis.register_function(name, callback) or redis.register_function{function_name=...,
  // callback=..., flags={...}, description=...}, during FUNCTION LOAD only.
  static int RegisterFunction(lua_State* L, std::string* error) {
    LuaEngine& e = Engine(L);
    if (!e.registrar_) {
      *error = "redis.register_function can only be called on FUNCTION LOAD command";
      return 0;
    }
    const int argc = lua_gettop(L);
    if (argc < 1 || argc > 2) {
      *error = "wrong number of arguments to redis.register_function";
      return 0;
    }
    std::string name, description;
    uint32_t flags = 0;
    bool has_name = false;
    int ref = LUA_NOREF;
    auto fail = [&](std::string_view text) {
      if (ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, ref);
      *error = text;
      return 0;
    };
    if (argc == 2) {
      if (!lua_isstring(L, 1))
        return fail("first argument to redis.register_function must be a string");
      name = StringAt(L, 1);
      has_name = true;
      if (!lua_isfunction(L, 2)) {
        return fail("second argument to redis.register_function must be a function");
      }
      ref = luaL_ref(L, LUA_REGISTRYINDEX);  // pops the callback
    } else {
      if (!lua_istable(L, 1)) {
        return fail(
            "calling redis.register_function with a single argument is only applicable to Lua "
            "table (representing named arguments).");
      }
      lua_pushnil(L);
      while (lua_next(L, 1)) {
        if (!lua_isstring(L, -2)) {
          lua_pop(L, 2);
          return fail("named argument key given to redis.register_function is not a string");
        }
        const char* key = lua_tostring(L, -2);
        if (!strcasecmp(key, "function_name")) {
          if (!lua_isstring(L, -1)) {
            lua_pop(L, 2);
            return fail("function_name argument given to redis.register_function must be a string");
          }
          name = StringAt(L, -1);
          has_name = true;
        } else if (!strcasecmp(key, "description")) {
          if (!lua_isstring(L, -1)) {
            lua_pop(L, 2);
            return fail("description argument given to redis.register_function must be a string");
          }
          description = StringAt(L, -1);
        } else if (!strcasecmp(key, "callback")) {
          if (!lua_isfunction(L, -1)) {
            lua_pop(L, 2);
            return fail("callback argument given to redis.register_function must be a function");
          }
          if (ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, ref);
          ref = luaL_ref(L, LUA_REGISTRYINDEX);  // pops the value
          continue;
        } else if (!strcasecmp(key, "flags")) {
          if (!lua_istable(L, -1)) {
            lua_pop(L, 2);
            return fail(
                "flags argument to redis.register_function must be a table representing "
                "function flags");
          }
          for (int i = 1;; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_isnil(L, -1)) {
              lua_pop(L, 1);
              break;
            }
            const uint32_t flag =
                lua_isstring(L, -1) ? ScriptFlagByName(lua_tostring(L, -1), true) : 0;
            lua_pop(L, 1);
            if (!flag) {
              lua_pop(L, 2);
              return fail("unknown flag given");
            }
            flags |= flag;
          }
        } else {
          lua_pop(L, 2);
          return fail("unknown argument given to redis.register_function");
        }
        lua_pop(L, 1);
      }
      if (!has_name) return fail("redis.register_function must get a function name argument");
      if (ref == LUA_NOREF) return fail("redis.register_function must get a callback argument");
    }
    const std::string refused = e.registrar_->Register(name, description, ref, flags);
    if (!refused.empty()) return fail(refused);
    return 0;
  }

  // Read-only proxies' guards.
  static int NonexistentGlobal(lua_State* L) {
    if (lua_gettop(L) != 2)
      return luaL_error(L, "Wrong number of arguments to luaProtectedTableError");
    if (!lua_isstring(L, -1)) {
      return luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
    }
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                      lua_tostring(L, -1));
  }
  static int ReadOnlyAssign(lua_State* L) { return luaL_error(L, kReadOnlyError); }
  // rawset and setmetatable, refusing a read-only table; upvalue 1 is the original function.
  static int GuardedRawset(lua_State* L) {
    if (IsReadOnly(L, 1)) return RaiseReadOnly(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
  }
  // next and pairs, walking a read-only proxy's table (a proxy itself is empty); next's upvalue
  // 1 is the original next, pairs' the guarded next.
  static int GuardedNext(lua_State* L) {
    if (IsReadOnly(L, 1)) {
      lua_getmetatable(L, 1);
      lua_pushstring(L, "__index");
      lua_rawget(L, -2);
      lua_replace(L, 1);
      lua_pop(L, 1);
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, LUA_MULTRET);
    return lua_gettop(L);
  }
  // loadstring(s [, chunkname]) and load(f [, chunkname]), never loading bytecode (LoadText).
  static int GuardedLoadstring(lua_State* L) {
    size_t len = 0;
    const char* s = luaL_checklstring(L, 1, &len);
    const char* chunkname = luaL_optstring(L, 2, s);
    return FinishLoad(L, LoadText(L, std::string_view(s, len), chunkname));
  }
  static int GuardedLoad(lua_State* L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    const char* chunkname = luaL_optstring(L, 2, "=(load)");
    std::string code;
    for (;;) {
      lua_pushvalue(L, 1);
      // Protected: the reader's error must not longjmp over `code`. As Lua's load, it is then
      // load's answer: nil and the message.
      if (lua_pcall(L, 0, 1, 0) != 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
      }
      if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        break;
      }
      if (!lua_isstring(L, -1)) {
        lua_pop(L, 1);
        lua_pushnil(L);
        lua_pushstring(L, "reader function must return a string");
        return 2;
      }
      size_t len = 0;
      const char* piece = lua_tolstring(L, -1, &len);
      code.append(piece, len);
      lua_pop(L, 1);
      if (len == 0) break;
    }
    return FinishLoad(L, LoadText(L, code, chunkname));
  }
  // As Lua's load functions answer: the function, or nil and the message.
  static int FinishLoad(lua_State* L, int status) {
    if (status == 0) return 1;
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  static int GuardedPairs(lua_State* L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
  }
};

uint32_t ScriptFlagByName(std::string_view name, bool ignore_case) {
  for (const FlagName& f : kFlagNames) {
    const std::string_view n = f.name;
    if (n.size() != name.size()) continue;
    if (ignore_case ? strncasecmp(n.data(), name.data(), n.size()) == 0 : n == name) return f.flag;
  }
  return 0;
}

LuaEngine::LuaEngine(Mode mode, Lrand48& random)
    : mode_(mode), random_(random), lua_(luaL_newstate()) {
  lua_pushlightuserdata(lua_, &kEngineKey);
  lua_pushlightuserdata(lua_, this);
  lua_rawset(lua_, LUA_REGISTRYINDEX);
  OpenLibraries();
  RegisterRedisApi();
  CreateErrorHandler();
  if (mode_ == Mode::kFunction) CreateLibraryApi();
  Protect();
}

LuaEngine::~LuaEngine() { lua_close(lua_); }

void LuaEngine::OpenLibraries() {
  const std::pair<const char*, lua_CFunction> libraries[] = {{"", luaopen_base},
                                                             {LUA_TABLIBNAME, luaopen_table},
                                                             {LUA_STRLIBNAME, luaopen_string},
                                                             {LUA_MATHLIBNAME, luaopen_math},
                                                             {LUA_DBLIBNAME, luaopen_debug},
                                                             {"cjson", luaopen_cjson},
                                                             {"struct", OpenStruct},
                                                             {"cmsgpack", OpenCmsgpack},
                                                             {"bit", luaopen_bit}};
  for (const auto& [name, open] : libraries) {
    lua_pushcfunction(lua_, open);
    lua_pushstring(lua_, name);
    lua_call(lua_, 1, 1);
    // Debian's cjson returns its table without setting the global; the others set it too.
    if (name[0] != '\0' && lua_istable(lua_, -1)) lua_setglobal(lua_, name);
    lua_settop(lua_, 0);
  }
  for (const char* name : kRemovedGlobals) {
    lua_pushnil(lua_);
    lua_setglobal(lua_, name);
  }
  lua_pushcfunction(lua_, LuaApi::ProtectedCall);
  lua_setglobal(lua_, "pcall");
  lua_getglobal(lua_, "math");
  lua_pushcfunction(lua_, LuaApi::Random);
  lua_setfield(lua_, -2, "random");
  lua_pushcfunction(lua_, LuaApi::RandomSeed);
  lua_setfield(lua_, -2, "randomseed");
  lua_pop(lua_, 1);
}

namespace {

void SetFunction(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}
void SetNumber(lua_State* L, const char* name, lua_Number n) {
  lua_pushnumber(L, n);
  lua_setfield(L, -2, name);
}
// redis.log with its levels, and the version: in both the script API and the library API.
void SetLogAndVersion(lua_State* L) {
  SetFunction(L, "log", LuaApi::Log);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  SetNumber(L, "REDIS_VERSION_NUM", common::kRedisVersionNum);
  lua_pushlstring(L, common::kRedisVersion.data(), common::kRedisVersion.size());
  lua_setfield(L, -2, "REDIS_VERSION");
}

// Pushes a read-only proxy of the table at the top (which it replaces).
void MakeProxy(lua_State* L) {
  lua_newtable(L);  // the proxy
  lua_newtable(L);  // its metatable
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, LuaApi::ReadOnlyAssign);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pushlightuserdata(L, &kReadOnlyKey);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_setmetatable(L, -2);
  lua_replace(L, -2);
}

void SetNonexistentGuard(lua_State* L) {
  lua_newtable(L);
  lua_pushcfunction(L, LuaApi::NonexistentGlobal);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
}

}  // namespace

void LuaEngine::RegisterRedisApi() {
  lua_newtable(lua_);
  SetFunction(lua_, "call", LuaApi::Call);
  SetFunction(lua_, "pcall", LuaApi::PCall);
  SetLogAndVersion(lua_);
  SetFunction(lua_, "setresp", LuaApi::SetResp);
  SetFunction(lua_, "sha1hex", LuaApi::Sha1hex);
  SetFunction(lua_, "error_reply", LuaApi::ErrorReply);
  SetFunction(lua_, "status_reply", LuaApi::StatusReply);
  SetFunction(lua_, "set_repl", LuaApi::SetRepl);
  SetNumber(lua_, "REPL_NONE", 0);
  SetNumber(lua_, "REPL_AOF", 1);
  SetNumber(lua_, "REPL_SLAVE", 2);
  SetNumber(lua_, "REPL_REPLICA", 2);
  SetNumber(lua_, "REPL_ALL", 3);
  SetFunction(lua_, "acl_check_cmd", LuaApi::RaiseAfter<LuaApi::AclCheckCmd>);
  if (mode_ == Mode::kEval) {
    SetFunction(lua_, "breakpoint", LuaApi::Breakpoint);
    SetFunction(lua_, "debug", LuaApi::Debug);
    SetFunction(lua_, "replicate_commands", LuaApi::ReplicateCommands);
  }
  lua_setglobal(lua_, "redis");
}

void LuaEngine::CreateErrorHandler() {
  luaL_loadbuffer(lua_, kErrorHandler, std::strlen(kErrorHandler), "@err_handler_def");
  lua_call(lua_, 0, 1);
  if (mode_ == Mode::kEval) {
    // EVAL scripts see it as a global, as in Redis.
    lua_pushvalue(lua_, -1);
    lua_setglobal(lua_, "__redis__err__handler");
  }
  error_handler_ref_ = luaL_ref(lua_, LUA_REGISTRYINDEX);
  // The handler keeps its own reference to debug; scripts do not get it.
  lua_pushnil(lua_);
  lua_setglobal(lua_, "debug");
}

void LuaEngine::CreateLibraryApi() {
  lua_newtable(lua_);  // the globals a library's code sees while it loads
  lua_newtable(lua_);  // its redis table
  SetFunction(lua_, "register_function", LuaApi::RaiseAfter<LuaApi::RegisterFunction>);
  SetLogAndVersion(lua_);
  SetNonexistentGuard(lua_);
  MakeProxy(lua_);
  lua_setfield(lua_, -2, "redis");
  SetNonexistentGuard(lua_);
  library_api_ref_ = luaL_ref(lua_, LUA_REGISTRYINDEX);
}

void LuaEngine::Protect() {
  lua_pushvalue(lua_, LUA_GLOBALSINDEX);  // the real globals
  for (const char* name : kLibraryTables) {
    lua_getfield(lua_, -1, name);
    MakeProxy(lua_);
    lua_setfield(lua_, -2, name);
  }
  for (const char* name : {"rawset", "setmetatable"}) {
    lua_getfield(lua_, -1, name);
    lua_pushcclosure(lua_, LuaApi::GuardedRawset, 1);
    lua_setfield(lua_, -2, name);
  }
  lua_pushcfunction(lua_, LuaApi::GuardedLoadstring);
  lua_setfield(lua_, -2, "loadstring");
  lua_pushcfunction(lua_, LuaApi::GuardedLoad);
  lua_setfield(lua_, -2, "load");
  lua_getfield(lua_, -1, "next");
  lua_pushcclosure(lua_, LuaApi::GuardedNext, 1);
  lua_pushvalue(lua_, -1);
  lua_setfield(lua_, -3, "next");
  lua_pushcclosure(lua_, LuaApi::GuardedPairs, 1);
  lua_setfield(lua_, -2, "pairs");

  // The proxy scripts see as their globals; _G names it too.
  lua_newtable(lua_);
  lua_newtable(lua_);
  lua_pushvalue(lua_, -3);
  lua_setfield(lua_, -2, "__index");
  lua_pushcfunction(lua_, LuaApi::ReadOnlyAssign);
  lua_setfield(lua_, -2, "__newindex");
  // What getmetatable(_G) shows: a table as Redis's globals have (its __index refuses unknown
  // names), read-only as Redis's is, not the proxy's own metatable.
  lua_newtable(lua_);
  lua_pushcfunction(lua_, LuaApi::NonexistentGlobal);
  lua_setfield(lua_, -2, "__index");
  MakeProxy(lua_);
  lua_setfield(lua_, -2, "__metatable");
  lua_pushlightuserdata(lua_, &kReadOnlyKey);
  lua_pushboolean(lua_, 1);
  lua_rawset(lua_, -3);
  lua_pushvalue(lua_, -1);
  proxy_meta_ref_ = luaL_ref(lua_, LUA_REGISTRYINDEX);
  lua_setmetatable(lua_, -2);
  lua_pushvalue(lua_, -1);
  lua_setfield(lua_, -3, "_G");

  // Reading a global that does not exist is an error.
  lua_pushvalue(lua_, -2);
  SetNonexistentGuard(lua_);
  lua_pop(lua_, 1);

  lua_replace(lua_, LUA_GLOBALSINDEX);               // pops the proxy
  globals_ref_ = luaL_ref(lua_, LUA_REGISTRYINDEX);  // pops the real globals
}

void LuaEngine::SetGlobalsView(int table_ref) {
  lua_rawgeti(lua_, LUA_REGISTRYINDEX, proxy_meta_ref_);
  lua_pushstring(lua_, "__index");
  lua_rawgeti(lua_, LUA_REGISTRYINDEX, table_ref);
  lua_rawset(lua_, -3);
  lua_pop(lua_, 1);
}

int LuaEngine::Compile(std::string_view body, std::string_view chunk, std::string* error) {
  const std::string name(chunk);
  if (LoadText(lua_, body, name.c_str())) {
    *error = lua_tostring(lua_, -1);
    lua_pop(lua_, 1);
    return -1;
  }
  return luaL_ref(lua_, LUA_REGISTRYINDEX);
}

void LuaEngine::Release(int ref) { luaL_unref(lua_, LUA_REGISTRYINDEX, ref); }

bool LuaEngine::LoadLibrary(std::string_view code, FunctionRegistrar& registrar,
                            std::string* error) {
  SetGlobalsView(library_api_ref_);
  bool ok = false;
  if (LoadText(lua_, code, "@user_function")) {
    *error = std::string("Error compiling function: ") + lua_tostring(lua_, -1);
    lua_pop(lua_, 1);
  } else {
    registrar_ = &registrar;
    lua_sethook(lua_, LuaApi::Hook, LUA_MASKCOUNT, kHookInstructions);
    if (lua_pcall(lua_, 0, 0, 0)) {
      // As Redis reads the error: a string becomes "ERR <string>", a table gives its err field.
      std::string message;
      if (lua_isstring(lua_, -1)) message = std::string("ERR ") + lua_tostring(lua_, -1);
      if (lua_istable(lua_, -1)) {
        lua_getfield(lua_, -1, "err");
        if (lua_isstring(lua_, -1)) message = lua_tostring(lua_, -1);
        lua_pop(lua_, 1);
      }
      *error = "Error registering functions: " + message;
      lua_pop(lua_, 1);
    } else {
      ok = true;
    }
    lua_sethook(lua_, nullptr, 0, 0);
    registrar_ = nullptr;
  }
  SetGlobalsView(globals_ref_);
  return ok;
}

void LuaEngine::PushStringArray(std::span<const std::string_view> items) {
  lua_createtable(lua_, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); i++) {
    lua_pushlstring(lua_, items[i].data(), items[i].size());
    lua_rawseti(lua_, -2, static_cast<int>(i + 1));
  }
}

void LuaEngine::Run(int ref, std::span<const std::string_view> keys,
                    std::span<const std::string_view> args, const RunContext& ctx) {
  run_ = &ctx;
  script_resp_ = 2;  // every run starts in RESP2; redis.setresp changes it
  killed_ = false;
  lua_sethook(lua_, LuaApi::Hook, LUA_MASKCOUNT, kHookInstructions);
  lua_rawgeti(lua_, LUA_REGISTRYINDEX, error_handler_ref_);
  lua_rawgeti(lua_, LUA_REGISTRYINDEX, ref);
  int status;
  if (mode_ == Mode::kEval) {
    // KEYS and ARGV are globals in EVAL: set behind the read-only proxy.
    lua_rawgeti(lua_, LUA_REGISTRYINDEX, globals_ref_);
    PushStringArray(keys);
    lua_setfield(lua_, -2, "KEYS");
    PushStringArray(args);
    lua_setfield(lua_, -2, "ARGV");
    lua_pop(lua_, 1);
    status = lua_pcall(lua_, 0, 1, -2);
  } else {
    PushStringArray(keys);
    PushStringArray(args);
    status = lua_pcall(lua_, 2, 1, -4);
  }
  // A GC step every 50 runs keeps Lua from a full collection at an arbitrary moment.
  if (++runs_ % 50 == 0) lua_gc(lua_, LUA_GCSTEP, 50);
  if (status != 0) {
    WriteError(ctx);
  } else {
    WriteReply(lua_, ctx.reply, script_resp_);
  }
  lua_pop(lua_, 1);  // the error handler
  lua_sethook(lua_, nullptr, 0, 0);
  run_ = nullptr;
}

void LuaEngine::WriteError(const RunContext& ctx) {
  if (!lua_istable(lua_, -1)) {
    std::string message = "execution failure";
    if (lua_isstring(lua_, -1)) message = lua_tostring(lua_, -1);
    std::string text = "ERR Error running script ";
    text.append(ctx.name);
    text += ", ";
    text.append(message.substr(0, 100));
    text += '\n';
    ctx.reply.Error(text);
    lua_pop(lua_, 1);
    return;
  }
  std::string text;
  lua_getfield(lua_, -1, "err");
  if (lua_isstring(lua_, -1)) text = lua_tostring(lua_, -1);
  lua_getfield(lua_, -2, "source");
  lua_getfield(lua_, -3, "line");
  if (lua_isstring(lua_, -1) && lua_isstring(lua_, -2)) {
    text += " script: ";
    text.append(ctx.name);
    text += ", on ";
    text += lua_tostring(lua_, -2);
    text += ':';
    text += lua_tostring(lua_, -1);
    text += '.';
  }
  lua_pop(lua_, 3);
  WriteErrorOf(lua_, -1, text, ctx.reply);
  lua_pop(lua_, 1);
}

size_t LuaEngine::memory() const {
  return static_cast<size_t>(lua_gc(lua_, LUA_GCCOUNT, 0)) * 1024 +
         static_cast<size_t>(lua_gc(lua_, LUA_GCCOUNTB, 0));
}

}  // namespace pylon::scripting
