// Redis's string commands, with its syntax, replies and error texts (Redis 7.0 t_string.c).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "daemon/arg_reader.h"
#include "daemon/clock.h"
#include "daemon/command_helpers.h"
#include "daemon/config.h"
#include "daemon/keyspace.h"
#include "daemon/keyspace_events.h"
#include "modules/strings/strings.h"
#include "protocol/text.h"

namespace pylon::strings {
namespace {

using daemon::CommandContext;
using daemon::Entry;
using daemon::KeyRef;
using daemon::Keyspace;
using daemon::kStringType;
using daemon::Lookup;
using daemon::Ttl;

// --- SET's options, shared with GETEX (Redis's parseExtendedStringArgumentsOrReply) -------------

// Bits in the order of the words ParseOptionsOrReply reads: ArgReader::Flag returns 1 << the
// index of the word it read.
enum Option : unsigned {
  kNx = 1u << 0,
  kXx = 1u << 1,
  kGet = 1u << 2,
  kKeepTtl = 1u << 3,
  kPersist = 1u << 4,
  kEx = 1u << 5,
  kPx = 1u << 6,
  kExat = 1u << 7,
  kPxat = 1u << 8,
};
constexpr unsigned kAnyExpire = kEx | kPx | kExat | kPxat;
constexpr unsigned kSetOptions = kNx | kXx | kGet | kKeepTtl | kAnyExpire;
constexpr unsigned kGetexOptions = kPersist | kAnyExpire;

// The options that `option` may not join: NX and XX exclude each other, and KEEPTTL, PERSIST
// and the four expiry kinds all exclude one another. Repeating one is allowed, as in Redis.
constexpr unsigned ConflictsOf(unsigned option) {
  if (option & (kNx | kXx)) return (kNx | kXx) & ~option;
  if (option & (kKeepTtl | kPersist | kAnyExpire))
    return (kKeepTtl | kPersist | kAnyExpire) & ~option;
  return 0;
}

struct Options {
  unsigned flags = 0;
  std::string_view expire;  // the argument after EX/PX/EXAT/PXAT
};

// Reads args[first..] as the options in `allowed`. An option not allowed, unknown, without its
// value or in conflict with one read before is a syntax error. The expiry's value is only kept
// here: Redis reads it after all the options, so "EX abc NX XX" is a syntax error.
bool ParseOptionsOrReply(CommandContext& ctx, size_t first, unsigned allowed, Options* out) {
  daemon::ArgReader r(ctx.args, first);
  while (r.HasNext()) {
    const unsigned option =
        r.Flag({"NX", "XX", "GET", "KEEPTTL", "PERSIST", "EX", "PX", "EXAT", "PXAT"}) & allowed;
    if (option == 0 || (out->flags & ConflictsOf(option))) {
      r.Fail(daemon::kErrSyntax);
    } else {
      out->flags |= option;
      if (option & kAnyExpire) out->expire = r.Next();
    }
  }
  return r.Done(ctx);
}

// The unix time in ms that an EX/PX/EXAT/PXAT argument names (getExpireMillisecondsOrReply):
// positive, and no overflow converting or adding the current time.
bool ExpireAtOrReply(CommandContext& ctx, unsigned flags, std::string_view arg, int64_t* at_ms) {
  int64_t v;
  if (!daemon::ParseIntOrReply(ctx, arg, &v)) return false;
  const bool seconds = flags & (kEx | kExat);
  if (v <= 0 || (seconds && v > INT64_MAX / 1000)) {
    daemon::ReplyInvalidExpireTime(ctx);
    return false;
  }
  if (seconds) v *= 1000;
  if (flags & (kEx | kPx)) {
    const int64_t now = ctx.clock().NowMs();
    if (v > INT64_MAX - now) {
      daemon::ReplyInvalidExpireTime(ctx);
      return false;
    }
    v += now;
  }
  *at_ms = v;
  return true;
}

Keyspace& Keys(CommandContext& ctx) { return ctx.keyspace(); }

// Looks a string key up for reading; replies WRONGTYPE (returning false) for another type.
bool ReadStringOrReply(CommandContext& ctx, std::string_view key, const Entry** out) {
  *out = Keys(ctx).Find(key, Lookup::kRead);
  return daemon::CheckTypeOrReply(ctx, *out, kStringType);
}

// GET's reply: the value or null. False after a WRONGTYPE reply.
bool ReplyValueOrReply(CommandContext& ctx, std::string_view key) {
  const Entry* e;
  if (!ReadStringOrReply(ctx, key, &e)) return false;
  if (e) {
    ctx.reply.Bulk(e->string());
  } else {
    ctx.reply.Null();
  }
  return true;
}

// Redis's checkStringLength: a string may not outgrow proto-max-bulk-len.
bool CheckLengthOrReply(CommandContext& ctx, uint64_t size, uint64_t append) {
  const uint64_t total = size + append;
  if (total > static_cast<uint64_t>(ctx.config().proto_max_bulk_len) || total < size) {
    ctx.reply.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return false;
  }
  return true;
}

enum class SetReply { kOk, kOneZero };

// SET and its older forms (setGenericCommand).
void SetGeneric(CommandContext& ctx, const Options& opts, std::string_view key,
                std::string_view value, SetReply reply) {
  int64_t at_ms = 0;
  if ((opts.flags & kAnyExpire) && !ExpireAtOrReply(ctx, opts.flags, opts.expire, &at_ms)) return;
  if ((opts.flags & kGet) && !ReplyValueOrReply(ctx, key)) return;
  KeyRef ref = Keys(ctx).Locate(key, Lookup::kWrite);
  const bool found = ref.entry != nullptr;
  if (((opts.flags & kNx) && found) || ((opts.flags & kXx) && !found)) {
    if (opts.flags & kGet) return;
    if (reply == SetReply::kOk) {
      ctx.reply.Null();
    } else {
      ctx.reply.Integer(0);
    }
    return;
  }
  const Ttl ttl = (opts.flags & kAnyExpire) ? Ttl::At(at_ms)
                  : (opts.flags & kKeepTtl) ? Ttl::Keep()
                                            : Ttl::Clear();
  Keys(ctx).SetString(ref, value, daemon::EncodingFor(value), ttl);
  ctx.Notify(daemon::kEventString, "set", key);
  if (opts.flags & kAnyExpire) ctx.Notify(daemon::kEventGeneric, "expire", key);
  if (opts.flags & kGet) return;
  if (reply == SetReply::kOk) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(1);
  }
}

// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ts-ms | KEEPTTL]
void CmdSet(CommandContext& ctx) {
  Options opts;
  if (!ParseOptionsOrReply(ctx, 3, kSetOptions, &opts)) return;
  SetGeneric(ctx, opts, ctx.args[1], ctx.args[2], SetReply::kOk);
}

// SETNX key value
void CmdSetnx(CommandContext& ctx) {
  SetGeneric(ctx, {.flags = kNx}, ctx.args[1], ctx.args[2], SetReply::kOneZero);
}

// SETEX key seconds value
void CmdSetex(CommandContext& ctx) {
  SetGeneric(ctx, {.flags = kEx, .expire = ctx.args[2]}, ctx.args[1], ctx.args[3], SetReply::kOk);
}

// PSETEX key milliseconds value
void CmdPsetex(CommandContext& ctx) {
  SetGeneric(ctx, {.flags = kPx, .expire = ctx.args[2]}, ctx.args[1], ctx.args[3], SetReply::kOk);
}

// GET key
void CmdGet(CommandContext& ctx) { ReplyValueOrReply(ctx, ctx.args[1]); }

// GETSET key value
void CmdGetset(CommandContext& ctx) {
  if (!ReplyValueOrReply(ctx, ctx.args[1])) return;
  KeyRef ref = Keys(ctx).Locate(ctx.args[1], Lookup::kWrite);
  Keys(ctx).SetString(ref, ctx.args[2], daemon::EncodingFor(ctx.args[2]), Ttl::Clear());
  ctx.Notify(daemon::kEventString, "set", ctx.args[1]);
}

// GETDEL key
void CmdGetdel(CommandContext& ctx) {
  KeyRef ref = Keys(ctx).Locate(ctx.args[1], Lookup::kRead);
  if (!daemon::CheckTypeOrReply(ctx, ref.entry, kStringType)) return;
  if (!ref.entry) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(ref.entry->string());
  Keys(ctx).Delete(ref);
  ctx.Notify(daemon::kEventGeneric, "del", ctx.args[1]);
}

// GETEX key [EX s | PX ms | EXAT ts | PXAT ts-ms | PERSIST]
void CmdGetex(CommandContext& ctx) {
  Options opts;
  if (!ParseOptionsOrReply(ctx, 2, kGetexOptions, &opts)) return;
  KeyRef ref = Keys(ctx).Locate(ctx.args[1], Lookup::kRead);
  if (!ref.entry) {
    ctx.reply.Null();
    return;
  }
  if (!daemon::CheckTypeOrReply(ctx, ref.entry, kStringType)) return;
  int64_t at_ms = 0;
  if ((opts.flags & kAnyExpire) && !ExpireAtOrReply(ctx, opts.flags, opts.expire, &at_ms)) return;
  ctx.reply.Bulk(ref.entry->string());
  // An absolute time already past deletes the key, as Redis does.
  if ((opts.flags & (kExat | kPxat)) && at_ms <= ctx.clock().NowMs()) {
    Keys(ctx).Delete(ref);
    ctx.Notify(daemon::kEventGeneric, "del", ctx.args[1]);
  } else if (opts.flags & kAnyExpire) {
    Keys(ctx).SetExpire(ref, at_ms);
    ctx.Notify(daemon::kEventGeneric, "expire", ctx.args[1]);
  } else if ((opts.flags & kPersist) && Keys(ctx).Persist(ref)) {
    ctx.Notify(daemon::kEventGeneric, "persist", ctx.args[1]);
  }
}

// MGET key [key ...]
void CmdMget(CommandContext& ctx) {
  ctx.reply.ArrayHeader(static_cast<int64_t>(ctx.args.size() - 1));
  for (size_t i = 1; i < ctx.args.size(); i++) {
    const Entry* e = Keys(ctx).Find(ctx.args[i], Lookup::kRead);
    if (e && e->is_string()) {
      ctx.reply.Bulk(e->string());
    } else {
      ctx.reply.Null();  // a key of another type reads as missing, no WRONGTYPE
    }
  }
}

// MSET / MSETNX (msetGenericCommand).
void MsetGeneric(CommandContext& ctx, bool only_if_none_exist) {
  if (ctx.args.size() % 2 == 0) {
    ctx.reply.Error(ctx.cmd.WrongArity());
    return;
  }
  if (only_if_none_exist) {
    for (size_t i = 1; i < ctx.args.size(); i += 2) {
      if (Keys(ctx).Find(ctx.args[i], Lookup::kWrite)) {
        ctx.reply.Integer(0);
        return;
      }
    }
  }
  for (size_t i = 1; i < ctx.args.size(); i += 2) {
    KeyRef ref = Keys(ctx).Locate(ctx.args[i], Lookup::kWrite);
    Keys(ctx).SetString(ref, ctx.args[i + 1], daemon::EncodingFor(ctx.args[i + 1]), Ttl::Clear());
    ctx.Notify(daemon::kEventString, "set", ctx.args[i]);
  }
  if (only_if_none_exist) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

// MSET key value [key value ...]
void CmdMset(CommandContext& ctx) { MsetGeneric(ctx, false); }

// MSETNX key value [key value ...]
void CmdMsetnx(CommandContext& ctx) { MsetGeneric(ctx, true); }

// INCR, DECR, INCRBY, DECRBY (incrDecrCommand): the value must be a 64-bit integer and the
// result must not overflow. The TTL stays.
void IncrBy(CommandContext& ctx, int64_t delta) {
  KeyRef ref = Keys(ctx).Locate(ctx.args[1], Lookup::kWrite);
  if (!daemon::CheckTypeOrReply(ctx, ref.entry, kStringType)) return;
  int64_t value = 0;
  if (ref.entry && !protocol::ParseInt64(ref.entry->string(), &value)) {
    ctx.reply.Error(daemon::kErrNotInteger);
    return;
  }
  if ((delta < 0 && value < 0 && delta < INT64_MIN - value) ||
      (delta > 0 && value > 0 && delta > INT64_MAX - value)) {
    ctx.reply.Error("ERR increment or decrement would overflow");
    return;
  }
  value += delta;
  char buf[24];
  const size_t len = protocol::FormatInt64(value, buf);
  Keys(ctx).SetString(ref, {buf, len}, Entry::Encoding::kInt, Ttl::Keep());
  ctx.Notify(daemon::kEventString, "incrby", ctx.args[1]);
  ctx.reply.Integer(value);
}

// INCR key
void CmdIncr(CommandContext& ctx) { IncrBy(ctx, 1); }

// DECR key
void CmdDecr(CommandContext& ctx) { IncrBy(ctx, -1); }

// INCRBY key increment
void CmdIncrby(CommandContext& ctx) {
  int64_t delta;
  if (daemon::ParseIntOrReply(ctx, ctx.args[2], &delta)) IncrBy(ctx, delta);
}

// DECRBY key decrement
void CmdDecrby(CommandContext& ctx) {
  int64_t delta;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &delta)) return;
  if (delta == INT64_MIN) {
    ctx.reply.Error("ERR decrement would overflow");
    return;
  }
  IncrBy(ctx, -delta);
}

// INCRBYFLOAT key increment
void CmdIncrbyfloat(CommandContext& ctx) {
  KeyRef ref = Keys(ctx).Locate(ctx.args[1], Lookup::kWrite);
  if (!daemon::CheckTypeOrReply(ctx, ref.entry, kStringType)) return;
  long double value = 0, delta;
  if ((ref.entry && !protocol::ParseLongDouble(ref.entry->string(), &value)) ||
      !protocol::ParseLongDouble(ctx.args[2], &delta)) {
    ctx.reply.Error(daemon::kErrNotFloat);
    return;
  }
  value += delta;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  char buf[protocol::kLongDoubleChars];
  const std::string_view text(buf, protocol::FormatLongDouble(value, buf, sizeof(buf)));
  // A new string object in Redis: embstr or raw by length, never int.
  const Entry::Encoding encoding =
      text.size() <= 44 ? Entry::Encoding::kEmbstr : Entry::Encoding::kRaw;
  Keys(ctx).SetString(ref, text, encoding, Ttl::Keep());
  ctx.Notify(daemon::kEventString, "incrbyfloat", ctx.args[1]);
  ctx.reply.Bulk(text);
}

// APPEND key value
void CmdAppend(CommandContext& ctx) {
  const std::string_view value = ctx.args[2];
  KeyRef ref = Keys(ctx).Locate(ctx.args[1], Lookup::kWrite);
  if (!ref.entry) {
    Keys(ctx).SetString(ref, value, daemon::EncodingFor(value), Ttl::Clear());
    ctx.Notify(daemon::kEventString, "append", ctx.args[1]);
    ctx.reply.Integer(static_cast<int64_t>(value.size()));
    return;
  }
  if (!daemon::CheckTypeOrReply(ctx, ref.entry, kStringType)) return;
  const size_t old_length = ref.entry->string().size();
  if (!CheckLengthOrReply(ctx, old_length, value.size())) return;
  char* bytes = Keys(ctx).ResizeString(ref, old_length + value.size());
  std::memcpy(bytes + old_length, value.data(), value.size());
  ctx.Notify(daemon::kEventString, "append", ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(old_length + value.size()));
}

// STRLEN key
void CmdStrlen(CommandContext& ctx) {
  const Entry* e;
  if (!ReadStringOrReply(ctx, ctx.args[1], &e)) return;
  ctx.reply.Integer(e ? static_cast<int64_t>(e->string().size()) : 0);
}

// GETRANGE key start end (and SUBSTR, its old name)
void CmdGetrange(CommandContext& ctx) {
  int64_t start, end;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &start) ||
      !daemon::ParseIntOrReply(ctx, ctx.args[3], &end)) {
    return;
  }
  const Entry* e;
  if (!ReadStringOrReply(ctx, ctx.args[1], &e)) return;
  const std::string_view s = e ? e->string() : std::string_view();
  const auto len = static_cast<int64_t>(s.size());
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.Bulk("");
    return;
  }
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) {
    ctx.reply.Bulk("");
    return;
  }
  ctx.reply.Bulk(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

// SETRANGE key offset value
void CmdSetrange(CommandContext& ctx) {
  int64_t offset;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &offset)) return;
  if (offset < 0) {
    ctx.reply.Error("ERR offset is out of range");
    return;
  }
  const std::string_view value = ctx.args[3];
  KeyRef ref = Keys(ctx).Locate(ctx.args[1], Lookup::kWrite);
  if (!daemon::CheckTypeOrReply(ctx, ref.entry, kStringType)) return;
  const size_t old_length = ref.entry ? ref.entry->string().size() : 0;
  if (value.empty()) {
    ctx.reply.Integer(static_cast<int64_t>(old_length));  // nothing to write, no key created
    return;
  }
  if (!CheckLengthOrReply(ctx, static_cast<uint64_t>(offset), value.size())) return;
  const size_t length = std::max(old_length, static_cast<size_t>(offset) + value.size());
  char* bytes = Keys(ctx).ResizeString(ref, length);
  std::memcpy(bytes + offset, value.data(), value.size());
  ctx.Notify(daemon::kEventString, "setrange", ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(length));
}

}  // namespace

void RegisterStrings(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;
  CommandGroup group(t, "string");
  constexpr std::string_view kSetSyntax =
      "key value [condition: NX | XX] [GET] [expiration: EX seconds:integer | "
      "PX milliseconds:integer | EXAT unix-time-seconds:unix-time | "
      "PXAT unix-time-milliseconds:unix-time | KEEPTTL]";
  group.AddKeyed({.name = "set",
                  .arity = -3,
                  .flags = kWriteOom,
                  .handler = CmdSet,
                  .since = "1.0.0",
                  .summary = "Set the string value of a key",
                  .complexity = "O(1)",
                  .syntax = kSetSyntax});
  group.AddKeyed({.name = "setnx",
                  .arity = 3,
                  .flags = kWriteOom | kCmdFast,
                  .handler = CmdSetnx,
                  .since = "1.0.0",
                  .summary = "Set the value of a key, only if the key does not exist",
                  .complexity = "O(1)",
                  .syntax = "key value"});
  group.AddKeyed({.name = "setex",
                  .arity = 4,
                  .flags = kWriteOom,
                  .handler = CmdSetex,
                  .since = "2.0.0",
                  .summary = "Set the value and expiration of a key",
                  .complexity = "O(1)",
                  .syntax = "key seconds:integer value"});
  group.AddKeyed({.name = "psetex",
                  .arity = 4,
                  .flags = kWriteOom,
                  .handler = CmdPsetex,
                  .since = "2.6.0",
                  .summary = "Set the value and expiration in milliseconds of a key",
                  .complexity = "O(1)",
                  .syntax = "key milliseconds:integer value"});
  group.AddKeyed({.name = "get",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdGet,
                  .since = "1.0.0",
                  .summary = "Get the value of a key",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "getset",
                  .arity = 3,
                  .flags = kWriteOom | kCmdFast,
                  .handler = CmdGetset,
                  .since = "1.0.0",
                  .summary = "Set the string value of a key and return its old value",
                  .complexity = "O(1)",
                  .syntax = "key value"});
  group.AddKeyed({.name = "getdel",
                  .arity = 2,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdGetdel,
                  .since = "6.2.0",
                  .summary = "Get the value of a key and delete the key",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "getex",
                  .arity = -2,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdGetex,
                  .since = "6.2.0",
                  .summary = "Get the value of a key and optionally set its expiration",
                  .complexity = "O(1)",
                  .syntax =
                      "key [expiration: EX seconds:integer | PX milliseconds:integer | "
                      "EXAT unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | "
                      "PERSIST]"});
  t.Add({.name = "mget",
         .arity = -2,
         .flags = kCmdReadonly | kCmdFast,
         .first_key = 1,
         .last_key = -1,
         .key_step = 1,
         .handler = CmdMget,
         .group = "string",
         .since = "1.0.0",
         .summary = "Get the values of all the given keys",
         .complexity = "O(N) where N is the number of keys to retrieve.",
         .syntax = "key ..."});
  t.Add({.name = "mset",
         .arity = -3,
         .flags = kWriteOom,
         .first_key = 1,
         .last_key = -1,
         .key_step = 2,
         .handler = CmdMset,
         .group = "string",
         .since = "1.0.1",
         .summary = "Set multiple keys to multiple values",
         .complexity = "O(N) where N is the number of keys to set.",
         .syntax = "(data: key value) ..."});
  t.Add({.name = "msetnx",
         .arity = -3,
         .flags = kWriteOom,
         .first_key = 1,
         .last_key = -1,
         .key_step = 2,
         .handler = CmdMsetnx,
         .group = "string",
         .since = "1.0.1",
         .summary = "Set multiple keys to multiple values, only if none of the keys exist",
         .complexity = "O(N) where N is the number of keys to set.",
         .syntax = "(data: key value) ..."});
  group.AddKeyed({.name = "incr",
                  .arity = 2,
                  .flags = kWriteOom | kCmdFast,
                  .handler = CmdIncr,
                  .since = "1.0.0",
                  .summary = "Increment the integer value of a key by one",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "decr",
                  .arity = 2,
                  .flags = kWriteOom | kCmdFast,
                  .handler = CmdDecr,
                  .since = "1.0.0",
                  .summary = "Decrement the integer value of a key by one",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "incrby",
                  .arity = 3,
                  .flags = kWriteOom | kCmdFast,
                  .handler = CmdIncrby,
                  .since = "1.0.0",
                  .summary = "Increment the integer value of a key by the given amount",
                  .complexity = "O(1)",
                  .syntax = "key increment:integer"});
  group.AddKeyed({.name = "decrby",
                  .arity = 3,
                  .flags = kWriteOom | kCmdFast,
                  .handler = CmdDecrby,
                  .since = "1.0.0",
                  .summary = "Decrement the integer value of a key by the given number",
                  .complexity = "O(1)",
                  .syntax = "key decrement:integer"});
  group.AddKeyed({.name = "incrbyfloat",
                  .arity = 3,
                  .flags = kWriteOom | kCmdFast,
                  .handler = CmdIncrbyfloat,
                  .since = "2.6.0",
                  .summary = "Increment the float value of a key by the given amount",
                  .complexity = "O(1)",
                  .syntax = "key increment:double"});
  group.AddKeyed({.name = "append",
                  .arity = 3,
                  .flags = kWriteOom | kCmdFast,
                  .handler = CmdAppend,
                  .since = "2.0.0",
                  .summary = "Append a value to a key",
                  .complexity =
                      "O(1). The amortized time complexity is O(1) assuming the appended value "
                      "is small and the already present value is of any size, since the dynamic "
                      "string library used by Redis will double the free space available on "
                      "every reallocation.",
                  .syntax = "key value"});
  group.AddKeyed({.name = "strlen",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdStrlen,
                  .since = "2.2.0",
                  .summary = "Get the length of the value stored in a key",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "getrange",
                  .arity = 4,
                  .flags = kCmdReadonly,
                  .handler = CmdGetrange,
                  .since = "2.4.0",
                  .summary = "Get a substring of the string stored at a key",
                  .complexity =
                      "O(N) where N is the length of the returned string. The complexity is "
                      "ultimately determined by the returned length, but because creating a "
                      "substring from an existing string is very cheap, it can be considered "
                      "O(1) for small strings.",
                  .syntax = "key start:integer end:integer"});
  group.AddKeyed({.name = "substr",
                  .arity = 4,
                  .flags = kCmdReadonly,
                  .handler = CmdGetrange,
                  .since = "1.0.0",
                  .summary = "Get a substring of the string stored at a key",
                  .complexity =
                      "O(N) where N is the length of the returned string. The complexity is "
                      "ultimately determined by the returned length, but because creating a "
                      "substring from an existing string is very cheap, it can be considered "
                      "O(1) for small strings.",
                  .syntax = "key start:integer end:integer"});
  group.AddKeyed({.name = "setrange",
                  .arity = 4,
                  .flags = kWriteOom,
                  .handler = CmdSetrange,
                  .since = "2.2.0",
                  .summary = "Overwrite part of a string at key starting at the specified offset",
                  .complexity =
                      "O(1), not counting the time taken to copy the new string in place. "
                      "Usually, this string is very small so the amortized complexity is O(1). "
                      "Otherwise, complexity is O(M) with M being the length of the value "
                      "argument.",
                  .syntax = "key offset:integer value"});
}

}  // namespace pylon::strings
