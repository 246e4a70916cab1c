// EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST (Redis 7.0 expire.c).
#include <fmt/format.h>

#include <string>

#include "daemon/arg_reader.h"
#include "daemon/clock.h"
#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "daemon/keyspace_events.h"
#include "modules/keys/family.h"

namespace pylon::keys {
namespace {

using daemon::CommandContext;
using daemon::Keyspace;
using daemon::Lookup;

Keyspace& Keys(CommandContext& ctx) { return ctx.keyspace(); }

// Bits in the order of the words ParseConditionsOrReply reads (ArgReader::Flag's).
enum ExpireCondition : unsigned { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

// NX | XX | GT | LT after the time (parseExtendedExpireArgumentsOrReply): an unknown word is
// refused by name, then conflicting conditions, before the time itself is read.
bool ParseConditionsOrReply(CommandContext& ctx, unsigned* out) {
  unsigned c = 0;
  daemon::ArgReader r(ctx.args, 3);
  while (r.HasNext()) {
    const std::string_view word = r.Peek();
    const unsigned condition = r.Flag({"NX", "XX", "GT", "LT"});
    if (condition == 0) r.Fail(fmt::format("ERR Unsupported option {}", word));
    c |= condition;
  }
  if (!r.Done(ctx)) return false;
  if ((c & kNx) && (c & (kXx | kGt | kLt))) {
    ctx.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if ((c & kGt) && (c & kLt)) {
    ctx.reply.Error("ERR GT and LT options at the same time are not compatible");
    return false;
  }
  *out = c;
  return true;
}

// Whether the condition lets a key whose expiry is `current` (-1: none) take `when`.
bool ConditionHolds(unsigned c, int64_t current, int64_t when) {
  if ((c & kNx) && current != -1) return false;
  if ((c & kXx) && current == -1) return false;
  // No expiry counts as an infinite one: GT never holds, LT always does.
  if ((c & kGt) && (current == -1 || when <= current)) return false;
  if ((c & kLt) && current != -1 && when >= current) return false;
  return true;
}

// expireGenericCommand: `base_ms` is now for the relative forms, 0 for the absolute ones. The
// time may be negative (the key is then deleted), but must not overflow.
void ExpireGeneric(CommandContext& ctx, int64_t base_ms, bool seconds) {
  unsigned conditions;
  if (!ParseConditionsOrReply(ctx, &conditions)) return;
  int64_t when;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &when)) return;
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) {
      daemon::ReplyInvalidExpireTime(ctx);
      return;
    }
    when *= 1000;
  }
  if (when > INT64_MAX - base_ms) {
    daemon::ReplyInvalidExpireTime(ctx);
    return;
  }
  when += base_ms;
  daemon::KeyRef ref = Keys(ctx).Locate(ctx.args[1], Lookup::kWrite);
  if (!ref.entry || !ConditionHolds(conditions, ref.entry->expire_ms(), when)) {
    ctx.reply.Integer(0);
    return;
  }
  if (when <= ctx.clock().NowMs()) {
    Keys(ctx).Delete(ref);  // a time already past deletes the key at once
    ctx.Notify(daemon::kEventGeneric, "del", ctx.args[1]);
  } else {
    Keys(ctx).SetExpire(ref, when);
    ctx.Notify(daemon::kEventGeneric, "expire", ctx.args[1]);
  }
  ctx.reply.Integer(1);
}

// EXPIRE key seconds [NX | XX | GT | LT]
void CmdExpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.clock().NowMs(), true); }

// PEXPIRE key milliseconds [NX | XX | GT | LT]
void CmdPexpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.clock().NowMs(), false); }

// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
void CmdExpireat(CommandContext& ctx) { ExpireGeneric(ctx, 0, true); }

// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
void CmdPexpireat(CommandContext& ctx) { ExpireGeneric(ctx, 0, false); }

// ttlGenericCommand: -2 for a missing key, -1 without expiry; seconds are rounded.
void TtlGeneric(CommandContext& ctx, bool milliseconds, bool absolute) {
  const daemon::Entry* e = Keys(ctx).Find(ctx.args[1], Lookup::kReadNoTouch);
  if (!e) {
    ctx.reply.Integer(-2);
    return;
  }
  const int64_t expire = e->expire_ms();
  if (expire == -1) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t ttl = absolute ? expire : expire - ctx.clock().NowMs();
  if (ttl < 0) ttl = 0;
  // Rounded to the nearest second in unsigned arithmetic: a time near INT64_MAX ms (PEXPIREAT
  // accepts one) must not overflow, and Redis answers ceil(INT64_MAX / 1000) for it.
  ctx.reply.Integer(milliseconds ? ttl
                                 : static_cast<int64_t>((static_cast<uint64_t>(ttl) + 500) / 1000));
}

// TTL key
void CmdTtl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }

// PTTL key
void CmdPttl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }

// EXPIRETIME key
void CmdExpiretime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }

// PEXPIRETIME key
void CmdPexpiretime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

// PERSIST key
void CmdPersist(CommandContext& ctx) {
  daemon::KeyRef ref = Keys(ctx).Locate(ctx.args[1], Lookup::kWrite);
  const bool persisted = Keys(ctx).Persist(ref);
  if (persisted) ctx.Notify(daemon::kEventGeneric, "persist", ctx.args[1]);
  ctx.reply.Integer(persisted ? 1 : 0);
}

}  // namespace

void RegisterExpireCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  CommandGroup group(t, "generic");
  constexpr std::string_view kCondition = " [condition: NX | XX | GT | LT]";
  static const std::string expire_syntax = "key seconds:integer" + std::string(kCondition);
  static const std::string pexpire_syntax = "key milliseconds:integer" + std::string(kCondition);
  static const std::string expireat_syntax =
      "key unix-time-seconds:unix-time" + std::string(kCondition);
  static const std::string pexpireat_syntax =
      "key unix-time-milliseconds:unix-time" + std::string(kCondition);
  group.AddKeyed({.name = "expire",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdExpire,
                  .since = "1.0.0",
                  .summary = "Set a key's time to live in seconds",
                  .complexity = "O(1)",
                  .syntax = expire_syntax});
  group.AddKeyed({.name = "pexpire",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdPexpire,
                  .since = "2.6.0",
                  .summary = "Set a key's time to live in milliseconds",
                  .complexity = "O(1)",
                  .syntax = pexpire_syntax});
  group.AddKeyed({.name = "expireat",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdExpireat,
                  .since = "1.2.0",
                  .summary = "Set the expiration for a key as a UNIX timestamp",
                  .complexity = "O(1)",
                  .syntax = expireat_syntax});
  group.AddKeyed(
      {.name = "pexpireat",
       .arity = -3,
       .flags = kCmdWrite | kCmdFast,
       .handler = CmdPexpireat,
       .since = "2.6.0",
       .summary = "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
       .complexity = "O(1)",
       .syntax = pexpireat_syntax});
  group.AddKeyed({.name = "ttl",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdTtl,
                  .since = "1.0.0",
                  .summary = "Get the time to live for a key in seconds",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "pttl",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdPttl,
                  .since = "2.6.0",
                  .summary = "Get the time to live for a key in milliseconds",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "expiretime",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdExpiretime,
                  .since = "7.0.0",
                  .summary = "Get the expiration Unix timestamp for a key",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "pexpiretime",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdPexpiretime,
                  .since = "7.0.0",
                  .summary = "Get the expiration Unix timestamp for a key in milliseconds",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "persist",
                  .arity = 2,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdPersist,
                  .since = "2.2.0",
                  .summary = "Remove the expiration from a key",
                  .complexity = "O(1)",
                  .syntax = "key"});
}

}  // namespace pylon::keys
