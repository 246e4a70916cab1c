// Redis's hash commands, with its syntax, replies and error texts (Redis 7.0 t_hash.c), over the
// hash core (hash.h).
#include <cmath>
#include <memory>
#include <optional>
#include <random>
#include <unordered_set>
#include <utility>
#include <vector>

#include "daemon/command_helpers.h"
#include "daemon/config.h"
#include "daemon/keyspace.h"
#include "daemon/keyspace_events.h"
#include "daemon/registry.h"
#include "modules/hash/hash_value.h"
#include "protocol/text.h"

namespace pylon::hash {
namespace {

using daemon::CommandContext;
using daemon::KeyRef;
using daemon::Lookup;

Limits LimitsOf(const CommandContext& ctx) {
  const daemon::Config& c = ctx.config();
  return {.max_listpack_entries = static_cast<size_t>(c.hash_max_listpack_entries),
          .max_listpack_value = static_cast<size_t>(c.hash_max_listpack_value)};
}

// The hash a write command changes: the key's, or a new one that joins the keyspace only if it
// ends up with a field (Redis never stores an empty hash). Commit tells the keyspace once the
// change is made (WATCH, the log and memory accounting see it) and sends the command's keyspace
// notification; a command that changed nothing does not call it.
class WriteTarget {
 public:
  // False after a WRONGTYPE reply.
  bool Open(CommandContext& ctx) {
    bool ok;
    existing_ = daemon::FindOrReply<HashValue>(ctx, kHashType, Lookup::kWrite, &ref_, &ok);
    if (!ok) return false;
    if (!existing_) fresh_ = std::make_unique<HashValue>();
    return true;
  }
  HashValue& value() { return existing_ ? *existing_ : *fresh_; }
  void Commit(CommandContext& ctx, std::string_view event) {
    daemon::Keyspace& ks = ctx.keyspace();
    if (fresh_) {
      if (fresh_->hash().empty()) return;
      ks.SetObject(ref_, std::move(fresh_), daemon::Ttl::Clear());
    } else {
      ks.Modified(ref_);
    }
    ctx.Notify(daemon::kEventHash, event, ctx.args[1]);
  }

 private:
  KeyRef ref_;
  HashValue* existing_ = nullptr;
  std::unique_ptr<HashValue> fresh_;
};

// The hash a read command reads: nullptr when the key is absent, and *ok false after WRONGTYPE.
const Hash* FindForRead(CommandContext& ctx, bool* ok) {
  KeyRef ref;
  const HashValue* v = daemon::FindOrReply<HashValue>(ctx, kHashType, Lookup::kRead, &ref, ok);
  return v ? &v->hash() : nullptr;
}

// HSET / HMSET key field value [field value ...]: the number of new fields.
int64_t SetPairsOrReply(CommandContext& ctx, bool* ok) {
  *ok = false;
  if (ctx.args.size() % 2 == 1) {
    ctx.reply.Error(ctx.cmd.WrongArity());
    return 0;
  }
  WriteTarget target;
  if (!target.Open(ctx)) return 0;
  const Limits limits = LimitsOf(ctx);
  int64_t created = 0;
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    created += target.value().Set(ctx.args[i], ctx.args[i + 1], limits);
  }
  target.Commit(ctx, "hset");
  *ok = true;
  return created;
}

// HSET key field value [field value ...]
void CmdHset(CommandContext& ctx) {
  bool ok;
  const int64_t created = SetPairsOrReply(ctx, &ok);
  if (ok) ctx.reply.Integer(created);
}

// HMSET key field value [field value ...] (deprecated: HSET with several pairs)
void CmdHmset(CommandContext& ctx) {
  bool ok;
  SetPairsOrReply(ctx, &ok);
  if (ok) ctx.reply.Ok();
}

// HSETNX key field value
void CmdHsetnx(CommandContext& ctx) {
  WriteTarget target;
  if (!target.Open(ctx)) return;
  if (target.value().hash().Exists(ctx.args[2])) {
    ctx.reply.Integer(0);
    return;
  }
  target.value().Set(ctx.args[2], ctx.args[3], LimitsOf(ctx));
  target.Commit(ctx, "hset");
  ctx.reply.Integer(1);
}

// HGET key field
void CmdHget(CommandContext& ctx) {
  bool ok;
  const Hash* h = FindForRead(ctx, &ok);
  if (!ok) return;
  const std::optional<std::string_view> v = h ? h->Get(ctx.args[2]) : std::nullopt;
  if (v) {
    ctx.reply.Bulk(*v);
  } else {
    ctx.reply.Null();
  }
}

// HMGET key field [field ...]: WRONGTYPE for a key of another type (MGET's nulls are not HMGET's).
void CmdHmget(CommandContext& ctx) {
  bool ok;
  const Hash* h = FindForRead(ctx, &ok);
  if (!ok) return;
  ctx.reply.ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); i++) {
    const std::optional<std::string_view> v = h ? h->Get(ctx.args[i]) : std::nullopt;
    if (v) {
      ctx.reply.Bulk(*v);
    } else {
      ctx.reply.Null();
    }
  }
}

// HGETALL, HKEYS, HVALS: fields and/or values; HGETALL is a map in RESP3.
enum class Part { kBoth, kFields, kValues };
void ReplyAll(CommandContext& ctx, Part part) {
  bool ok;
  const Hash* h = FindForRead(ctx, &ok);
  if (!ok) return;
  const int64_t n = h ? static_cast<int64_t>(h->Size()) : 0;
  if (part == Part::kBoth) {
    ctx.reply.MapHeader(n);
  } else {
    ctx.reply.ArrayHeader(n);
  }
  if (!h) return;
  h->ForEach([&](std::string_view f, std::string_view v) {
    if (part != Part::kValues) ctx.reply.Bulk(f);
    if (part != Part::kFields) ctx.reply.Bulk(v);
  });
}

void CmdHgetall(CommandContext& ctx) { ReplyAll(ctx, Part::kBoth); }
void CmdHkeys(CommandContext& ctx) { ReplyAll(ctx, Part::kFields); }
void CmdHvals(CommandContext& ctx) { ReplyAll(ctx, Part::kValues); }

// HDEL key field [field ...]: the key goes with its last field.
void CmdHdel(CommandContext& ctx) {
  bool ok;
  KeyRef ref;
  HashValue* v = daemon::FindOrReply<HashValue>(ctx, kHashType, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  int64_t deleted = 0;
  if (v) {
    for (size_t i = 2; i < ctx.args.size() && !v->hash().empty(); i++) {
      deleted += v->Delete(ctx.args[i]);
    }
    if (deleted > 0) ctx.Notify(daemon::kEventHash, "hdel", ctx.args[1]);
    if (v->hash().empty()) {
      ctx.keyspace().Delete(ref);
      ctx.Notify(daemon::kEventGeneric, "del", ctx.args[1]);
    } else if (deleted > 0) {
      ctx.keyspace().Modified(ref);
    }
  }
  ctx.reply.Integer(deleted);
}

// HLEN key
void CmdHlen(CommandContext& ctx) {
  bool ok;
  const Hash* h = FindForRead(ctx, &ok);
  if (ok) ctx.reply.Integer(h ? static_cast<int64_t>(h->Size()) : 0);
}

// HSTRLEN key field
void CmdHstrlen(CommandContext& ctx) {
  bool ok;
  const Hash* h = FindForRead(ctx, &ok);
  if (ok) ctx.reply.Integer(h ? static_cast<int64_t>(h->StrLen(ctx.args[2])) : 0);
}

// HEXISTS key field
void CmdHexists(CommandContext& ctx) {
  bool ok;
  const Hash* h = FindForRead(ctx, &ok);
  if (ok) ctx.reply.Integer(h && h->Exists(ctx.args[2]) ? 1 : 0);
}

// The increments' refusals, in Redis's words.
void ReplyIncrError(CommandContext& ctx, IncrStatus status) {
  switch (status) {
    case IncrStatus::kNotInteger:
      ctx.reply.Error("ERR hash value is not an integer");
      break;
    case IncrStatus::kOverflow:
      ctx.reply.Error("ERR increment or decrement would overflow");
      break;
    case IncrStatus::kNotFloat:
      ctx.reply.Error("ERR hash value is not a float");
      break;
    case IncrStatus::kNanOrInf:
      ctx.reply.Error("ERR increment would produce NaN or Infinity");
      break;
    case IncrStatus::kOk:
      break;
  }
}

// HINCRBY key field increment
void CmdHincrby(CommandContext& ctx) {
  int64_t delta;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[3], &delta)) return;
  WriteTarget target;
  if (!target.Open(ctx)) return;
  int64_t result;
  const IncrStatus status = target.value().IncrBy(ctx.args[2], delta, LimitsOf(ctx), &result);
  if (status != IncrStatus::kOk) {
    ReplyIncrError(ctx, status);
    return;
  }
  target.Commit(ctx, "hincrby");
  ctx.reply.Integer(result);
}

// HINCRBYFLOAT key field increment
void CmdHincrbyfloat(CommandContext& ctx) {
  long double delta;
  if (!protocol::ParseLongDouble(ctx.args[3], &delta)) {
    ctx.reply.Error(daemon::kErrNotFloat);
    return;
  }
  if (std::isnan(delta) || std::isinf(delta)) {
    ctx.reply.Error("ERR value is NaN or Infinity");
    return;
  }
  WriteTarget target;
  if (!target.Open(ctx)) return;
  std::string_view result;
  const IncrStatus status = target.value().IncrByFloat(ctx.args[2], delta, LimitsOf(ctx), &result);
  if (status != IncrStatus::kOk) {
    ReplyIncrError(ctx, status);
    return;
  }
  target.Commit(ctx, "hincrbyfloat");
  ctx.reply.Bulk(result);
}

// A process-wide generator: HRANDFIELD's draws need no reproducibility, only uniformity.
uint64_t Random() {
  static std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

// One field (and its value) of HRANDFIELD's reply: a [field, value] pair under RESP3.
void ReplyRandomField(CommandContext& ctx, std::string_view field, std::string_view value,
                      bool with_values) {
  if (with_values && ctx.reply.resp() > 2) ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(field);
  if (with_values) ctx.reply.Bulk(value);
}

// A negative count repeats draws: past this many reply bytes the reply stops (the array holds
// what was written), where Redis would grow its output buffer until memory runs out.
constexpr size_t kMaxRandomReplyBytes = size_t{512} << 20;

// HRANDFIELD key count [WITHVALUES] (hrandfieldWithCountCommand): a negative count draws with
// repetition, a positive one distinct fields (all of them when it reaches the size).
void RandomFieldsWithCount(CommandContext& ctx, int64_t count, bool with_values) {
  bool ok;
  const Hash* h = FindForRead(ctx, &ok);
  if (!ok) return;
  if (!h || count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  const bool distinct = count > 0;
  const uint64_t wanted =
      distinct ? static_cast<uint64_t>(count) : 0 - static_cast<uint64_t>(count);
  const size_t size = h->Size();
  // Pairs are flattened under RESP2, nested under RESP3.
  const int64_t per_field = with_values && ctx.reply.resp() == 2 ? 2 : 1;
  if (!distinct || wanted == 1) {
    auto mark = ctx.reply.BeginDeferred();
    uint64_t written = 0;
    size_t bytes = 0;
    for (; written < wanted && bytes < kMaxRandomReplyBytes; written++) {
      const auto [field, value] = h->RandomField(Random);
      ReplyRandomField(ctx, field, value, with_values);
      bytes += field.size() + value.size() + 16;
    }
    ctx.reply.EndDeferredArray(mark, static_cast<int64_t>(written) * per_field);
    return;
  }
  if (wanted >= size) {
    ctx.reply.ArrayHeader(static_cast<int64_t>(size) * per_field);
    h->ForEach(
        [&](std::string_view f, std::string_view v) { ReplyRandomField(ctx, f, v, with_values); });
    return;
  }
  // Distinct fields, fewer than the hash has: near the size, drop random fields from a copy of
  // them all (Redis's case 3); far below it, draw until enough distinct ones came (case 4).
  std::vector<std::pair<std::string_view, std::string_view>> chosen;
  if (wanted * 3 > size) {
    chosen.reserve(size);
    h->ForEach([&](std::string_view f, std::string_view v) { chosen.emplace_back(f, v); });
    while (chosen.size() > wanted) {
      const size_t i = Random() % chosen.size();
      chosen[i] = chosen.back();
      chosen.pop_back();
    }
  } else {
    std::unordered_set<std::string_view> seen;
    chosen.reserve(wanted);
    while (chosen.size() < wanted) {
      const auto pick = h->RandomField(Random);
      if (seen.insert(pick.first).second) chosen.push_back(pick);
    }
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(chosen.size()) * per_field);
  for (const auto& [f, v] : chosen) ReplyRandomField(ctx, f, v, with_values);
}

// HRANDFIELD key [count [WITHVALUES]]
void CmdHrandfield(CommandContext& ctx) {
  if (ctx.args.size() >= 3) {
    int64_t count;
    if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &count)) return;
    if (count == INT64_MIN) {
      ctx.reply.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
      return;
    }
    if (ctx.args.size() > 4 ||
        (ctx.args.size() == 4 && !daemon::IsArg(ctx.args[3], "WITHVALUES"))) {
      ctx.reply.Error(daemon::kErrSyntax);
      return;
    }
    const bool with_values = ctx.args.size() == 4;
    // Twice the count must stay a long: the reply of a RESP2 WITHVALUES call has 2 * count items.
    if (with_values && (count < -(INT64_MAX / 2) || count > INT64_MAX / 2)) {
      ctx.reply.Error("ERR value is out of range");
      return;
    }
    RandomFieldsWithCount(ctx, count, with_values);
    return;
  }
  bool ok;
  const Hash* h = FindForRead(ctx, &ok);
  if (!ok) return;
  if (!h) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(h->RandomField(Random).first);
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
void CmdHscan(CommandContext& ctx) {
  uint64_t cursor;
  if (!daemon::ParseScanCursorOrReply(ctx, ctx.args[2], &cursor)) return;
  bool ok;
  const Hash* h = FindForRead(ctx, &ok);
  if (!ok) return;
  daemon::CollectionScanOptions options;
  if (h && !daemon::ParseCollectionScanOrReply(ctx, &options)) return;
  std::vector<std::string_view> found;  // views into the hash: nothing changes it meanwhile
  if (h) {
    cursor = h->Scan(cursor, static_cast<size_t>(options.count),
                     [&](std::string_view f, std::string_view v) {
                       if (!options.Matches(f)) return;
                       found.push_back(f);
                       found.push_back(v);
                     });
  } else {
    cursor = 0;
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(cursor));
  ctx.reply.ArrayHeader(static_cast<int64_t>(found.size()));
  for (std::string_view s : found) ctx.reply.Bulk(s);
}

}  // namespace

void RegisterHashCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandGroup group(registry.commands, "hash");
  constexpr std::string_view kPairs = "key (field_value: field value) ...";
  group.AddKeyed({.name = "hset",
                  .arity = -4,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdHset,
                  .since = "2.0.0",
                  .summary = "Set the string value of a hash field",
                  .complexity = "O(1) for each field/value pair added, so O(N) to add N "
                                "field/value pairs when the command is called with multiple "
                                "field/value pairs.",
                  .syntax = kPairs});
  group.AddKeyed({.name = "hsetnx",
                  .arity = 4,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdHsetnx,
                  .since = "2.0.0",
                  .summary = "Set the value of a hash field, only if the field does not exist",
                  .complexity = "O(1)",
                  .syntax = "key field value",
                  .key_flags = {"RW", "insert"}});
  group.AddKeyed({.name = "hmset",
                  .arity = -4,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdHmset,
                  .since = "2.0.0",
                  .summary = "Set multiple hash fields to multiple values",
                  .complexity = "O(N) where N is the number of fields being set.",
                  .syntax = kPairs});
  group.AddKeyed({.name = "hget",
                  .arity = 3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdHget,
                  .since = "2.0.0",
                  .summary = "Get the value of a hash field",
                  .complexity = "O(1)",
                  .syntax = "key field"});
  group.AddKeyed({.name = "hmget",
                  .arity = -3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdHmget,
                  .since = "2.0.0",
                  .summary = "Get the values of all the given hash fields",
                  .complexity = "O(N) where N is the number of fields being requested.",
                  .syntax = "key field ..."});
  group.AddKeyed({.name = "hgetall",
                  .arity = 2,
                  .flags = kCmdReadonly,
                  .handler = CmdHgetall,
                  .since = "2.0.0",
                  .summary = "Get all the fields and values in a hash",
                  .complexity = "O(N) where N is the size of the hash.",
                  .syntax = "key",
                  .tips = {"nondeterministic_output_order"}});
  group.AddKeyed({.name = "hdel",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdHdel,
                  .since = "2.0.0",
                  .summary = "Delete one or more hash fields",
                  .complexity = "O(N) where N is the number of fields to be removed.",
                  .syntax = "key field ...",
                  .key_flags = {"RW", "delete"}});
  group.AddKeyed({.name = "hlen",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdHlen,
                  .since = "2.0.0",
                  .summary = "Get the number of fields in a hash",
                  .complexity = "O(1)",
                  .syntax = "key",
                  .key_flags = {"RO"}});
  group.AddKeyed({.name = "hstrlen",
                  .arity = 3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdHstrlen,
                  .since = "3.2.0",
                  .summary = "Get the length of the value of a hash field",
                  .complexity = "O(1)",
                  .syntax = "key field",
                  .key_flags = {"RO"}});
  group.AddKeyed({.name = "hexists",
                  .arity = 3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdHexists,
                  .since = "2.0.0",
                  .summary = "Determine if a hash field exists",
                  .complexity = "O(1)",
                  .syntax = "key field",
                  .key_flags = {"RO"}});
  group.AddKeyed({.name = "hkeys",
                  .arity = 2,
                  .flags = kCmdReadonly,
                  .handler = CmdHkeys,
                  .since = "2.0.0",
                  .summary = "Get all the fields in a hash",
                  .complexity = "O(N) where N is the size of the hash.",
                  .syntax = "key",
                  .tips = {"nondeterministic_output_order"}});
  group.AddKeyed({.name = "hvals",
                  .arity = 2,
                  .flags = kCmdReadonly,
                  .handler = CmdHvals,
                  .since = "2.0.0",
                  .summary = "Get all the values in a hash",
                  .complexity = "O(N) where N is the size of the hash.",
                  .syntax = "key",
                  .tips = {"nondeterministic_output_order"}});
  group.AddKeyed({.name = "hrandfield",
                  .arity = -2,
                  .flags = kCmdReadonly,
                  .handler = CmdHrandfield,
                  .since = "6.2.0",
                  .summary = "Get one or multiple random fields from a hash",
                  .complexity = "O(N) where N is the number of fields returned",
                  .syntax = "key [count:integer [WITHVALUES]]",
                  .tips = {"nondeterministic_output"}});
  group.AddKeyed({.name = "hscan",
                  .arity = -3,
                  .flags = kCmdReadonly,
                  .handler = CmdHscan,
                  .since = "2.8.0",
                  .summary = "Incrementally iterate hash fields and associated values",
                  .complexity = "O(1) for every call. O(N) for a complete iteration, including "
                                "enough command calls for the cursor to return back to 0. N is "
                                "the number of elements inside the collection..",
                  .syntax = "key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]",
                  .tips = {"nondeterministic_output"}});
  group.AddKeyed({.name = "hincrby",
                  .arity = 4,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdHincrby,
                  .since = "2.0.0",
                  .summary = "Increment the integer value of a hash field by the given number",
                  .complexity = "O(1)",
                  .syntax = "key field increment:integer",
                  .key_flags = {"RW", "access", "update"}});
  group.AddKeyed({.name = "hincrbyfloat",
                  .arity = 4,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdHincrbyfloat,
                  .since = "2.6.0",
                  .summary = "Increment the float value of a hash field by the given amount",
                  .complexity = "O(1)",
                  .syntax = "key field increment:double",
                  .key_flags = {"RW", "access", "update"}});
}

}  // namespace pylon::hash
