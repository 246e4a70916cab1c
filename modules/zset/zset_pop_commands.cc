// Redis's sorted set pops (Redis 7.0 t_zset.c): ZPOPMIN ZPOPMAX ZMPOP and the blocking
// BZPOPMIN BZPOPMAX BZMPOP, each with its own reply shape in RESP2 and RESP3. A blocking pop
// that finds nothing blocks on its keys (daemon/blocking.h); any write to one of them runs it
// again, and it pops from the first key that has a member, as the first call would have.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "daemon/blocking.h"
#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/keyspace_events.h"
#include "daemon/registry.h"
#include "modules/zset/zset_command_support.h"

namespace pylon::zset {
namespace {

using daemon::CommandContext;
using daemon::IsArg;

enum class End { kMin, kMax };

// How a pop replies (Redis's genericZpopCommand flags).
struct PopShape {
  bool emit_key = false;        // the key first (the blocking pops, ZMPOP)
  bool nested = false;          // members as [member, score] pairs
  bool nil_when_empty = false;  // no key with a member: a null array rather than an empty one
};

// Pops up to `count` (-1: one, the plain form) from the first of `keys` that exists; WRONGTYPE
// for the first existing key of another type.
void Pop(CommandContext& ctx, std::span<const std::string_view> keys, End end, int64_t count,
         const PopShape& shape) {
  WriteTarget target;
  std::string_view key;
  for (const std::string_view k : keys) {
    WriteTarget candidate;
    if (!candidate.Open(ctx, k)) return;
    if (candidate.exists()) {
      target = std::move(candidate);
      key = k;
      break;
    }
  }
  if (!target.exists()) {
    if (shape.nil_when_empty) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.ArrayHeader(0);
    }
    return;
  }
  if (count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  if (count < 0) count = 1;
  ZsetValue& z = target.value();
  const size_t size = z.zset().Size();
  const size_t popped = static_cast<uint64_t>(count) < size ? static_cast<size_t>(count) : size;
  const auto n = static_cast<int64_t>(popped);
  if (!shape.emit_key) {
    ctx.reply.ArrayHeader(shape.nested ? n : n * 2);
  } else if (!shape.nested) {
    ctx.reply.ArrayHeader(n * 2 + 1);
    ctx.reply.Bulk(key);
  } else {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    ctx.reply.ArrayHeader(n);
  }
  size_t left = popped;
  z.zset().Walk(0, end == End::kMax, [&](std::string_view member, double score) {
    if (shape.nested) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(member);
    ctx.reply.Double(score);
    return --left > 0;
  });
  if (end == End::kMin) {
    z.RemoveRanks(0, popped);
  } else {
    z.RemoveRanks(size - popped, size);
  }
  const bool key_removed = target.Commit(ctx);
  ctx.Notify(daemon::kEventZset, end == End::kMin ? "zpopmin" : "zpopmax", key);
  if (key_removed) ctx.Notify(daemon::kEventGeneric, "del", key);
}

// ZPOPMIN / ZPOPMAX key [count]
void ZpopMinMax(CommandContext& ctx, End end) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  int64_t count = -1;
  if (ctx.args.size() == 3) {
    // Redis words a count that does not parse as one out of range too.
    if (!daemon::ParseRangeOrReply(ctx, ctx.args[2], 0, INT64_MAX, &count,
                                   "ERR value is out of range, must be positive")) {
      return;
    }
  }
  // RESP3 nests the pairs only when a count was given.
  const PopShape shape{.nested = ctx.reply.resp() >= 3 && count != -1};
  Pop(ctx, ctx.args.subspan(1, 1), end, count, shape);
}

void CmdZpopmin(CommandContext& ctx) { ZpopMinMax(ctx, End::kMin); }
void CmdZpopmax(CommandContext& ctx) { ZpopMinMax(ctx, End::kMax); }

// The blocking pops: serve from the first key with a member, else block on all of them (or,
// inside MULTI, answer a null array at once, as a timeout).
void BlockingPop(CommandContext& ctx, std::span<const std::string_view> keys, End end,
                 std::string_view timeout_arg, int64_t count, const PopShape& shape) {
  int64_t deadline_ms;
  if (!daemon::ParseBlockTimeoutOrReply(ctx, timeout_arg, &deadline_ms)) return;
  // A waiter woken by a write finds its keys as they are now; Redis 7.0 serves it only from a
  // sorted set, so a key that became another type leaves it waiting (no WRONGTYPE then).
  const bool woken = ctx.conn.blocked != nullptr;
  for (const std::string_view key : keys) {
    if (woken) {
      const daemon::Entry* e = ctx.keyspace().Find(key, daemon::Lookup::kRead);
      if (e && &e->type() != &kZsetType) continue;
    }
    bool ok;
    const ZSet* z = FindForRead(ctx, key, &ok);
    if (!ok) return;
    if (z && !z->empty()) {
      Pop(ctx, std::span<const std::string_view>(&key, 1), end, count, shape);
      return;
    }
  }
  if (!daemon::BlockedClients::CanBlock(ctx)) {
    ctx.reply.NullArray();
    return;
  }
  ctx.blocking().Block(ctx, keys, deadline_ms);
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout
void BzpopMinMax(CommandContext& ctx, End end) {
  BlockingPop(ctx, ctx.args.subspan(1, ctx.args.size() - 2), end, ctx.args.back(), -1,
              PopShape{.emit_key = true});
}

void CmdBzpopmin(CommandContext& ctx) { BzpopMinMax(ctx, End::kMin); }
void CmdBzpopmax(CommandContext& ctx) { BzpopMinMax(ctx, End::kMax); }

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], and BZMPOP timeout numkeys ... (numkeys at
// `numkeys_index`).
void ZmpopGeneric(CommandContext& ctx, size_t numkeys_index, bool blocking) {
  int64_t numkeys;
  if (!daemon::ParseRangeOrReply(ctx, ctx.args[numkeys_index], 1, INT64_MAX, &numkeys,
                                 "ERR numkeys should be greater than 0")) {
    return;
  }
  const size_t argc = ctx.args.size();
  if (static_cast<uint64_t>(numkeys) >= argc - numkeys_index - 1) {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  const size_t where_index = numkeys_index + static_cast<size_t>(numkeys) + 1;
  End end;
  if (IsArg(ctx.args[where_index], "MIN")) {
    end = End::kMin;
  } else if (IsArg(ctx.args[where_index], "MAX")) {
    end = End::kMax;
  } else {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  int64_t count = -1;
  for (size_t j = where_index + 1; j < argc; j++) {
    if (count == -1 && IsArg(ctx.args[j], "COUNT") && j + 1 < argc) {
      if (!daemon::ParseRangeOrReply(ctx, ctx.args[++j], 1, INT64_MAX, &count,
                                     "ERR count should be greater than 0")) {
        return;
      }
    } else {
      ctx.reply.Error(daemon::kErrSyntax);
      return;
    }
  }
  if (count == -1) count = 1;
  const auto keys = ctx.args.subspan(numkeys_index + 1, static_cast<size_t>(numkeys));
  const PopShape shape{.emit_key = true, .nested = true, .nil_when_empty = true};
  if (blocking) {
    BlockingPop(ctx, keys, end, ctx.args[1], count, shape);
  } else {
    Pop(ctx, keys, end, count, shape);
  }
}

void CmdZmpop(CommandContext& ctx) { ZmpopGeneric(ctx, 1, false); }
void CmdBzmpop(CommandContext& ctx) { ZmpopGeneric(ctx, 2, true); }

}  // namespace

void RegisterZsetPopCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandGroup group(registry.commands, "sorted_set");
  group.AddKeyed({.name = "zpopmin",
                  .arity = -2,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdZpopmin,
                  .since = "5.0.0",
                  .summary = "Remove and return members with the lowest scores in a sorted set",
                  .complexity = "O(log(N)*M) with N being the number of elements in the sorted "
                                "set, and M being the number of elements popped.",
                  .syntax = "key [count:integer]",
                  .key_flags = {"RW", "access", "delete"}});
  group.AddKeyed({.name = "zpopmax",
                  .arity = -2,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdZpopmax,
                  .since = "5.0.0",
                  .summary = "Remove and return members with the highest scores in a sorted set",
                  .complexity = "O(log(N)*M) with N being the number of elements in the sorted "
                                "set, and M being the number of elements popped.",
                  .syntax = "key [count:integer]",
                  .key_flags = {"RW", "access", "delete"}});
  group.Add({.name = "bzpopmin",
             .arity = -3,
             .flags = kCmdWrite | kCmdNoscript | kCmdFast | kCmdBlocking,
             .first_key = 1,
             .last_key = -2,
             .key_step = 1,
             .handler = CmdBzpopmin,
             .since = "5.0.0",
             .summary = "Remove and return the member with the lowest score from one or more "
                        "sorted sets, or block until one is available",
             .complexity = "O(log(N)) with N being the number of elements in the sorted set.",
             .syntax = "key ... timeout:double",
             .key_flags = {"RW", "access", "delete"}});
  group.Add({.name = "bzpopmax",
             .arity = -3,
             .flags = kCmdWrite | kCmdNoscript | kCmdFast | kCmdBlocking,
             .first_key = 1,
             .last_key = -2,
             .key_step = 1,
             .handler = CmdBzpopmax,
             .since = "5.0.0",
             .summary = "Remove and return the member with the highest score from one or more "
                        "sorted sets, or block until one is available",
             .complexity = "O(log(N)) with N being the number of elements in the sorted set.",
             .syntax = "key ... timeout:double",
             .key_flags = {"RW", "access", "delete"}});
  group.Add({.name = "zmpop",
             .arity = -4,
             .flags = kCmdWrite | kCmdMovableKeys,
             .numkeys_index = 1,
             .handler = CmdZmpop,
             .since = "7.0.0",
             .summary = "Remove and return members with scores in a sorted set",
             .complexity = "O(K) + O(N*log(M)) where K is the number of provided keys, N being "
                           "the number of elements in the sorted set, and M being the number "
                           "of elements popped.",
             .syntax = "numkeys:integer key ... (MIN | MAX) [COUNT count:integer]",
             .key_flags = {"RW", "access", "delete"}});
  group.Add({.name = "bzmpop",
             .arity = -5,
             .flags = kCmdWrite | kCmdBlocking | kCmdMovableKeys,
             .numkeys_index = 2,
             .handler = CmdBzmpop,
             .since = "7.0.0",
             .summary = "Remove and return members with scores in a sorted set or block until "
                        "one is available",
             .complexity = "O(K) + O(N*log(M)) where K is the number of provided keys, N being "
                           "the number of elements in the sorted set, and M being the number "
                           "of elements popped.",
             .syntax = "timeout:double numkeys:integer key ... (MIN | MAX) [COUNT "
                       "count:integer]",
             .key_flags = {"RW", "access", "delete"}});
}

}  // namespace pylon::zset
