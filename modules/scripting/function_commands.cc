// FUNCTION and FCALL: Redis 7 functions, libraries of Lua code run by name through
// daemon/script_runner.h.
#include <chrono>
#include <string>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/script_runner.h"
#include "modules/scripting/family.h"
#include "modules/scripting/function_payload.h"
#include "protocol/text.h"

namespace pylon::scripting {
namespace {

using daemon::CommandContext;

// How long FUNCTION LOAD lets a library's code run, as Redis's LOAD_TIMEOUT_MS.
constexpr int64_t kLoadTimeoutMs = 500;
constexpr const char* kEngineName = "LUA";

void FcallGeneric(CommandContext& ctx, bool read_only) {
  const FunctionLibraries::Function* f = ctx.scripts().functions().Find(ctx.args[1]);
  if (!f) {
    ctx.reply.Error("ERR Function not found");
    return;
  }
  daemon::Args keys, args;
  if (!ReadKeysAndArgsOrReply(ctx, "ERR Bad number of keys provided", &keys, &args)) return;
  ctx.scripts().Run(ctx, {.engine = ctx.scripts().functions().engine(),
                          .ref = f->ref,
                          .flags = f->flags,
                          .name = f->name,
                          .eval = false,
                          .read_only = read_only,
                          .keys = keys,
                          .args = args});
}

// FCALL function numkeys [key ...] [arg ...]
void CmdFcall(CommandContext& ctx) { FcallGeneric(ctx, false); }
// FCALL_RO function numkeys [key ...] [arg ...]
void CmdFcallRo(CommandContext& ctx) { FcallGeneric(ctx, true); }

// FUNCTION LOAD [REPLACE] function-code
void CmdFunctionLoad(CommandContext& ctx) {
  bool replace = false;
  size_t i = 2;
  for (; i + 1 < ctx.args.size(); i++) {
    if (!protocol::EqualsIgnoreCase(ctx.args[i], "replace")) {
      ctx.reply.Error("ERR Unknown option given: " + std::string(ctx.args[i]));
      return;
    }
    replace = true;
  }
  if (i >= ctx.args.size()) {
    ctx.reply.Error("ERR Function code is missing");
    return;
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kLoadTimeoutMs);
  const std::function<bool()> timed_out = [&] {
    return std::chrono::steady_clock::now() > deadline;
  };
  std::string error;
  const std::string name = ctx.scripts().functions().Load(ctx.args[i], replace, timed_out, &error);
  if (name.empty()) {
    ctx.reply.Error("ERR " + error);
    return;
  }
  ctx.scripts().FunctionsChanged();
  ctx.reply.Bulk(name);
}

void WriteFlags(protocol::ReplyWriter& reply, uint32_t flags) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {kScriptNoWrites, "no-writes"},
      {kScriptAllowOom, "allow-oom"},
      {kScriptAllowStale, "allow-stale"},
      {kScriptNoCluster, "no-cluster"},
      {kScriptAllowCrossSlot, "allow-cross-slot-keys"}};
  int64_t n = 0;
  for (const auto& [flag, name] : kNames) n += (flags & flag) ? 1 : 0;
  reply.SetHeader(n);
  for (const auto& [flag, name] : kNames) {
    if (flags & flag) reply.Simple(name);
  }
}

// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
void CmdFunctionList(CommandContext& ctx) {
  bool with_code = false;
  bool has_pattern = false;
  std::string_view pattern;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    if (!with_code && protocol::EqualsIgnoreCase(ctx.args[i], "withcode")) {
      with_code = true;
      continue;
    }
    if (!has_pattern && protocol::EqualsIgnoreCase(ctx.args[i], "libraryname")) {
      if (i + 1 >= ctx.args.size()) {
        ctx.reply.Error("ERR library name argument was not given");
        return;
      }
      pattern = ctx.args[++i];
      has_pattern = true;
      continue;
    }
    ctx.reply.Error("ERR Unknown argument " + std::string(ctx.args[i]));
    return;
  }
  const FunctionLibraries& functions = ctx.scripts().functions();
  protocol::ReplyWriter& r = ctx.reply;
  const auto mark = r.BeginDeferred();
  int64_t count = 0;
  for (const auto& [name, library] : functions.libraries()) {
    if (has_pattern && !protocol::GlobMatch(pattern, name, true)) continue;
    count++;
    r.MapHeader(with_code ? 4 : 3);
    r.Bulk("library_name");
    r.Bulk(name);
    r.Bulk("engine");
    r.Bulk(kEngineName);
    r.Bulk("functions");
    r.ArrayHeader(static_cast<int64_t>(library.functions.size()));
    for (const std::string& fname : library.functions) {
      const FunctionLibraries::Function* f = functions.Find(fname);
      r.MapHeader(3);
      r.Bulk("name");
      r.Bulk(f->name);
      r.Bulk("description");
      if (f->description.empty()) {
        r.Null();
      } else {
        r.Bulk(f->description);
      }
      r.Bulk("flags");
      WriteFlags(r, f->flags);
    }
    if (with_code) {
      r.Bulk("library_code");
      r.Bulk(library.code);
    }
  }
  r.EndDeferredArray(mark, count);
}

// FUNCTION DELETE library-name
void CmdFunctionDelete(CommandContext& ctx) {
  if (!ctx.scripts().functions().Delete(ctx.args[2])) {
    ctx.reply.Error("ERR Library not found");
    return;
  }
  ctx.scripts().FunctionsChanged();
  ctx.reply.Ok();
}

// FUNCTION FLUSH [ASYNC | SYNC]
void CmdFunctionFlush(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    daemon::ReplySubcommandSyntaxError(ctx);
    return;
  }
  if (ctx.args.size() == 3 && !protocol::EqualsIgnoreCase(ctx.args[2], "sync") &&
      !protocol::EqualsIgnoreCase(ctx.args[2], "async")) {
    ctx.reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  ctx.scripts().functions().Flush();
  ctx.scripts().FunctionsChanged();
  ctx.reply.Ok();
}

// FUNCTION DUMP
void CmdFunctionDump(CommandContext& ctx) {
  ctx.reply.Bulk(DumpFunctions(ctx.scripts().functions()));
}

// FUNCTION RESTORE serialized-value [FLUSH | APPEND | REPLACE]
void CmdFunctionRestore(CommandContext& ctx) {
  if (ctx.args.size() > 4) {
    daemon::ReplySubcommandSyntaxError(ctx);
    return;
  }
  RestorePolicy policy = RestorePolicy::kAppend;
  if (ctx.args.size() == 4) {
    const std::string_view p = ctx.args[3];
    if (protocol::EqualsIgnoreCase(p, "append")) {
      policy = RestorePolicy::kAppend;
    } else if (protocol::EqualsIgnoreCase(p, "replace")) {
      policy = RestorePolicy::kReplace;
    } else if (protocol::EqualsIgnoreCase(p, "flush")) {
      policy = RestorePolicy::kFlush;
    } else {
      ctx.reply.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  std::string error;
  if (!RestoreFunctions(ctx.args[2], policy, ctx.scripts().functions(), &error)) {
    ctx.reply.Error(error);
    return;
  }
  ctx.scripts().FunctionsChanged();
  ctx.reply.Ok();
}

// FUNCTION STATS
void CmdFunctionStats(CommandContext& ctx) {
  daemon::ScriptRunner& scripts = ctx.scripts();
  if (scripts.running() && scripts.running_eval()) {
    ctx.reply.Error(scripts.BusyError());
    return;
  }
  protocol::ReplyWriter& r = ctx.reply;
  r.MapHeader(2);
  r.Bulk("running_script");
  scripts.WriteRunningScript(r);
  r.Bulk("engines");
  r.MapHeader(1);
  r.Bulk(kEngineName);
  r.MapHeader(2);
  r.Bulk("libraries_count");
  r.Integer(static_cast<int64_t>(scripts.functions().libraries().size()));
  r.Bulk("functions_count");
  r.Integer(static_cast<int64_t>(scripts.functions().function_count()));
}

// FUNCTION KILL
void CmdFunctionKill(CommandContext& ctx) { ctx.scripts().Kill(ctx.reply, false); }

// FUNCTION HELP
void CmdFunctionHelp(CommandContext& ctx) {
  daemon::ReplyHelp(
      ctx,
      {"LOAD [REPLACE] <FUNCTION CODE>",
       "    Create a new library with the given library name and code.",
       "DELETE <LIBRARY NAME>",
       "    Delete the given library.",
       "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
       "    Return general information on all the libraries:",
       "    * Library name",
       "    * The engine used to run the Library",
       "    * Library description",
       "    * Functions list",
       "    * Library code (if WITHCODE is given)",
       "    It also possible to get only function that matches a pattern using LIBRARYNAME "
       "argument.",
       "STATS",
       "    Return information about the current function running:",
       "    * Function name",
       "    * Command used to run the function",
       "    * Duration in MS that the function is running",
       "    If no function is running, return nil",
       "    In addition, returns a list of available engines.",
       "KILL",
       "    Kill the current running function.",
       "FLUSH [ASYNC|SYNC]",
       "    Delete all the libraries.",
       "    When called without the optional mode argument, the behavior is determined by the",
       "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
       "    * ASYNC: Asynchronously flush the libraries.",
       "    * SYNC: Synchronously flush the libraries.",
       "DUMP",
       "    Return a serialized payload representing the current libraries, can be restored using "
       "FUNCTION RESTORE command",
       "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
       "    Restore the libraries represented by the given payload, it is possible to give a "
       "restore policy to",
       "    control how to handle existing libraries (default APPEND):",
       "    * FLUSH: delete all existing libraries.",
       "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
       "abort.",
       "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
       "replace the old",
       "      libraries with the new libraries (notice that even on this option there is a chance "
       "of failure",
       "      in case of functions name collision with another library)."});
}

}  // namespace

void RegisterFunctionCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  t.Add({.name = "fcall",
         .arity = -3,
         .flags = kCmdNoscript | kCmdStale | kCmdMovableKeys,
         .numkeys_index = 2,
         .handler = CmdFcall,
         .group = "scripting",
         .since = "7.0.0",
         .summary = "Invoke a function",
         .complexity = "Depends on the function that is executed.",
         .syntax = "function numkeys [key ...] [arg ...]"});
  t.Add({.name = "fcall_ro",
         .arity = -3,
         .flags = kCmdNoscript | kCmdStale | kCmdReadonly | kCmdMovableKeys,
         .numkeys_index = 2,
         .handler = CmdFcallRo,
         .group = "scripting",
         .since = "7.0.0",
         .summary = "Invoke a read-only function",
         .complexity = "Depends on the function that is executed.",
         .syntax = "function numkeys [key ...] [arg ...]"});
  t.Add({.name = "function",
         .arity = -2,
         .group = "scripting",
         .since = "7.0.0",
         .summary = "A container for function commands",
         .complexity = "Depends on subcommand."});
  struct Sub {
    std::string_view name;
    int arity;
    uint32_t flags;
    CommandHandler handler;
    std::string_view summary, complexity, syntax;
  };
  const uint32_t kWrite = kCmdWrite | kCmdDenyOom | kCmdNoscript;
  for (const Sub& s : {
           Sub{"load", -3, kWrite, CmdFunctionLoad,
               "Create a function with the given arguments (name, code, description)",
               "O(1) (considering compilation time is redundant)", "[REPLACE] function-code"},
           Sub{"delete", 3, kCmdWrite | kCmdNoscript, CmdFunctionDelete,
               "Delete a function by name", "O(1)", "library-name"},
           Sub{"flush", -2, kCmdWrite | kCmdNoscript, CmdFunctionFlush, "Deleting all functions",
               "O(N) where N is the number of functions deleted", "[flush-type: ASYNC | SYNC]"},
           Sub{"list", -2, kCmdNoscript, CmdFunctionList,
               "List information about all the functions",
               "O(N) where N is the number of functions",
               "[LIBRARYNAME library-name-pattern] [WITHCODE]"},
           Sub{"dump", 2, kCmdNoscript, CmdFunctionDump,
               "Dump all functions into a serialized binary payload",
               "O(N) where N is the number of functions", ""},
           Sub{"restore", -3, kWrite, CmdFunctionRestore,
               "Restore all the functions on the given payload",
               "O(N) where N is the number of functions on the payload",
               "serialized-value [policy: FLUSH | APPEND | REPLACE]"},
           Sub{"stats", 2, kCmdNoscript | kCmdAllowBusy, CmdFunctionStats,
               "Return information about the function currently running (name, description, "
               "duration)",
               "O(1)", ""},
           Sub{"kill", 2, kCmdNoscript | kCmdAllowBusy, CmdFunctionKill,
               "Kill the function currently in execution.", "O(1)", ""},
           Sub{"help", 2, kCmdLoading | kCmdStale, CmdFunctionHelp,
               "Show helpful text about the different subcommands", "O(1)", ""},
       }) {
    t.AddSubcommand("function", {.name = s.name,
                                 .arity = s.arity,
                                 .flags = s.flags,
                                 .handler = s.handler,
                                 .since = "7.0.0",
                                 .summary = s.summary,
                                 .complexity = s.complexity,
                                 .syntax = s.syntax});
  }
}

}  // namespace pylon::scripting
