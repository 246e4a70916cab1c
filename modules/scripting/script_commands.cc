// EVAL, EVALSHA, their _RO forms, and SCRIPT: Lua scripts cached by SHA-1 and run through
// daemon/script_runner.h.
#include <string>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/script_runner.h"
#include "modules/scripting/family.h"
#include "protocol/text.h"

namespace pylon::scripting {
namespace {

using daemon::CommandContext;

constexpr std::string_view kNoScript = "NOSCRIPT No matching script. Please use EVAL.";

void EvalGeneric(CommandContext& ctx, bool by_sha, bool read_only) {
  daemon::Args keys, args;
  if (!ReadKeysAndArgsOrReply(ctx, daemon::kErrNotInteger, &keys, &args)) return;
  ScriptCache& cache = ctx.scripts().scripts();
  const ScriptCache::Script* script = nullptr;
  std::string sha;
  if (by_sha) {
    script = cache.Find(ctx.args[1]);
    if (!script) {
      ctx.reply.Error(kNoScript);
      return;
    }
  } else {
    std::string error;
    script = cache.Load(ctx.args[1], &sha, &error);
    if (!script) {
      ctx.reply.Error(error);
      return;
    }
  }
  ctx.scripts().Run(ctx, {.engine = cache.engine(),
                          .ref = script->ref,
                          .flags = script->flags,
                          .name = script->sha,
                          .eval = true,
                          .read_only = read_only,
                          .keys = keys,
                          .args = args});
}

// EVAL script numkeys [key ...] [arg ...]
void CmdEval(CommandContext& ctx) { EvalGeneric(ctx, false, false); }
// EVAL_RO script numkeys [key ...] [arg ...]
void CmdEvalRo(CommandContext& ctx) { EvalGeneric(ctx, false, true); }
// EVALSHA sha1 numkeys [key ...] [arg ...]
void CmdEvalsha(CommandContext& ctx) { EvalGeneric(ctx, true, false); }
// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
void CmdEvalshaRo(CommandContext& ctx) { EvalGeneric(ctx, true, true); }

// SCRIPT EXISTS sha1 [sha1 ...]
void CmdScriptExists(CommandContext& ctx) {
  const ScriptCache& cache = ctx.scripts().scripts();
  ctx.reply.ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); i++) ctx.reply.Integer(cache.Find(ctx.args[i]) ? 1 : 0);
}

// SCRIPT FLUSH [ASYNC | SYNC]
void CmdScriptFlush(CommandContext& ctx) {
  // ASYNC and SYNC both start the engine over at once: closing a Lua state takes a few
  // milliseconds even for thousands of scripts.
  if (ctx.args.size() > 3 ||
      (ctx.args.size() == 3 && !protocol::EqualsIgnoreCase(ctx.args[2], "sync") &&
       !protocol::EqualsIgnoreCase(ctx.args[2], "async"))) {
    ctx.reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  ctx.scripts().scripts().Flush();
  ctx.reply.Ok();
}

// SCRIPT LOAD script
void CmdScriptLoad(CommandContext& ctx) {
  std::string sha, error;
  if (!ctx.scripts().scripts().Load(ctx.args[2], &sha, &error)) {
    ctx.reply.Error(error);
    return;
  }
  ctx.reply.Bulk(sha);
}

// SCRIPT KILL
void CmdScriptKill(CommandContext& ctx) { ctx.scripts().Kill(ctx.reply, true); }

// SCRIPT DEBUG YES | SYNC | NO
void CmdScriptDebug(CommandContext& ctx) {
  daemon::ArgReader r(ctx.args, 2);
  const size_t mode = r.Choice({"yes", "sync", "no"}, "ERR Use SCRIPT DEBUG YES/SYNC/NO");
  if (!r.Done(ctx)) return;
  if (mode != 2) {
    // Redis's Lua debugger (LDB) forks a session per script; Pylon does not have it.
    ctx.reply.Error("ERR the Lua debugger (SCRIPT DEBUG YES|SYNC) is not supported by Pylon");
    return;
  }
  ctx.reply.Ok();
}

// SCRIPT HELP
void CmdScriptHelp(CommandContext& ctx) {
  daemon::ReplyHelp(
      ctx, {"DEBUG (YES|SYNC|NO)", "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]", "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.", "KILL",
            "    Kill the currently executing Lua script.", "LOAD <script>",
            "    Load a script into the scripts cache without executing it."});
}

}  // namespace

void RegisterScriptCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  constexpr uint32_t kEvalFlags = kCmdNoscript | kCmdStale | kCmdMovableKeys;
  struct Eval {
    std::string_view name;
    CommandHandler handler;
    bool read_only;
    std::string_view summary;
  };
  for (const Eval& e : {
           Eval{"eval", CmdEval, false, "Execute a Lua script server side"},
           Eval{"evalsha", CmdEvalsha, false, "Execute a Lua script server side"},
           Eval{"eval_ro", CmdEvalRo, true, "Execute a read-only Lua script server side"},
           Eval{"evalsha_ro", CmdEvalshaRo, true, "Execute a read-only Lua script server side"},
       }) {
    const bool by_sha = e.name.starts_with("evalsha");
    t.Add({.name = e.name,
           .arity = -3,
           .flags = kEvalFlags | (e.read_only ? uint32_t{kCmdReadonly} : 0u),
           .numkeys_index = 2,
           .handler = e.handler,
           .group = "scripting",
           .since = e.read_only ? "7.0.0" : "2.6.0",
           .summary = e.summary,
           .complexity = "Depends on the script that is executed.",
           .syntax =
               by_sha ? "sha1 numkeys [key ...] [arg ...]" : "script numkeys [key ...] [arg ...]"});
  }
  t.Add({.name = "script",
         .arity = -2,
         .group = "scripting",
         .since = "2.6.0",
         .summary = "A container for Lua scripts management commands",
         .complexity = "Depends on subcommand."});
  t.AddSubcommand("script", {.name = "exists",
                             .arity = -3,
                             .flags = kCmdNoscript,
                             .handler = CmdScriptExists,
                             .since = "2.6.0",
                             .summary = "Check existence of scripts in the script cache.",
                             .complexity = "O(N) with N being the number of scripts to check (so "
                                           "checking a single script is an O(1) operation).",
                             .syntax = "sha1 ..."});
  t.AddSubcommand("script", {.name = "flush",
                             .arity = -2,
                             .flags = kCmdNoscript,
                             .handler = CmdScriptFlush,
                             .since = "2.6.0",
                             .summary = "Remove all the scripts from the script cache.",
                             .complexity = "O(N) with N being the number of scripts in cache",
                             .syntax = "[flush-type: ASYNC | SYNC]"});
  t.AddSubcommand("script", {.name = "load",
                             .arity = 3,
                             .flags = kCmdNoscript | kCmdStale,
                             .handler = CmdScriptLoad,
                             .since = "2.6.0",
                             .summary = "Load the specified Lua script into the script cache.",
                             .complexity = "O(N) with N being the length in bytes of the script "
                                           "body.",
                             .syntax = "script"});
  t.AddSubcommand("script", {.name = "kill",
                             .arity = 2,
                             .flags = kCmdNoscript | kCmdAllowBusy,
                             .handler = CmdScriptKill,
                             .since = "2.6.0",
                             .summary = "Kill the script currently in execution.",
                             .complexity = "O(1)"});
  t.AddSubcommand("script", {.name = "debug",
                             .arity = 3,
                             .flags = kCmdNoscript,
                             .handler = CmdScriptDebug,
                             .since = "3.2.0",
                             .summary = "Set the debug mode for executed scripts.",
                             .complexity = "O(1)",
                             .syntax = "(mode: YES | SYNC | NO)"});
  t.AddSubcommand("script", {.name = "help",
                             .arity = 2,
                             .flags = kCmdLoading | kCmdStale,
                             .handler = CmdScriptHelp,
                             .since = "5.0.0",
                             .summary = "Show helpful text about the different subcommands",
                             .complexity = "O(1)"});
}

}  // namespace pylon::scripting
