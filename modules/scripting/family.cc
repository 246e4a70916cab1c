#include "modules/scripting/family.h"

#include <string>

#include "daemon/info.h"
#include "daemon/script_runner.h"

namespace pylon::scripting {
namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  daemon::ScriptRunner& scripts = services.scripts;
  const daemon::ScriptStats& s = scripts.stats();
  daemon::InfoWriter(out)
      .Field("scripts_cached", scripts.scripts().size())
      .Field("functions_loaded", scripts.functions().function_count())
      .Field("function_libraries", scripts.functions().libraries().size())
      .Field("script_evals", s.evals)
      .Field("script_fcalls", s.fcalls)
      .Field("script_calls_from_scripts", s.calls)
      .Field("scripts_timedout", s.timedout)
      .Field("scripts_killed", s.killed)
      .Field("script_running", scripts.running() ? 1 : 0);
}

void ResetInfo(daemon::HandlerServices& services) { services.scripts.ResetStats(); }

}  // namespace

void RegisterScripting(daemon::Registry& registry) {
  RegisterScriptCommands(registry);
  RegisterFunctionCommands(registry);
  registry.info.Add(
      {.name = "Scripting", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::scripting
