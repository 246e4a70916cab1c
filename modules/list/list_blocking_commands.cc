// Redis's blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) on the server's
// blocking mechanism (daemon/blocking.h): a command that finds nothing to serve blocks its
// client on its keys, and any write to one of them runs the whole command again, first blocked
// first served. So each handler only checks its keys in order and either serves or blocks; a
// woken command that finds its lists empty again (a push and a pop in one MULTI) blocks again
// and keeps its place. Inside MULTI (or a script) nothing blocks: an empty wait answers at once
// as a timeout would.
//
// A woken command skips keys that hold another type, as Redis's serving step only looks at
// lists: it replies WRONGTYPE only on its first run.
#include <vector>

#include "daemon/blocking.h"
#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/list/list_common.h"

namespace pylon::list {
namespace {

using daemon::CommandContext;
using daemon::Lookup;

// The first non-empty list among keys: its index, or keys.size() when there is none. False
// after a WRONGTYPE reply (only on a command's first run).
bool FirstReady(CommandContext& ctx, daemon::Args keys, size_t* ready, ListValue** list) {
  const bool woken = ctx.conn.blocked != nullptr;
  for (size_t i = 0; i < keys.size(); i++) {
    const daemon::KeyRef ref = ctx.keyspace().Locate(keys[i], Lookup::kWrite);
    if (!ref.entry) continue;
    if (&ref.entry->type() != &kListType) {
      if (woken) continue;
      ctx.reply.Error(daemon::kErrWrongType);
      return false;
    }
    *ready = i;
    *list = static_cast<ListValue*>(ref.entry->object());
    return true;
  }
  *ready = keys.size();
  return true;
}

// Blocks on keys until the deadline, or, where blocking is not allowed, answers as a timeout
// does: `null_array` for the pops, a null bulk for BLMOVE (Redis's own replies in MULTI).
void BlockOrAnswer(CommandContext& ctx, daemon::Args keys, int64_t deadline_ms, bool null_array) {
  if (daemon::BlockedClients::CanBlock(ctx)) {
    ctx.blocking().Block(ctx, keys, deadline_ms);
  } else if (null_array) {
    ctx.reply.NullArray();
  } else {
    ctx.reply.Null();
  }
}

// BLPOP, BRPOP key [key ...] timeout: [key, element] from the first non-empty list.
void BlockingPop(CommandContext& ctx, End end) {
  int64_t deadline;
  if (!daemon::ParseBlockTimeoutOrReply(ctx, ctx.args.back(), &deadline)) return;
  const daemon::Args keys = ctx.args.subspan(1, ctx.args.size() - 2);
  size_t ready;
  ListValue* list = nullptr;
  if (!FirstReady(ctx, keys, &ready, &list)) return;
  if (ready == keys.size()) {
    BlockOrAnswer(ctx, keys, deadline, true);
    return;
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(keys[ready]);
  ctx.reply.Bulk(list->list().Peek(end));
  list->Pop(end);
  FinishPop(ctx, keys[ready], list, end);
}

void CmdBlpop(CommandContext& ctx) { BlockingPop(ctx, End::kHead); }
void CmdBrpop(CommandContext& ctx) { BlockingPop(ctx, End::kTail); }

// BLMOVE and BRPOPLPUSH: LMOVE once the source has an element.
void BlockingMove(CommandContext& ctx, End from, End to, int64_t deadline) {
  const daemon::Args source = ctx.args.subspan(1, 1);
  size_t ready;
  ListValue* list = nullptr;
  if (!FirstReady(ctx, source, &ready, &list)) return;
  if (ready == source.size()) {
    BlockOrAnswer(ctx, source, deadline, false);
    return;
  }
  MoveAndReply(ctx, ctx.args[1], list, ctx.args[2], from, to);
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
void CmdBlmove(CommandContext& ctx) {
  End from, to;
  int64_t deadline;
  if (!ParseEndOrReply(ctx, ctx.args[3], &from) || !ParseEndOrReply(ctx, ctx.args[4], &to) ||
      !daemon::ParseBlockTimeoutOrReply(ctx, ctx.args[5], &deadline)) {
    return;
  }
  BlockingMove(ctx, from, to, deadline);
}

// BRPOPLPUSH source destination timeout
void CmdBrpoplpush(CommandContext& ctx) {
  int64_t deadline;
  if (!daemon::ParseBlockTimeoutOrReply(ctx, ctx.args[3], &deadline)) return;
  BlockingMove(ctx, End::kTail, End::kHead, deadline);
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
void CmdBlmpop(CommandContext& ctx) {
  MultiPopArgs parsed;
  int64_t deadline;
  if (!ParseMultiPopOrReply(ctx, 2, &parsed) ||
      !daemon::ParseBlockTimeoutOrReply(ctx, ctx.args[1], &deadline)) {
    return;
  }
  size_t ready;
  ListValue* list = nullptr;
  if (!FirstReady(ctx, parsed.keys, &ready, &list)) return;
  if (ready == parsed.keys.size()) {
    BlockOrAnswer(ctx, parsed.keys, deadline, true);
    return;
  }
  PopKeyedRangeAndReply(ctx, parsed.keys[ready], list, parsed.end, parsed.count);
}

}  // namespace

void RegisterBlockingListCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandGroup group(registry.commands, "list");
  group.Add({.name = "blpop",
             .arity = -3,
             .flags = kCmdWrite | kCmdNoscript | kCmdBlocking,
             .first_key = 1,
             .last_key = -2,
             .key_step = 1,
             .handler = CmdBlpop,
             .since = "2.0.0",
             .summary = "Remove and get the first element in a list, or block until one is "
                        "available",
             .complexity = "O(N) where N is the number of provided keys.",
             .syntax = "key ... timeout:double",
             .key_flags = {"RW", "access", "delete"}});
  group.Add({.name = "brpop",
             .arity = -3,
             .flags = kCmdWrite | kCmdNoscript | kCmdBlocking,
             .first_key = 1,
             .last_key = -2,
             .key_step = 1,
             .handler = CmdBrpop,
             .since = "2.0.0",
             .summary = "Remove and get the last element in a list, or block until one is "
                        "available",
             .complexity = "O(N) where N is the number of provided keys.",
             .syntax = "key ... timeout:double",
             .key_flags = {"RW", "access", "delete"}});
  group.Add({.name = "blmove",
             .arity = 6,
             .flags = kCmdWrite | kCmdDenyOom | kCmdNoscript | kCmdBlocking,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .handler = CmdBlmove,
             .since = "6.2.0",
             .summary = "Pop an element from a list, push it to another list and return it; "
                        "or block until one is available",
             .complexity = "O(1)",
             .syntax = "source:key destination:key (wherefrom: LEFT | RIGHT) "
                       "(whereto: LEFT | RIGHT) timeout:double"});
  group.Add({.name = "brpoplpush",
             .arity = 4,
             .flags = kCmdWrite | kCmdDenyOom | kCmdNoscript | kCmdBlocking,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .handler = CmdBrpoplpush,
             .since = "2.2.0",
             .summary = "Pop an element from a list, push it to another list and return it; "
                        "or block until one is available",
             .complexity = "O(1)",
             .syntax = "source:key destination:key timeout:double"});
  group.Add({.name = "blmpop",
             .arity = -5,
             .flags = kCmdWrite | kCmdBlocking | kCmdMovableKeys,
             .numkeys_index = 2,
             .handler = CmdBlmpop,
             .since = "7.0.0",
             .summary = "Pop elements from a list, or block until one is available",
             .complexity = "O(N+M) where N is the number of provided keys and M is the number "
                           "of elements returned.",
             .syntax = "timeout:double numkeys:integer key ... (where: LEFT | RIGHT) "
                       "[COUNT count:integer]"});
}

}  // namespace pylon::list
