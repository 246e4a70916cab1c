// Redis 7 functions: libraries of Lua code loaded with FUNCTION LOAD ("#!lua name=mylib" then
// code that calls redis.register_function), whose functions FCALL runs by name. All libraries
// share one engine (Mode::kFunction), as in Redis; FUNCTION FLUSH starts it over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modules/scripting/lua_engine.h"

namespace pylon::scripting {

class FunctionLibraries {
 public:
  struct Function {
    std::string name;
    std::string description;
    uint32_t flags = 0;
    int ref = -1;  // the callback in the engine
    std::string library;
  };
  struct Library {
    std::string name;
    std::string code;  // the whole payload, metadata line included (FUNCTION LIST WITHCODE)
    std::vector<std::string> functions;  // in registration order
  };

  explicit FunctionLibraries(Lrand48& random);

  // FUNCTION LOAD: parses the metadata line, runs the code, and links its functions; with
  // `replace`, a library of that name is replaced. `load_timed_out` is asked while the code runs.
  // Returns the library's name, or empty with Redis's text (no code) in *error.
  std::string Load(std::string_view payload, bool replace, const std::function<bool()>& timed_out,
                   std::string* error);
  // FUNCTION DELETE: false if there is no such library.
  bool Delete(std::string_view library);
  // FUNCTION FLUSH: every library goes and the engine starts over.
  void Flush();

  const Function* Find(std::string_view function) const;
  const Library* FindLibrary(std::string_view name) const;
  // By name, as FUNCTION LIST and FUNCTION DUMP walk them.
  const std::map<std::string, Library, std::less<>>& libraries() const { return libraries_; }
  size_t function_count() const { return functions_.size(); }
  LuaEngine& engine() { return *engine_; }
  // Bytes of the libraries' code and names (INFO used_memory_functions).
  size_t memory() const { return memory_; }

 private:
  void Unlink(const Library& library);

  Lrand48& random_;
  std::unique_ptr<LuaEngine> engine_;
  std::map<std::string, Library, std::less<>> libraries_;
  std::map<std::string, Function, std::less<>> functions_;
  size_t memory_ = 0;
};

// Function and library names: letters, digits and underscores, at least one.
bool ValidFunctionName(std::string_view name);

}  // namespace pylon::scripting
