// The scripts EVAL and SCRIPT LOAD have seen, by SHA-1, compiled once into the EVAL engine.
// SCRIPT FLUSH starts the engine over, as Redis does, so the memory Lua held goes back too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/name_map.h"
#include "modules/scripting/lua_engine.h"

namespace pylon::scripting {

// The shebang of an EVAL script ("#!lua flags=no-writes,allow-oom"): its flags, or
// kScriptEvalCompat when there is none, and its length (the script's code starts there, so that
// line numbers stay as written). False with Redis's text (no code) in *error.
bool ParseScriptShebang(std::string_view body, uint32_t* flags, size_t* shebang_len,
                        std::string* error);

class ScriptCache {
 public:
  struct Script {
    int ref;         // the compiled function in the engine
    uint32_t flags;  // from the shebang
    std::string body;
    std::string_view sha;  // its key in the cache (40 lower-case hex digits)
  };

  explicit ScriptCache(Lrand48& random);

  // A cached script by its SHA-1 (40 hex digits, any case); nullptr if unknown.
  const Script* Find(std::string_view sha) const;
  // Compiles `body` unless cached; *sha is its SHA-1. nullptr with Redis's error text (code
  // included) in *error when the shebang or the code does not compile.
  const Script* Load(std::string_view body, std::string* sha, std::string* error);
  // Forgets every script and starts the engine over.
  void Flush();

  LuaEngine& engine() { return *engine_; }
  size_t size() const { return scripts_.size(); }
  // Bytes of the scripts' names and bodies (INFO used_memory_scripts_eval).
  size_t memory() const { return memory_; }

 private:
  Lrand48& random_;
  std::unique_ptr<LuaEngine> engine_;
  common::NameMap<Script> scripts_;
  size_t memory_ = 0;
};

}  // namespace pylon::scripting
