#include "modules/scripting/family.h"

#include <string>

#include "daemon/command_helpers.h"
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

bool ReadKeysAndArgsOrReply(daemon::CommandContext& ctx, std::string_view not_integer,
                            daemon::Args* keys, daemon::Args* args) {
  int64_t numkeys = 0;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &numkeys, not_integer)) return false;
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 3) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (numkeys < 0) {
    ctx.reply.Error("ERR Number of keys can't be negative");
    return false;
  }
  *keys = ctx.args.subspan(3, static_cast<size_t>(numkeys));
  *args = ctx.args.subspan(3 + static_cast<size_t>(numkeys));
  return true;
}

void RegisterScripting(daemon::Registry& registry) {
  RegisterScriptCommands(registry);
  RegisterFunctionCommands(registry);
  registry.info.Add(
      {.name = "Scripting", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::scripting
