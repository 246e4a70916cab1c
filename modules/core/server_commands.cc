// INFO CONFIG DBSIZE FLUSHALL FLUSHDB TIME SHUTDOWN, and TESTCLOCK when the test clock is on.
#include <spdlog/spdlog.h>

#include <string>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/server.h"
#include "modules/core/family.h"
#include "modules/core/info_sections.h"
#include "protocol/text.h"

namespace pylon::core {
namespace {

using daemon::CommandContext;

// INFO [section [section ...]]
void CmdInfo(CommandContext& ctx) {
  std::vector<std::string> wanted;
  for (size_t i = 1; i < ctx.args.size(); i++) wanted.push_back(protocol::ToLower(ctx.args[i]));
  std::string out = RenderInfo(ctx.server(), wanted);
  ctx.reply.Verbatim(out);
}

// CONFIG GET parameter [parameter ...]
void CmdConfigGet(CommandContext& ctx) {
  std::vector<std::pair<std::string, std::string>> found;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    for (auto& kv : daemon::ConfigGet(ctx.config(), ctx.args[i])) {
      bool seen = false;
      for (const auto& f : found) seen = seen || f.first == kv.first;
      if (!seen) found.push_back(std::move(kv));
    }
  }
  ctx.reply.MapHeader(static_cast<int64_t>(found.size()));
  for (const auto& [name, value] : found) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(value);
  }
}

// CONFIG SET parameter value [parameter value ...]
void CmdConfigSet(CommandContext& ctx) {
  if (ctx.args.size() % 2 != 0) {
    ctx.reply.Error(daemon::kErrSyntax);  // a name without its value, as Redis 7.0 answers
    return;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  daemon::ArgReader r(ctx.args, 2);
  while (r.HasNext()) {
    const std::string_view name = r.Next();
    pairs.emplace_back(name, r.Next());
  }
  std::vector<std::string> changed;
  std::string error;
  daemon::Server& server = ctx.server();
  auto apply = [&server](const daemon::Config& next, const std::vector<std::string>& names,
                         std::string* name, std::string* reason) {
    return server.PrepareConfigChanges(next, names, name, reason);
  };
  if (!daemon::ConfigSet(&server.config(), pairs, &changed, &error, apply)) {
    ctx.reply.Error(error);
    return;
  }
  ctx.server().OnConfigChanged(changed);
  ctx.reply.Ok();
}

// CONFIG RESETSTAT
void CmdConfigResetstat(CommandContext& ctx) {
  ctx.server().stats().Reset();
  ctx.keyspace().ResetStats();
  ctx.server().commands().ResetStats();
  for (const daemon::InfoSection& section : ctx.server().info_sections().all()) {
    if (section.reset) section.reset(ctx.services);
  }
  ctx.reply.Ok();
}

// CONFIG HELP
void CmdConfigHelp(CommandContext& ctx) {
  daemon::ReplyHelp(ctx,
                    {
                        "GET <pattern>",
                        "    Return parameters matching the glob-like <pattern> and their values.",
                        "SET <directive> <value>",
                        "    Set the configuration <directive> to <value>.",
                        "RESETSTAT",
                        "    Reset statistics reported by the INFO command.",
                    });
}

// DBSIZE
void CmdDbsize(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.keyspace().size()));
}

// FLUSHALL [ASYNC | SYNC], FLUSHDB [ASYNC | SYNC]
void CmdFlush(CommandContext& ctx) {
  daemon::ArgReader r(ctx.args);
  // ASYNC: the large collections are freed by the background thread (daemon/lazy_free.h).
  const bool lazy = r.HasNext() && r.Choice({"SYNC", "ASYNC"}, daemon::kErrSyntax) == 1;
  if (!r.Done(ctx)) return;
  ctx.keyspace().Clear(lazy);
  ctx.reply.Ok();
}

// TIME
void CmdTime(CommandContext& ctx) {
  int64_t us = ctx.clock().NowUs();
  ctx.reply.ArrayHeader(2);
  ctx.reply.BulkInt(us / 1'000'000);
  ctx.reply.BulkInt(us % 1'000'000);
}

// BGREWRITEAOF
void CmdBgrewriteaof(CommandContext& ctx) {
  std::string error;
  if (!ctx.server().persistence().StartRewrite(&error)) return ctx.reply.Error("ERR " + error);
  ctx.reply.Simple("Background append only file rewriting started");
}

// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
void CmdShutdown(CommandContext& ctx) {
  // Bits in the order of the words read below (ArgReader::Flag's).
  enum : unsigned { kNoSave = 1, kSave = 2, kNow = 4, kForce = 8, kAbort = 16 };
  unsigned flags = 0;
  daemon::ArgReader r(ctx.args);
  while (r.HasNext()) {
    const unsigned flag = r.Flag({"NOSAVE", "SAVE", "NOW", "FORCE", "ABORT"});
    if (flag == 0) r.Fail(daemon::kErrSyntax);
    flags |= flag;
  }
  if (!r.Done(ctx)) return;
  // ABORT goes alone, and SAVE and NOSAVE contradict each other.
  if (((flags & kAbort) && flags != kAbort) || ((flags & kNoSave) && (flags & kSave))) {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  if (flags & kAbort) {
    // Shutdown is immediate in Pylon (nothing to save or wait for), so none is ever in progress.
    ctx.reply.Error("ERR No shutdown in progress.");
    return;
  }
  // While a script keeps the server busy, only SHUTDOWN NOSAVE goes through; the script is
  // stopped at its next instruction check, written or not.
  daemon::ScriptRunner& scripts = ctx.scripts();
  if (scripts.busy()) {
    if (!(flags & kNoSave)) {
      ctx.reply.Error(scripts.BusyError());
      return;
    }
    scripts.Abort();
  }
  // As Redis: no reply; the client sees the connection close.
  ctx.server().Shutdown("SHUTDOWN");
}

// TESTCLOCK GET | ADVANCE milliseconds | SET unix-time-milliseconds
void CmdTestclock(CommandContext& ctx) {
  enum Op : size_t { kGet, kAdvance, kSet };
  daemon::ArgReader r(ctx.args);
  const size_t op = r.Choice({"GET", "ADVANCE", "SET"}, daemon::kErrSyntax);
  // The count is checked before the value is read: "ADVANCE abc extra" is a syntax error.
  if (r.remaining() != (op == kGet ? 0 : 1)) r.Fail(daemon::kErrSyntax);
  const int64_t ms = op == kGet ? 0 : r.Int(0, INT64_MAX / 1000, daemon::kErrNotInteger);
  if (!r.Done(ctx)) return;
  daemon::Clock& clock = ctx.clock();
  if (op == kAdvance && !clock.Advance(ms * 1000)) {
    ctx.reply.Error("ERR the test clock cannot move that far");
    return;
  }
  if (op == kSet && !clock.Set(ms * 1000)) {
    ctx.reply.Error("ERR the test clock never goes backwards");
    return;
  }
  // Whatever was due by the new time happens now, as if that time had passed. The caller is
  // active right now, so it is not idle, whatever the jump.
  ctx.conn.last_interaction_ms = clock.NowMs();
  if (op != kGet) ctx.server().Cron();
  ctx.reply.Integer(clock.NowMs());
}

}  // namespace

void RegisterServerCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  t.Add({.name = "info",
         .arity = -1,
         .flags = kCmdLoading | kCmdStale,
         .handler = CmdInfo,
         .group = "server",
         .since = "1.0.0",
         .summary = "Get information and statistics about the server",
         .complexity = "O(1)",
         .syntax = "[section ...]",
         .tips = {"nondeterministic_output", "request_policy:all_shards",
                  "response_policy:special"}});
  t.Add({.name = "config",
         .arity = -2,
         .group = "server",
         .since = "2.0.0",
         .summary = "A container for server configuration commands",
         .complexity = "Depends on subcommand."});
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale;
  t.AddSubcommand("config",
                  {.name = "get",
                   .arity = -3,
                   .flags = kAdmin,
                   .handler = CmdConfigGet,
                   .since = "2.0.0",
                   .summary = "Get the values of configuration parameters",
                   .complexity = "O(N) when N is the number of configuration parameters provided",
                   .syntax = "parameter ..."});
  t.AddSubcommand("config",
                  {.name = "set",
                   .arity = -4,
                   .flags = kAdmin,
                   .handler = CmdConfigSet,
                   .since = "2.0.0",
                   .summary = "Set configuration parameters to the given values",
                   .complexity = "O(N) when N is the number of configuration parameters provided",
                   .syntax = "(data: parameter value) ...",
                   .tips = {"request_policy:all_nodes", "response_policy:all_succeeded"}});
  t.AddSubcommand("config",
                  {.name = "resetstat",
                   .arity = 2,
                   .flags = kAdmin,
                   .handler = CmdConfigResetstat,
                   .since = "2.0.0",
                   .summary = "Reset the stats returned by INFO",
                   .complexity = "O(1)",
                   .tips = {"request_policy:all_nodes", "response_policy:all_succeeded"}});
  t.AddSubcommand("config", {.name = "help",
                             .arity = 2,
                             .flags = kCmdLoading | kCmdStale,
                             .handler = CmdConfigHelp,
                             .since = "5.0.0",
                             .summary = "Show helpful text about the different subcommands",
                             .complexity = "O(1)"});
  t.Add({.name = "dbsize",
         .arity = 1,
         .flags = kCmdReadonly | kCmdFast,
         .handler = CmdDbsize,
         .group = "server",
         .since = "1.0.0",
         .summary = "Return the number of keys in the selected database",
         .complexity = "O(1)",
         .tips = {"request_policy:all_shards", "response_policy:agg_sum"}});
  t.Add({.name = "flushall",
         .arity = -1,
         .flags = kCmdWrite,
         .handler = CmdFlush,
         .group = "server",
         .since = "1.0.0",
         .summary = "Remove all keys from all databases",
         .complexity = "O(N) where N is the total number of keys in all databases",
         .syntax = "[flush-type: ASYNC | SYNC]",
         .tips = {"request_policy:all_shards", "response_policy:all_succeeded"}});
  t.Add({.name = "flushdb",
         .arity = -1,
         .flags = kCmdWrite,
         .handler = CmdFlush,
         .group = "server",
         .since = "1.0.0",
         .summary = "Remove all keys from the current database",
         .complexity = "O(N) where N is the number of keys in the selected database",
         .syntax = "[flush-type: ASYNC | SYNC]",
         .tips = {"request_policy:all_shards", "response_policy:all_succeeded"}});
  t.Add({.name = "time",
         .arity = 1,
         .flags = kCmdLoading | kCmdStale | kCmdFast,
         .handler = CmdTime,
         .group = "server",
         .since = "2.6.0",
         .summary = "Return the current server time",
         .complexity = "O(1)",
         .tips = {"nondeterministic_output"}});
  t.Add({.name = "bgrewriteaof",
         .arity = 1,
         .flags = kCmdAdmin | kCmdNoscript,
         .handler = CmdBgrewriteaof,
         .group = "server",
         .since = "1.0.0",
         .summary = "Asynchronously rewrite the append-only file",
         .complexity = "O(1)"});
  t.Add({.name = "shutdown",
         .arity = -1,
         .flags = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale | kCmdNoMulti | kCmdAllowBusy,
         .handler = CmdShutdown,
         .group = "server",
         .since = "1.0.0",
         .summary = "Synchronously save the dataset to disk and then shut down the server",
         .complexity = "O(N) when saving, where N is the total number of keys in all databases",
         .syntax = "[save-selector: NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"});
  // The test clock's command exists only when the switch is on (never in production).
  if (registry.config.enable_test_clock) {
    t.Add({.name = "testclock",
           .arity = -2,
           .flags = kCmdAdmin | kCmdLoading | kCmdStale | kCmdFast,
           .handler = CmdTestclock,
           .group = "server",
           .since = "0.1.0",
           .summary = "Read or move the server's test clock (test builds only)",
           .complexity = "O(1)",
           .syntax =
               "(op: GET | ADVANCE milliseconds:integer | SET unix-time-milliseconds:integer)"});
  }
  RegisterCoreInfoSections(registry.info);
}

}  // namespace pylon::core
