// One Lua 5.1 interpreter set up as Redis 7.0 sets up its own: the libraries scripts may use
// (string, table, math, cjson, bit, struct, cmsgpack), the `redis` API, Redis's deterministic
// math.random, and the sandbox: globals and library tables are read-only, reading an undeclared
// global is an error, and nothing reaches the file system.
//
// Redis makes tables read-only with a patch to its bundled Lua; Pylon runs Debian's stock Lua 5.1,
// so the same refusals come from proxies: the globals a script sees are an empty table whose
// metatable reads through to the real globals and refuses every assignment, and each library
// table is such a proxy of its own (rawset and setmetatable are wrapped so that they cannot reach
// around a proxy, next and pairs so that they walk what it stands for; getfenv, setfenv and
// newproxy are gone, as in Redis 7.0.15).
//
// A pure core: what a script's redis.call reaches is a ScriptHost the caller passes in; the
// engine knows nothing of the server. EVAL scripts and FUNCTION libraries each get an engine of
// their own (Mode), as in Redis.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_writer.h"

struct lua_State;

namespace pylon::scripting {

// What a script's redis.call / redis.pcall / redis.log reach.
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  // Runs one command as the script's client, replying in protocol `resp` (2 or 3). Returns the
  // whole reply, RESP-encoded; an error (a refusal too) as "-CODE text\r\n". The bytes stay
  // valid until the next Call.
  virtual std::string_view Call(std::span<const std::string_view> args, int resp) = 0;
  // redis.log, at Redis's levels (0 debug, 1 verbose, 2 notice, 3 warning).
  virtual void Log(int level, std::string_view message) = 0;
  // Asked every kHookInstructions Lua instructions while a script runs: true stops it with
  // "Script killed by user with SCRIPT KILL..." (and keeps stopping any pcall that catches it).
  virtual bool Interrupted() = 0;
  // redis.acl_check_cmd: whether `args` name a command the server has (Pylon has no ACL users
  // yet, so every known command is permitted).
  virtual bool KnowsCommand(std::span<const std::string_view> args) = 0;
};

// What FUNCTION LOAD collects from a library's redis.register_function calls.
class FunctionRegistrar {
 public:
  virtual ~FunctionRegistrar() = default;
  // A function, its callback kept under `ref` in the engine's registry (Run takes it). Returns an
  // error text (Redis's words, no code) when it cannot be registered, empty when it is.
  virtual std::string Register(std::string_view name, std::string_view description, int ref,
                               uint32_t flags) = 0;
  // Asked every kHookInstructions instructions of the library's code: true stops the load with
  // "FUNCTION LOAD timeout".
  virtual bool LoadTimedOut() = 0;
};

// The flags a script's shebang or register_function declares, as Redis names them.
enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1u << 0,
  kScriptAllowOom = 1u << 1,
  kScriptAllowStale = 1u << 2,
  kScriptNoCluster = 1u << 3,
  kScriptAllowCrossSlot = 1u << 4,
  // An EVAL script without a shebang: Redis's compatibility mode (no declared flags).
  kScriptEvalCompat = 1u << 31,
};
// The flag named `name` ("no-writes", ...), 0 if none; case-insensitive when `ignore_case`
// (register_function's flags are, a shebang's are not).
uint32_t ScriptFlagByName(std::string_view name, bool ignore_case);

// math.random's generator: POSIX's 48-bit linear congruential lrand48, which Redis carries so
// that every machine draws the same sequence. One per server, shared by both engines, as Redis's
// is process-wide; it starts where Redis's starts and is not reseeded per script (7.0).
class Lrand48 {
 public:
  int32_t Next() {
    state_ = (state_ * 0x5DEECE66Dull + 0xB) & ((1ull << 48) - 1);
    return static_cast<int32_t>(state_ >> 17);
  }
  void Seed(int32_t seed) { state_ = (uint64_t{static_cast<uint32_t>(seed)} << 16) | 0x330E; }

 private:
  uint64_t state_ = 0x1234ABCD330Eull;
};

class LuaEngine {
 public:
  enum class Mode { kEval, kFunction };
  static constexpr int kHookInstructions = 100000;

  LuaEngine(Mode mode, Lrand48& random);
  ~LuaEngine();
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  // Compiles `body` under the chunk name `chunk` ("@user_script") and keeps the function; returns
  // its reference (for Run and Release), or -1 with Lua's message in *error.
  int Compile(std::string_view body, std::string_view chunk, std::string* error);
  // FUNCTION LOAD: runs a library's code (compiled under "@user_function") where only the
  // library API is visible (redis.register_function, redis.log, the versions); its
  // register_function calls go to `registrar`. False with Redis's text in *error (no code).
  bool LoadLibrary(std::string_view code, FunctionRegistrar& registrar, std::string* error);
  // Forgets a compiled function or a registered callback.
  void Release(int ref);

  struct RunContext {
    ScriptHost& host;
    std::string_view name;  // in error suffixes: the sha for EVAL, the function's name for FCALL
    protocol::ReplyWriter& reply;  // the caller's
  };
  // Runs a compiled function (EVAL: with KEYS and ARGV as globals; FCALL: as its two arguments)
  // and writes its result, or its error, to ctx.reply as Redis converts it.
  void Run(int ref, std::span<const std::string_view> keys, std::span<const std::string_view> args,
           const RunContext& ctx);

  // Bytes the interpreter holds (INFO used_memory_vm / used_memory_lua).
  size_t memory() const;
  lua_State* state() { return lua_; }

 private:
  friend struct LuaApi;  // the C functions scripts call (lua_engine.cc)

  void OpenLibraries();
  void RegisterRedisApi();
  void CreateErrorHandler();
  void CreateLibraryApi();
  void Protect();
  void PushStringArray(std::span<const std::string_view> items);
  // The proxy globals' metatable __index: the real globals, or the library API while FUNCTION
  // LOAD runs a library's code.
  void SetGlobalsView(int table_ref);
  void WriteError(const RunContext& ctx);

  Mode mode_;
  Lrand48& random_;
  lua_State* lua_;
  int error_handler_ref_ = -1;
  int globals_ref_ = -1;      // the real globals table behind the read-only proxy
  int proxy_meta_ref_ = -1;   // the proxy globals' metatable
  int library_api_ref_ = -1;  // kFunction: the globals FUNCTION LOAD's code sees
  // While a script runs.
  const RunContext* run_ = nullptr;
  int script_resp_ = 2;
  bool killed_ = false;
  bool in_call_ = false;  // redis.call is not reentrant (a debug hook could try)
  uint64_t runs_ = 0;     // for the periodic GC step
  // While FUNCTION LOAD runs a library.
  FunctionRegistrar* registrar_ = nullptr;
  // redis.call's arguments: views of Lua's strings, and numbers formatted in place.
  std::vector<std::string_view> call_args_;
  std::vector<std::array<char, 32>> number_args_;
};

}  // namespace pylon::scripting
