// MULTI EXEC DISCARD WATCH UNWATCH. Queueing itself happens in the dispatcher (as in Redis's
// processCommand), so every command is queued by one rule.
#include <vector>

#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/transactions.h"
#include "modules/core/family.h"

namespace pylon::core {
namespace {

using daemon::CommandContext;

// MULTI
void CmdMulti(CommandContext& ctx) {
  if (ctx.conn.multi.active) {
    ctx.reply.Error("ERR MULTI calls can not be nested");
    return;
  }
  ctx.transactions().Begin(ctx.conn);
  ctx.reply.Ok();
}

// EXEC
void CmdExec(CommandContext& ctx) {
  if (!ctx.conn.multi.active) {
    ctx.reply.Error("ERR EXEC without MULTI");
    return;
  }
  ctx.transactions().Exec(ctx);
}

// DISCARD
void CmdDiscard(CommandContext& ctx) {
  if (!ctx.conn.multi.active) {
    ctx.reply.Error("ERR DISCARD without MULTI");
    return;
  }
  ctx.transactions().End(ctx.conn);
  ctx.reply.Ok();
}

// WATCH key [key ...]
void CmdWatch(CommandContext& ctx) {
  if (ctx.conn.multi.active) {
    ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  for (size_t i = 1; i < ctx.args.size(); i++) ctx.transactions().Watch(ctx.conn, ctx.args[i]);
  ctx.reply.Ok();
}

// UNWATCH
void CmdUnwatch(CommandContext& ctx) {
  ctx.transactions().UnwatchAll(ctx.conn);
  ctx.reply.Ok();
}

}  // namespace

void RegisterTransactionCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  constexpr uint32_t kTx = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;
  // MULTI, EXEC, DISCARD and WATCH act on the transaction: run, not queued (UNWATCH is queued).
  constexpr uint32_t kControl = kTx | kCmdTransactionControl;
  t.Add({.name = "multi",
         .arity = 1,
         .flags = kControl,
         .handler = CmdMulti,
         .group = "transactions",
         .since = "1.2.0",
         .summary = "Mark the start of a transaction block",
         .complexity = "O(1)"});
  t.Add({.name = "exec",
         .arity = 1,
         .flags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdTransactionControl | kCmdExec,
         .handler = CmdExec,
         .group = "transactions",
         .since = "1.2.0",
         .summary = "Execute all commands issued after MULTI",
         .complexity = "Depends on commands in the transaction"});
  t.Add({.name = "discard",
         .arity = 1,
         .flags = kControl,
         .handler = CmdDiscard,
         .group = "transactions",
         .since = "2.0.0",
         .summary = "Discard all commands issued after MULTI",
         .complexity = "O(N), when N is the number of queued commands"});
  t.Add({.name = "watch",
         .arity = -2,
         .flags = kControl,
         .first_key = 1,
         .last_key = -1,
         .key_step = 1,
         .handler = CmdWatch,
         .group = "transactions",
         .since = "2.2.0",
         .summary = "Watch the given keys to determine execution of the MULTI/EXEC block",
         .complexity = "O(1) for every key.",
         .syntax = "key ..."});
  t.Add({.name = "unwatch",
         .arity = 1,
         .flags = kTx,
         .handler = CmdUnwatch,
         .group = "transactions",
         .since = "2.2.0",
         .summary = "Forget about all watched keys",
         .complexity = "O(1)"});
}

}  // namespace pylon::core
